"""Audit commands: replay, verify, export, import and tree-head."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from application.audit.errors import AuditError
from application.audit.export import export_log
from application.audit.importer import import_log
from application.audit.replay import ReplayReport, replay
from application.audit.report import EXACT, VerifyReport
from application.audit.service import AuditLedger
from application.audit.verify import verify
from application.ledger.signing import KeyFileError, load_or_create_key, public_key_b64
from application.persistence.store import StoreURLError
from application.projections.ledger import enable_signing
from application.system import System
from domain.errors import DomainError
from interfaces.cli.common import err, fail, open_system, out, settings

ProgressCallback = Callable[[str, int, int], None]

STAGES = {
    "replay": "rebuilding views",
    "verify": "checking events",
    "export": "exporting",
    "read": "verifying file",
    "import": "recording events",
    "project": "rebuilding views",
}

ScratchOption = Annotated[
    str | None,
    typer.Option("--scratch", help="store URL for the rebuilt views (default: a temporary file)"),
]


def say(text: str) -> None:
    """One line of plain text on standard output, never wrapped or marked up."""
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def report_failure(message: str) -> NoReturn:
    """Fail with a message that may quote stored data (brackets are not markup)."""
    fail(escape(message))


@contextmanager
def progress_bar() -> Iterator[ProgressCallback]:
    """A rich progress bar per stage, on standard error, gone when done."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield update


@contextmanager
def audited_system(signing: bool = True) -> Iterator[System]:
    """The configured system, its ledger signing with the configured key."""
    conf = settings()
    with open_system() as system:
        if signing:
            try:
                key = load_or_create_key(conf.signing_key_path)
            except (KeyFileError, OSError) as e:
                fail(f"signing key: {e}")
            enable_signing(system.views, key, conf.tree_head_every, system.app.clock)
        try:
            yield system
        except (AuditError, DomainError, StoreURLError) as e:
            report_failure(str(e))
        except OSError as e:
            report_failure(f"{e.strerror or e}: {e.filename}" if e.filename else str(e))


def _decode_key(given: str) -> bytes:
    try:
        raw = base64.b64decode(given, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        fail("a public key must be the base64 of a raw 32-byte Ed25519 public key")
    return raw


def _trusted_keys(given: list[str] | None) -> list[bytes]:
    """The keys heads may be signed with: as given, else the configured key (if it exists)
    and the keys it replaced (REGLEDGER_TRUSTED_PUBLIC_KEYS)."""
    if given:
        return [_decode_key(k) for k in given]
    conf = settings()
    keys = [_decode_key(k) for k in conf.trusted_public_keys]
    if not conf.signing_key_path.exists():
        return keys
    try:
        key = load_or_create_key(conf.signing_key_path)
    except (KeyFileError, OSError) as e:
        fail(f"signing key: {e}")
    return [base64.b64decode(public_key_b64(key.public_key())), *keys]


def _print_replay(report: ReplayReport) -> None:
    table = Table("view", "position", "live digest", "replayed digest", "")
    for v in report.views:
        mark = "[green]match[/]" if v.matches else "[bold red]DIFFERS[/]"
        table.add_row(v.name, str(v.position), v.live[:16], v.replayed[:16], mark)
    out.print(table)


def replay_command(scratch: ScratchOption = None) -> None:
    """Rebuild every view from the event log in a scratch store and compare digests."""
    with audited_system(signing=False) as system, progress_bar() as progress:
        report = replay(system, scratch, progress)
    if report.stopped_at is not None:
        report_failure(f"replay stopped: {report.first_difference}")
    _print_replay(report)
    if not report.ok:
        report_failure(f"replay differs: {report.first_difference}")
    say("every view matches its replay")


def _print_verify(report: VerifyReport) -> None:
    for problem in report.problems:
        exact = problem.position is not None and problem.kind in (*EXACT, "replay")
        where = f" at position {problem.position}" if exact else ""
        say(f"- {problem.kind}{where}: {problem.detail}")
    if report.more_problems:
        say(f"- ... and {report.more_problems} more")
    if report.pending:
        say(
            f"{report.pending} event(s) recorded after the ledger's last position are not "
            "covered yet (the worker adds them; or pass --catch-up)",
        )


def verify_command(
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            help="base64 Ed25519 key heads may be signed with; repeat after a key rotation "
            "(default: the configured key and REGLEDGER_TRUSTED_PUBLIC_KEYS)"
        ),
    ] = None,
    views: Annotated[bool, typer.Option(help="also replay and compare every view")] = True,
    catch_up: Annotated[
        bool, typer.Option(help="bring the ledger and views up to date first")
    ] = False,
    scratch: ScratchOption = None,
) -> None:
    """Recompute the ledger from the stored events; check tree heads and views."""
    trusted = _trusted_keys(public_key)
    with audited_system(signing=False) as system, progress_bar() as progress:
        if catch_up:
            system.runner.catch_up()
        report = verify(system, trusted, views=views, scratch_url=scratch, progress=progress)
    _print_verify(report)
    if not report.ok:
        first = report.first_problem
        position = report.first_bad_position
        where = "" if position is None else f" first bad position {position}:"
        report_failure(f"verification failed:{where} {first.detail if first else ''}")
    checked = "; every view matches its replay" if report.replay is not None else ""
    say(
        f"verified {report.events_checked} events and {report.heads_checked} signed tree "
        f"heads{checked}",
    )


def export_command(
    path: Annotated[Path, typer.Argument(help="NDJSON file to write", dir_okay=False)],
) -> None:
    """Write the event log as NDJSON, closed by a signed tree head over it."""
    with audited_system() as system, progress_bar() as progress:
        system.runner.catch_up()
        summary = export_log(system, path, progress)
    head = summary.tree_head
    say(
        f"exported {summary.events} events to {summary.path} "
        f"(tree head {head.tree_size}, root {head.root_hash})",
    )


def import_command(
    path: Annotated[
        Path, typer.Argument(help="NDJSON export to read", exists=True, dir_okay=False)
    ],
    public_key: Annotated[
        str | None,
        typer.Option(help="require the file's tree head to be signed with this base64 key"),
    ] = None,
) -> None:
    """Verify an export and record its events in this empty store."""
    trusted = None if public_key is None else _decode_key(public_key)
    with audited_system() as system, progress_bar() as progress:
        summary = import_log(system, path, progress, trusted)
    head = summary.tree_head
    say(
        f"imported {summary.events} events; root {head.root_hash} matches the tree head "
        f"signed {head.head.timestamp} by key {head.head.key_id[:16]}",
    )


def tree_head_command(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    sign: Annotated[bool, typer.Option(help="bring the ledger up to date and sign now")] = False,
) -> None:
    """Print the latest signed tree head (with the public key to check it)."""
    with audited_system(signing=sign) as system:
        ledger = AuditLedger.for_system(system)
        if sign:
            system.runner.catch_up()
            head = ledger.sign_tree_head()
        else:
            head = ledger.latest_tree_head()
    if as_json:
        typer.echo(json.dumps(head, indent=2))
        return
    for name in ("tree_size", "root_hash", "timestamp", "key_id", "public_key", "signature"):
        say(f"{name:>10}  {head[name]}")


def register(app: typer.Typer) -> None:
    """Add the audit commands."""
    app.command("replay")(replay_command)
    app.command("verify")(verify_command)
    app.command("export")(export_command)
    app.command("import")(import_command)
    app.command("tree-head")(tree_head_command)
