"""`regledger status` and `regledger history`: the register's answers at the terminal."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import typer
from pydantic_core import to_jsonable_python
from rich import box
from rich.markup import escape
from rich.padding import Padding
from rich.table import Column, Table

from application.projections.runner import ProjectionTimeoutError
from application.queries import AccessDecision, BasisItem, ModelSummary, Queries, StatusMatrix
from application.system import System
from domain.appeal import Appeal
from domain.directive import Directive
from domain.errors import DomainError
from domain.model import Model
from domain.visibility import event_fields
from interfaces.cli.common import fail, open_system, out

KINDS = {Model.Registered: "model", Directive.Issued: "directive", Appeal.Filed: "appeal"}
STYLE = {
    "restricted": "red",
    "suspended": "yellow",
    "non_compliant": "bold red",
    "over_compliant": "yellow",
    "compliant": "green",
    "available": "green",
}
PAGE = 500
WIDE = 110  # narrower terminals get one block per row instead of a table


@contextmanager
def reading() -> Iterator[System]:
    """The configured system, its views brought up to the log; refusals become one line."""
    with open_system() as system:
        try:
            system.runner.catch_up()
            yield system
        except DomainError as e:
            fail(e.detail)
        except ProjectionTimeoutError as e:
            fail(str(e))


def parse_time(option: str, value: str | None) -> datetime | None:
    """An RFC 3339 time or a date; one without an offset is taken as UTC."""
    if value is None:
        return None
    text = value.strip()
    text = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option} must be a time such as 2026-09-20 or 2026-09-20T12:00:00Z, not {value!r}")
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_known_at(value: str | None) -> int | datetime | None:
    """A log position (a whole number) or a recorded time."""
    if value is not None and value.strip().isdigit():
        return int(value)
    return parse_time("--known-at", value)


def _models(queries: Queries) -> Iterator[ModelSummary]:
    after = None
    while True:
        page = queries.list_models(limit=PAGE, after=after)
        yield from page.items
        if page.next_after is None:
            return
        after = page.next_after


def find_model(queries: Queries, given: str) -> ModelSummary:
    """A model by id, by name, or by `provider/name`; one clear line when none or several."""
    try:
        return queries.get_model(UUID(given))
    except ValueError:
        pass
    wanted = given.strip().casefold()
    found = [
        m
        for m in _models(queries)
        if wanted in (m.name.casefold(), f"{m.provider}/{m.name}".casefold())
    ]
    if not found:
        fail(f"no model is named {given!r} (give its id, its name or provider/name)")
    if len(found) > 1:
        choices = ", ".join(f"{m.provider}/{m.name} ({m.id})" for m in found)
        fail(f"several models are named {given!r}: {choices}")
    return found[0]


def basis_text(item: BasisItem) -> str:
    """One reason, by reference, with the log positions of its events."""
    where = "#" + ",#".join(str(p) for p in item.positions)
    if item.kind == "directive":
        return f"{item.reference} {where}"
    if item.kind in ("appeal", "stay"):
        return f"{item.kind} on {item.reference} {where}"
    return f"{(item.event or 'act').lower()} {where}"


def _styled(value: str) -> str:
    return f"[{STYLE[value]}]{value}[/]" if value in STYLE else value


def _segment(d: AccessDecision) -> str:
    return f"{d.user_class}/{d.jurisdiction}"


def status(
    model: Annotated[str, typer.Argument(help="The model's id, name, or provider/name.")],
    at: Annotated[
        str | None, typer.Option("--at", help="Effective time (RFC 3339 or a date; default now).")
    ] = None,
    known_at: Annotated[
        str | None,
        typer.Option("--known-at", help="As known at a log position or a recorded time."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The status matrix of a model: every segment's legal, operational and compliance status."""
    moment, known = parse_time("--at", at), parse_known_at(known_at)
    with reading() as system:
        queries = Queries.of(system)
        found = find_model(queries, model)
        matrix = queries.status_matrix(found.id, at=moment, known_at=known)
    if as_json:
        typer.echo(json.dumps(matrix.model_dump(mode="json"), indent=2))
        return
    _print_status(found, matrix)


def _print_status(model: ModelSummary, matrix: StatusMatrix) -> None:
    title = escape(
        f"{model.name} ({model.provider}) at {matrix.at.isoformat()}, "
        f"as known at position {matrix.position}"
    )
    rows = [
        (
            escape(_segment(d)),
            _styled(d.legal_status),
            _styled(d.operational_status),
            _styled(d.compliance),
            f"{d.since:%Y-%m-%d}",
            escape("; ".join(basis_text(b) for b in d.basis) or "registration"),
        )
        for d in matrix.segments
    ]
    if out.width < WIDE:
        out.print(title, highlight=False)
        for segment, legal, operational, compliance, since, why in rows:
            out.print(f"  {segment}: {legal}, {operational}, {compliance} since {since}")
            out.print(Padding(f"basis: {why}", (0, 0, 0, 6)), highlight=False)
        return
    table = Table(
        Column("segment", no_wrap=True),
        Column("legal", no_wrap=True),
        Column("operational", no_wrap=True),
        Column("compliance", no_wrap=True),
        Column("since", no_wrap=True),
        Column("basis", overflow="fold", ratio=1),
        box=box.SIMPLE_HEAD,
        title=title,
    )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def _fields(event: Any, redact: bool) -> tuple[dict[str, Any], bool]:
    data, hidden = event_fields(event, redact)
    return to_jsonable_python(data), hidden


def history_of(system: System, aggregate_id: UUID) -> dict[str, Any]:
    """An aggregate's events with their log positions; confidential filings redacted."""
    events = system.app.aggregate_events(aggregate_id)
    positions = system.app.aggregate_positions(aggregate_id)
    entries = []
    for event in events:
        data, hidden = _fields(event, redact=True)
        actor = getattr(event, "actor", None)
        entries.append(
            {
                "type": type(event).__name__,
                "version": event.originator_version,
                "position": positions.get(event.originator_version),
                "effective_at": to_jsonable_python(getattr(event, "effective_at", None)),
                "recorded_at": event.timestamp.isoformat(),
                "actor": None if actor is None else {"org": actor.org, "role": str(actor.role)},
                "redacted": hidden,
                "data": data,
            }
        )
    kind = next((k for cls, k in KINDS.items() if isinstance(events[0], cls)), "aggregate")
    return {
        "id": str(aggregate_id),
        "kind": kind,
        "version": events[-1].originator_version,
        "events": entries,
    }


def _short(value: Any) -> str:
    text = str(value)
    try:
        UUID(text)
    except ValueError:
        return text
    return text[:8] + "…"


def _details(data: dict[str, Any], redacted: bool) -> str:
    shown = []
    for key, value in data.items():
        if value is None:
            continue
        if key == "signatories":
            value = f"{len(value)} signatories"
        elif isinstance(value, dict) and {"user_classes", "jurisdictions"} <= value.keys():
            value = f"{','.join(value['user_classes'])} × {','.join(value['jurisdictions'])}"
        elif isinstance(value, list):
            value = ",".join(_short(v) for v in value)
        shown.append(f"{key}={_short(value)}")
    if redacted:
        shown.append("content withheld (confidential)")
    return "; ".join(shown)


def _minute(text: str | None) -> str:
    return "" if not text else datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M")


def history(
    aggregate_id: Annotated[str, typer.Argument(help="A model's, directive's or appeal's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """The events of one model, directive or appeal, with their log positions."""
    try:
        wanted = UUID(aggregate_id)
    except ValueError:
        fail(f"{aggregate_id!r} is not an id (a UUID, as `regledger status` and the API show)")
    with reading() as system:
        record = history_of(system, wanted)
    if as_json:
        typer.echo(json.dumps(record, indent=2))
        return
    _print_history(record)


def _print_history(record: dict[str, Any]) -> None:
    title = f"{record['kind']} {record['id']} (version {record['version']})"
    rows = [
        (
            str(e["position"]),
            e["type"],
            f"{e['actor']['org']} ({e['actor']['role']})" if e["actor"] else "",
            _minute(e["effective_at"]),
            _minute(e["recorded_at"]),
            escape(_details(e["data"], e["redacted"])),
        )
        for e in record["events"]
    ]
    if out.width < WIDE:
        out.print(title, highlight=False)
        for position, kind, actor, effective, recorded, details in rows:
            out.print(f"  #{position} {kind} by {escape(actor)}", highlight=False)
            when = f"effective {effective}, recorded {recorded}"
            out.print(Padding(when, (0, 0, 0, 6)), highlight=False)
            out.print(Padding(details, (0, 0, 0, 6)), highlight=False)
        return
    table = Table(
        Column("pos", justify="right", no_wrap=True),
        Column("event", no_wrap=True),
        Column("by", no_wrap=True),
        Column("effective", no_wrap=True),
        Column("recorded", no_wrap=True),
        Column("details", overflow="fold", ratio=1),
        title=title,
        box=box.SIMPLE_HEAD,
    )
    for row in rows:
        table.add_row(*row)
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `status` and `history` to the command line."""
    app.command()(status)
    app.command()(history)
