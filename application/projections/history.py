"""The history view: every event in log order, with who, when (two clocks), why and its hash.

The event's own fields are not copied: readers of the log join the events table by
position (`application.queries.log`), so each event's state is stored once.
"""

from __future__ import annotations

from collections.abc import Sequence

from application.persistence.database import Cursor
from application.projections.base import Item, View
from application.projections.topics import topic_parts

TABLE = "regledger_history_v2"
# The first layout's table (it also held a copy of each event's state). Never reused.
SUPERSEDED = "regledger_history"

CAUSE_FIELDS = ("appeal_id", "directive_id")


def causation_of(item: Item) -> str | None:
    """The id of the record that caused an event, where it has one."""
    for name in CAUSE_FIELDS:
        value = item.id_text(name)
        if value is not None and value != item.aggregate_key:
            return value
    return None


class HistoryView(View):
    """Every event, in log order."""

    # The name carries the layout's version: a store kept by the first layout has no
    # tracking record under this name, so the runner rebuilds the view from the log.
    name = "view:history:v2"
    tables = (TABLE,)
    cost = 3.0

    def create_statements(self) -> list[str]:
        return [
            f"DROP TABLE IF EXISTS {SUPERSEDED}",
            f"CREATE TABLE IF NOT EXISTS {TABLE} ("
            "position INTEGER PRIMARY KEY, "
            "aggregate_id TEXT NOT NULL, "
            "aggregate_kind TEXT NOT NULL, "
            "version INTEGER NOT NULL, "
            "type TEXT NOT NULL, "
            "actor_org TEXT, "
            "actor_role TEXT, "
            "effective_at TEXT, "
            "recorded_at TEXT NOT NULL, "
            "causation_id TEXT, "
            "leaf_hash TEXT NOT NULL)",
            # No query reads history by aggregate (an aggregate's events come from the event
            # store); an index on it would cost a random-order insert per event.
            f"CREATE INDEX IF NOT EXISTS {TABLE}_recorded ON {TABLE} (recorded_at)",
        ]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        rows = []
        for item in items:
            actor = item.get("actor")
            kind, name = topic_parts(item.topic)
            rows.append(
                (
                    item.position,
                    item.aggregate_key,
                    kind,
                    item.version,
                    name,
                    actor.org if actor else None,
                    str(actor.role) if actor else None,
                    item.time_text("effective_at"),
                    item.time_text("timestamp"),
                    causation_of(item),
                    item.leaf_hash.hex(),
                )
            )
        cur.executemany(
            f"INSERT INTO {TABLE} VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )

    def digest_queries(self) -> list[str]:
        return [f"SELECT * FROM {TABLE} ORDER BY position"]
