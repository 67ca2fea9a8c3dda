"""What every CLI command shares: settings, opening the store, and one-line failures."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from application.system import System
from interfaces.compose import build_system
from interfaces.settings import Settings, get_settings

err = Console(stderr=True)
out = Console()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one clear line to standard error and exit non-zero."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings() -> Settings:
    """The process settings; a bad value is one clear line, not a traceback."""
    try:
        return get_settings()
    except ValidationError as e:
        problems = "; ".join(
            f"REGLEDGER_{'_'.join(str(p) for p in err['loc']).upper()}: "
            f"{err['msg'].removeprefix('Value error, ')}"
            for err in e.errors()
        )
        fail(f"invalid settings: {problems}")


@contextmanager
def open_system(follow: bool = False) -> Iterator[System]:
    """The application and its views on the configured store."""
    conf = settings()
    try:
        system = build_system(conf, follow=follow)
    except Exception as e:  # a store or key that cannot be opened is the user's to fix
        fail(f"cannot open store {conf.database_url}: {e}")
    try:
        yield system
    finally:
        system.close()
