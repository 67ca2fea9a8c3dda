"""One aggregate's events as a public record, with confidential filings redacted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.domain import Aggregate
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from application.service import Regledger
from domain.actor import Actor
from domain.appeal import Appeal
from domain.visibility import event_fields
from interfaces.api.visibility import sees_confidential

Kind = Literal["model", "directive", "appeal"]


class HistoryEvent(BaseModel):
    """One recorded event of the aggregate."""

    type: str = Field(description="The event's name, e.g. `Suspended`.")
    version: int
    position: int = Field(description="The event's position in the global log.")
    effective_at: datetime | None
    recorded_at: datetime
    actor: Actor | None
    redacted: bool = Field(description="True when confidential fields were withheld.")
    data: dict[str, Any] = Field(description="The event's own fields.")


class History(BaseModel):
    """An aggregate's events in version order."""

    id: UUID
    kind: Kind
    version: int
    events: list[HistoryEvent]


def _entry(event: Any, hide: bool, position: int) -> HistoryEvent:
    fields, hidden = event_fields(event, hide)
    if hidden:
        fields["redacted"] = True
    return HistoryEvent(
        type=type(event).__name__,
        version=event.originator_version,
        position=position,
        effective_at=getattr(event, "effective_at", None),
        recorded_at=event.timestamp,
        actor=getattr(event, "actor", None),
        redacted=hidden,
        data=to_jsonable_python(fields),
    )


def _hidden_for(aggregate: Aggregate, viewer: Actor | None) -> Callable[[Any], bool]:
    if not isinstance(aggregate, Appeal):
        return lambda event: False
    return lambda event: (
        isinstance(event, Appeal.SubmissionAdded)
        and not sees_confidential(viewer, aggregate.appellant, aggregate.regulator, event.actor)
    )


def history(app: Regledger, kind: Kind, aggregate_id: UUID, viewer: Actor | None) -> History:
    """The events of one model, directive or appeal, as far as the viewer may see them."""
    load = {"model": app.get_model, "directive": app.get_directive, "appeal": app.get_appeal}
    aggregate = load[kind](aggregate_id)
    hidden = _hidden_for(aggregate, viewer)
    positions = app.aggregate_positions(aggregate_id)
    events = [
        _entry(e, hidden(e), positions[e.originator_version])
        for e in app.aggregate_events(aggregate_id)
        if e.originator_version <= aggregate.version
    ]
    return History(id=aggregate.id, kind=kind, version=aggregate.version, events=events)
