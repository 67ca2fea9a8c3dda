"""`regledger principal add|list|revoke`: the holders of API tokens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Column, Table

from application.principals import GRANTABLE_ROLES, Principal, PrincipalStore
from domain.errors import DomainError
from interfaces.cli.common import err, fail, open_system, out

ROLES = ", ".join(str(r) for r in GRANTABLE_ROLES)

principal = typer.Typer(help="Manage API principals and their bearer tokens.", no_args_is_help=True)


@contextmanager
def _store() -> Iterator[PrincipalStore]:
    with open_system() as system:
        yield PrincipalStore(system.app.db, system.app.clock)


def _as_dict(p: Principal) -> dict[str, str | None]:
    return {
        "id": p.id,
        "org": p.org,
        "role": str(p.role),
        "created_at": p.created_at.isoformat(),
        "revoked_at": p.revoked_at.isoformat() if p.revoked_at else None,
    }


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


@principal.command("add")
def add(
    org: Annotated[str, typer.Option(help="The organisation's slug, e.g. us-bis.")],
    role: Annotated[str, typer.Option(help=f"One of: {ROLES}.")],
) -> None:
    """Create a principal; prints its token alone on standard output (shown only once)."""
    with _store() as store:
        try:
            created, token = store.add(org, role)
        except DomainError as e:
            fail(e.detail)
    typer.echo(token)
    err.print(f"principal {created.id}: {created.org} ({created.role})", highlight=False)


@principal.command("list")
def list_principals(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List every principal, revoked ones included (tokens are never shown)."""
    with _store() as store:
        everyone = store.list_principals()
    if as_json:
        typer.echo(json.dumps([_as_dict(p) for p in everyone], indent=2))
        return
    table = Table(
        Column("org", overflow="fold"),
        "role",
        Column("created", overflow="fold"),
        "status",
        Column("id", no_wrap=True, min_width=36),  # `revoke` needs all of it
    )
    for p in everyone:
        status = f"revoked {_minute(p.revoked_at)}" if p.revoked_at else "active"
        table.add_row(p.org, str(p.role), _minute(p.created_at), status, p.id)
    out.print(table)


@principal.command("revoke")
def revoke(principal_id: Annotated[str, typer.Argument(help="The principal's id.")]) -> None:
    """Revoke a principal's token; it is refused from the next request on."""
    with _store() as store:
        try:
            revoked = store.revoke(principal_id)
        except DomainError as e:
            fail(e.detail)
    err.print(f"revoked {revoked.id} ({revoked.org}, {revoked.role})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `principal` command group."""
    app.add_typer(principal, name="principal")
