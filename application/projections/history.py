"""The history view: every event in log order, with who, when (two clocks), why and its hash."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from application.persistence.database import Cursor
from application.projections.base import Item, View
from application.projections.ledger import event_leaf_hash

TABLE = "regledger_history"

CAUSE_FIELDS = ("appeal_id", "directive_id")


def causation_of(event: Any) -> str | None:
    """The id of the record that caused an event, where it has one."""
    for name in CAUSE_FIELDS:
        value = getattr(event, name, None)
        if value is not None and value != event.originator_id:
            return str(value)
    return None


class HistoryView(View):
    """Every event, in log order."""

    name = "view:history"
    tables = (TABLE,)

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "position BIGINT PRIMARY KEY, "
            "aggregate_id TEXT NOT NULL, "
            "aggregate_kind TEXT NOT NULL, "
            "version INTEGER NOT NULL, "
            "type TEXT NOT NULL, "
            "actor_org TEXT, "
            "actor_role TEXT, "
            "effective_at TEXT, "
            "recorded_at TEXT NOT NULL, "
            "causation_id TEXT, "
            "leaf_hash TEXT NOT NULL, "
            "state TEXT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_agg ON {TABLE} (aggregate_id, version)",
            f"CREATE INDEX IF NOT EXISTS {TABLE}_recorded ON {TABLE} (recorded_at)",
        ]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        rows = []
        for item in items:
            event = item.event
            actor = getattr(event, "actor", None)
            effective = getattr(event, "effective_at", None)
            rows.append(
                (
                    item.position,
                    str(item.aggregate_id),
                    item.kind,
                    item.version,
                    item.name,
                    actor.org if actor else None,
                    str(actor.role) if actor else None,
                    effective.isoformat() if effective else None,
                    item.recorded_at.isoformat(),
                    causation_of(event),
                    event_leaf_hash(
                        item.aggregate_id, item.version, item.topic, item.state
                    ).hex(),
                    json.dumps(json.loads(item.state), sort_keys=True, separators=(",", ":")),
                )
            )
        cur.executemany(
            f"INSERT INTO {TABLE} VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    def digest_queries(self) -> list[str]:
        return [f"SELECT * FROM {TABLE} ORDER BY position"]
