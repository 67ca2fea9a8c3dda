"""The `regledger` command line."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="regledger",
    help="regledger: an event-sourced register of AI-model access directives.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module adds its commands with `register(app)`.
COMMAND_MODULES = (
    "interfaces.cli.server",
    "interfaces.cli.principals",
    "interfaces.cli.audit",
    "interfaces.cli.demo",
    "interfaces.cli.readside",
)

for _name in COMMAND_MODULES:
    try:
        importlib.import_module(_name).register(app)
    except ModuleNotFoundError as e:
        if e.name != _name:
            raise


def main() -> None:
    """Console entry point."""
    app()


if __name__ == "__main__":
    main()
