"""The global event log as auditors read it: every event whole.

The history view gives each event's envelope (who, both clocks, causation, leaf hash); the
event's own fields come from the events table, joined by position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from eventsourcing.persistence import Mapper
from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import to_jsonable_python

from application.persistence.database import Database
from application.projections.history import TABLE as HISTORY
from domain.actor import Actor
from domain.visibility import ENVELOPE_FIELDS


class LogEvent(BaseModel):
    """One event of the global log, with its place in the audit ledger."""

    model_config = ConfigDict(frozen=True)

    position: int = Field(description="Position in the global log.")
    aggregate_id: UUID
    aggregate_kind: Literal["model", "directive", "appeal"]
    version: int = Field(description="The event's version within its aggregate.")
    type: str = Field(description="The event's name, e.g. `Suspended`.")
    actor: Actor | None
    effective_at: datetime | None
    recorded_at: datetime
    causation_id: UUID | None = Field(description="The appeal or directive that caused it.")
    leaf_hash: str = Field(description="Its audit-ledger leaf hash, hex.")
    data: dict[str, Any] = Field(description="The event's own fields, unredacted.")


def state_decoder(mapper: Mapper) -> Callable[[bytes], Any]:
    """Stored state bytes to the event's fields, as the mapper reads them (no upcasting)."""

    def decode(state: bytes) -> Any:
        if mapper.cipher is not None:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor is not None:
            state = mapper.compressor.decompress(state)
        return mapper.transcoder.decode(state)

    return decode


def _sorted(value: Any) -> Any:
    """JSON values with every object's keys sorted, whatever order a state was stored in."""
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def _event(row: Any, decode: Callable[[bytes], Any]) -> LogEvent:
    # The state holds the event's own fields and, beside them, some of its envelope.
    own = {k: v for k, v in decode(bytes(row["state"])).items() if k not in ENVELOPE_FIELDS}
    actor = None
    if row["actor_org"] is not None:
        actor = Actor(org=row["actor_org"], role=row["actor_role"])
    return LogEvent(
        position=row["position"],
        aggregate_id=row["aggregate_id"],
        aggregate_kind=row["aggregate_kind"],
        version=row["version"],
        type=row["type"],
        actor=actor,
        effective_at=row["effective_at"],
        recorded_at=row["recorded_at"],
        causation_id=row["causation_id"],
        leaf_hash=row["leaf_hash"],
        data=_sorted(to_jsonable_python(own)),
    )


def read_log(
    db: Database, decode: Callable[[bytes], Any], after: int, limit: int
) -> list[LogEvent]:
    """At most `limit` events after a log position, in log order."""
    events, position = db.config.events_table, db.config.position_column
    rows = db.fetchall(
        f"SELECT h.*, e.state AS state FROM {HISTORY} h "
        f"JOIN {events} e ON e.{position} = h.position "
        "WHERE h.position > ? ORDER BY h.position LIMIT ?",
        (after, limit),
    )
    return [_event(row, decode) for row in rows]
