"""What each page shows, gathered from the read API: one function per page, plain dicts out."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from application.audit.errors import AuditError
from application.audit.service import AuditLedger
from application.audit.verify import verify
from application.queries import ModelSummary, Page, Queries, StatusMatrix
from application.system import System
from domain.errors import NotFoundError
from interfaces.web.case import case_file, record
from interfaces.web.chart import COMPACT, build_chart
from interfaces.web.formatting import KnownAt, day
from interfaces.web.milestones import model_milestones

T = TypeVar("T")

PAGE = 500
MAX_ROWS = 2000  # the register lists at most this many of each kind
WORST = ("non_compliant", "over_compliant", "compliant")
VERIFYING = threading.Lock()


def every(fetch: Callable[[int | None], Page[T]]) -> Iterator[T]:
    """The items of a paged list, page after page, up to MAX_ROWS."""
    after, count = None, 0
    while True:
        page = fetch(after)
        for item in page.items:
            yield item
            count += 1
        if page.next_after is None or count >= MAX_ROWS:
            return
        after = page.next_after


@dataclass(frozen=True)
class StatusSummary:
    """A model's status matrix in three numbers and a word."""

    segments: int
    restricted: int
    suspended: int
    compliance: str


def summarise(matrix: StatusMatrix) -> StatusSummary:
    """Counts of restricted and suspended segments, and the worst compliance among them."""
    seen: Counter[str] = Counter(d.compliance for d in matrix.segments)
    return StatusSummary(
        segments=len(matrix.segments),
        restricted=sum(d.legal_status == "restricted" for d in matrix.segments),
        suspended=sum(d.operational_status == "suspended" for d in matrix.segments),
        compliance=next((c for c in WORST if seen[c]), "compliant"),
    )


def _status_now(queries: Queries, model: ModelSummary) -> StatusSummary | None:
    try:
        return summarise(queries.status_matrix(model.id))
    except NotFoundError:  # registered with an effective time still to come
        return None


def register_page(system: System) -> dict[str, Any]:
    """Every model with its status now, every directive and appeal, and the open cases."""
    queries = Queries.of(system)
    models = list(every(lambda after: queries.list_models(limit=PAGE, after=after)))
    directives = list(every(lambda after: queries.list_directives(limit=PAGE, after=after)))
    return {
        "models": [(m, _status_now(queries, m)) for m in models],
        "names": {m.id: m.name for m in models},
        "directives": directives,
        "references": {d.id: d.reference for d in directives},
        "appeals": list(every(lambda after: queries.list_appeals(limit=PAGE, after=after))),
        "cases": queries.list_cases(),
        "position": queries.position(),
        "now": queries.clock(),
    }


def _related(queries: Queries, model_id: UUID) -> list[tuple[Any, list[Any]]]:
    directives = queries.list_directives(model_id=model_id, limit=PAGE).items
    return [(d, queries.list_appeals(directive_id=d.id, limit=PAGE).items) for d in directives]


def model_page(
    system: System, model_id: UUID, at: datetime | None, known_at: KnownAt
) -> dict[str, Any]:
    """A model's timeline chart as known at a position, and its status at an effective time."""
    queries = Queries.of(system)
    model = queries.get_model(model_id)
    first = min(system.app.aggregate_positions(model_id).values())
    held = queries.position()
    known = queries.known_position(known_at)
    moment = at if at is not None else queries.clock()
    page: dict[str, Any] = {
        "model": model,
        "at": at,
        "moment": moment,
        "known": known,
        "held": held,
        "first": first,
        "chart": None,
        "matrix": None,
        "notice": None,
        "related": _related(queries, model_id),
    }
    if known < first:
        page["notice"] = (
            f"{model.name} was first recorded at log position {first}; at position {known} "
            "the register did not know it yet."
        )
        return page
    timeline = queries.access_timeline(model_id, known_at=known)
    milestones = model_milestones(system.app, queries, model_id, known)
    page["chart"] = build_chart(model.name, timeline, milestones, moment)
    page["compact"] = build_chart(model.name, timeline, milestones, moment, COMPACT)
    page["milestones"] = milestones
    try:
        page["matrix"] = queries.status_matrix(model_id, at=moment, known_at=known)
    except NotFoundError:
        page["notice"] = (
            f"{model.name} did not exist on {day(moment)}: it exists from its registration "
            f"on {day(timeline.registered_at)}."
        )
    return page


def _model_names(queries: Queries, ids: list[UUID]) -> dict[UUID, str]:
    names = {}
    for model_id in ids:
        try:
            names[model_id] = queries.get_model(model_id).name
        except NotFoundError:
            names[model_id] = str(model_id)
    return names


def directive_page(system: System, directive_id: UUID) -> dict[str, Any]:
    """A directive: its terms, whom it reaches now, its appeals and its record."""
    queries = Queries.of(system)
    directive = queries.get_directive(directive_id)
    try:
        reach = queries.directive_reach(directive_id)
    except NotFoundError:
        reach = None
    _, lines = record(system.app, directive_id)
    return {
        "directive": directive,
        "names": _model_names(queries, directive.model_ids),
        "reach": reach,
        "appeals": queries.list_appeals(directive_id=directive_id, limit=PAGE).items,
        "record": lines,
        "now": queries.clock(),
    }


def appeal_page(system: System, appeal_id: UUID) -> dict[str, Any]:
    """An appeal: grounds, stay, the negotiation thread, the filings and the decision."""
    queries = Queries.of(system)
    appeal = queries.get_appeal(appeal_id)
    directive = queries.get_directive(appeal.directive_id)
    return {
        "appeal": appeal,
        "directive": directive,
        "names": _model_names(queries, directive.model_ids),
        "case": case_file(system.app, appeal_id),
    }


def audit_page(system: System, run_verify: bool = False) -> dict[str, Any]:
    """The latest signed tree head; with `run_verify`, the outcome of a full verification."""
    ledger = AuditLedger.for_system(system)
    try:
        head = ledger.latest_tree_head()
    except NotFoundError:
        head = None
    page: dict[str, Any] = {
        "head": head,
        "size": ledger.size(),
        "position": system.app.max_position(),
        "report": None,
        "verify_error": None,
    }
    if run_verify:
        page |= _verify(system)
    return page


def _verify(system: System) -> dict[str, Any]:
    # A verification replays every view: one at a time, however many visitors press the button.
    if not VERIFYING.acquire(blocking=False):
        return {"verify_error": "another verification is running; try again when it is done"}
    try:
        return {"report": verify(system, None, views=True)}
    except AuditError as e:
        return {"verify_error": str(e)}
    finally:
        VERIFYING.release()
