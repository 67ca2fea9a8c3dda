"""`regledger demo`: record the reference story in an empty store and hand out its tokens."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Column, Table

from application.audit.errors import AuditError
from application.audit.service import AuditLedger
from application.demo import StoryIds, load_story, steps
from application.principals import PrincipalStore
from application.system import System
from domain.errors import DomainError
from interfaces.cli.common import err, fail, open_system, out, settings

# Who the story's readers and writers are: (organisation, role, what the token is for).
PRINCIPALS = (
    ("us-bis", "regulator", "issue, amend and rescind directives; negotiate; decide"),
    ("anthropic", "provider", "register, suspend and restore models; appeal; negotiate"),
    ("adobe", "stakeholder", "file submissions such as the joint letter"),
    ("trade-court", "adjudicator", "rule on stays and decide appeals; sees confidential filings"),
    ("audit-office", "auditor", "read the global log and its stream; sees confidential filings"),
)


@contextmanager
def _progress(total: int, quiet: bool) -> Iterator[Callable[[str], None]]:
    columns = (
        TextColumn("{task.description}", table_column=Column(width=52, no_wrap=True)),
        BarColumn(),
        MofNCompleteColumn(),
    )
    with Progress(*columns, console=err, transient=True, disable=quiet) as bar:
        task = bar.add_task("recording the story", total=total)

        def advance(caption: str) -> None:
            bar.update(task, advance=1, description=escape(caption))

        yield advance


def _record(system: System, quiet: bool) -> StoryIds:
    total = sum(1 for _ in steps())
    with _progress(total, quiet) as advance:
        try:
            ids = load_story(system.app, advance)
        except DomainError as e:
            fail(f"the story cannot be recorded here: {e.detail}")
    system.runner.catch_up()
    try:
        AuditLedger.for_system(system).sign_tree_head()
    except AuditError as e:
        fail(f"the story was recorded, but no tree head could be signed: {e}")
    return ids


def _principals(system: System) -> list[dict[str, str]]:
    store = PrincipalStore(system.app.db, system.app.clock)
    created = []
    for org, role, purpose in PRINCIPALS:
        principal, token = store.add(org, role)
        created.append(
            {"org": org, "role": role, "id": principal.id, "token": token, "purpose": purpose}
        )
    return created


def _summary(ids: StoryIds, position: int, principals: list[dict[str, str]]) -> dict[str, Any]:
    conf = settings()
    base = f"http://{conf.host}:{conf.port}"
    return {
        "position": position,
        "ids": {
            "fable_5": str(ids.fable),
            "mythos_5": str(ids.mythos),
            "directive": str(ids.directive),
            "appeal": str(ids.appeal),
        },
        "principals": principals,
        "ui": f"{base}/ui",
        "api": base,
    }


def _examples(summary: dict[str, Any]) -> list[str]:
    api, ids = summary["api"], summary["ids"]
    tokens = {p["org"]: p["token"] for p in summary["principals"]}
    return [
        f"curl {api}/v1/models/{ids['fable_5']}/status",
        f"curl '{api}/v1/models/{ids['fable_5']}/access?user_class=foreign_national"
        "&jurisdiction=CN&at=2026-10-01T00:00:00Z'",
        f"curl -H 'Authorization: Bearer {tokens['anthropic']}' {api}/v1/appeals/{ids['appeal']}",
        f"curl -H 'Authorization: Bearer {tokens['audit-office']}' {api}/v1/events?limit=5",
    ]


def _print(summary: dict[str, Any]) -> None:
    out.print(
        f"Recorded the reference story: {summary['position']} events, models Fable 5 and "
        "Mythos 5, directive, appeal, negotiation and settlement.",
        highlight=False,
    )
    table = Table(
        "organisation",
        "role",
        Column("token", no_wrap=True),
        title="Principals (tokens are shown only this once)",
        box=box.SIMPLE_HEAD,
    )
    for p in summary["principals"]:
        table.add_row(p["org"], p["role"], p["token"])
    out.print(table)
    out.print("Next: start the server with [bold]regledger serve[/], then open", highlight=False)
    out.print(f"  {summary['ui']}", markup=False, highlight=False, soft_wrap=True)
    out.print("or try the API:", highlight=False)
    for line in _examples(summary):
        out.print(f"  {line}", markup=False, highlight=False, soft_wrap=True)


def demo(
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Record the story even though the store already holds events "
            "(it still cannot be recorded twice).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print ids and tokens as JSON (no progress bar).")
    ] = False,
) -> None:
    """Load the reference story into an empty store, create its principals, print their tokens."""
    with open_system() as system:
        recorded = system.app.max_position()
        if recorded and not force:
            fail(
                f"the store already holds {recorded} events; the demo needs an empty store "
                "(pass --force to record the story alongside them)"
            )
        ids = _record(system, quiet=as_json)
        summary = _summary(ids, system.app.max_position(), _principals(system))
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
    else:
        _print(summary)


def register(app: typer.Typer) -> None:
    """Add `demo` to the command line."""
    app.command()(demo)
