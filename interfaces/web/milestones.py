"""The directive and appeal milestones that bear on one model, as known at a log position."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from application.queries import Queries
from application.service import Regledger

Kind = Literal["directive", "appeal"]

# Event name → the label a milestone carries on the chart.
DIRECTIVE_LABELS = {
    "Issued": "issued",
    "Amended": "amended",
    "Stayed": "stayed",
    "StayLifted": "stay lifted",
    "Rescinded": "rescinded",
    "Expired": "expired",
}
APPEAL_LABELS = {
    "Filed": "appeal filed",
    "StayGranted": "stay granted",
    "StayDenied": "stay denied",
    "ProposalAccepted": "terms agreed",
    "Decided": "appeal decided",
    "Withdrawn": "appeal withdrawn",
}
PAGE_SIZE = 500


@dataclass(frozen=True)
class Milestone:
    """One act on a directive or an appeal, placed at its effective time."""

    at: datetime
    position: int | None
    kind: Kind
    label: str
    detail: str
    href: str


def _recorded(app: Regledger, aggregate_id: UUID, known: int) -> list[tuple[int, Any]]:
    positions = app.aggregate_positions(aggregate_id)
    events = app.aggregate_events(aggregate_id)
    return [
        (positions[e.originator_version], e)
        for e in events
        if positions.get(e.originator_version, known + 1) <= known
    ]


def _directive_marks(app: Regledger, directive_id: UUID, known: int) -> list[Milestone]:
    href = f"/ui/directives/{directive_id}"
    marks: list[Milestone] = []
    reference, expires_at, expired = "", None, False
    for position, event in _recorded(app, directive_id, known):
        name = type(event).__name__
        reference = getattr(event, "reference", reference)
        if name in ("Issued", "Amended") and getattr(event, "expires_at", None) is not None:
            expires_at = event.expires_at
        expired = expired or name == "Expired"
        if name in DIRECTIVE_LABELS:
            label = f"{reference} {DIRECTIVE_LABELS[name]}"
            why = getattr(event, "reason", None) or getattr(event, "grounds", "")
            detail = f"{label} by {event.actor} (position {position}): {why}"
            marks.append(Milestone(event.effective_at, position, "directive", label, detail, href))
    if expires_at is not None and not expired:
        label = f"{reference} expires"
        marks.append(Milestone(expires_at, None, "directive", label, f"{label} (scheduled)", href))
    return marks


def _appeal_marks(app: Regledger, appeal_id: UUID, reference: str, known: int) -> list[Milestone]:
    href = f"/ui/appeals/{appeal_id}"
    marks = []
    for position, event in _recorded(app, appeal_id, known):
        name = type(event).__name__
        if name not in APPEAL_LABELS:
            continue
        label = APPEAL_LABELS[name]
        if name == "Decided":
            label = f"appeal decided: {event.outcome}"
        why = (
            getattr(event, "reason", None)
            or getattr(event, "reasons", None)
            or getattr(event, "grounds", "")
        )
        detail = f"{label} ({reference}) by {event.actor} (position {position}): {why}"
        marks.append(Milestone(event.effective_at, position, "appeal", label, detail, href))
    return marks


def model_milestones(
    app: Regledger, queries: Queries, model_id: UUID, known: int
) -> list[Milestone]:
    """Every milestone of the directives naming the model and of their appeals, in time order."""
    marks: list[Milestone] = []
    directives = queries.list_directives(model_id=model_id, limit=PAGE_SIZE).items
    for directive in directives:
        marks += _directive_marks(app, directive.id, known)
        for appeal in queries.list_appeals(directive_id=directive.id, limit=PAGE_SIZE).items:
            marks += _appeal_marks(app, appeal.id, directive.reference, known)
    return sorted(marks, key=lambda m: (m.at, m.position or 0))
