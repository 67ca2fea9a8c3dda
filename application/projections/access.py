"""The access status view: bitemporal rows per model and segment, on two time axes.

Each row says what one segment's decision was over an interval of effective time
(`valid_from` ≤ t < `valid_to`, NULL = open), as the register knew it over an interval of
log positions (`recorded_from` ≤ p < `recorded_to`, NULL = still current). When an event
at position P touches a model, the model's timeline is recomputed from its own facts from
the event's effective time on, compared with the current rows, and only the rows that
differ are closed (`recorded_to` = P) and replaced (`recorded_from` = P).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from application.persistence.database import Cursor
from application.projections import access_facts
from application.projections.access_facts import FactStore, fact_of
from application.projections.acts import Fact, canonical
from application.projections.base import Item, View
from application.projections.stamps import stamp, stamp_or_none, unstamp, unstamp_or_none
from application.projections.timeline import Interval, timeline
from domain.scope import Scope, Segment

STATUS = "regledger_access_status"

KEY_COLUMNS = ("valid_from", "valid_to", "legal", "operational", "compliance", "since", "basis")
COLUMNS = "user_class, jurisdiction, " + ", ".join(KEY_COLUMNS)

Key = tuple[Any, ...]


class AccessView(View):
    """Legal status, operational status and compliance per model and segment, over time."""

    name = "view:access"
    tables = (STATUS, access_facts.FACTS, access_facts.LINKS, access_facts.MENTIONS)

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {STATUS} ("
            "model_id TEXT NOT NULL, user_class TEXT NOT NULL, jurisdiction TEXT NOT NULL, "
            "valid_from TEXT NOT NULL, valid_to TEXT, "
            "recorded_from BIGINT NOT NULL, recorded_to BIGINT, "
            "legal TEXT NOT NULL, operational TEXT NOT NULL, compliance TEXT NOT NULL, "
            "since TEXT NOT NULL, basis TEXT NOT NULL, "
            "PRIMARY KEY (model_id, user_class, jurisdiction, valid_from, recorded_from))",
            f"CREATE INDEX IF NOT EXISTS {STATUS}_current "
            f"ON {STATUS} (model_id, recorded_to, valid_to)",
            f"CREATE INDEX IF NOT EXISTS {STATUS}_recorded ON {STATUS} (recorded_from)",
            *access_facts.CREATE,
        ]

    def digest_queries(self) -> list[str]:
        return [
            f"SELECT * FROM {STATUS} "
            "ORDER BY model_id, user_class, jurisdiction, valid_from, recorded_from",
            *access_facts.DIGESTS,
        ]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        store = FactStore(cur)
        for item in items:
            fact = fact_of(item)
            if fact is None:
                continue
            if item.kind == "model":
                touched = _model_fact(store, fact)
            else:
                touched = _directive_fact(store, fact)
            for model_id, new_segments in touched.items():
                _recompute(cur, store, model_id, fact, new_segments)


def _model_fact(store: FactStore, fact: Fact) -> dict[str, list[Segment]]:
    store.add(fact, "model")
    model_id = fact.owner_id
    if fact.name == "Registered":
        return {model_id: store.mention(model_id, [Scope.everyone()], fact.position)}
    scopes = [fact.scope] if fact.scope is not None else []
    return {model_id: store.mention(model_id, scopes, fact.position)}


def _directive_fact(store: FactStore, fact: Fact) -> dict[str, list[Segment]]:
    store.add(fact, "directive")
    directive_id, position = fact.owner_id, fact.position
    touched: dict[str, list[Segment]] = {m: [] for m in store.links(directive_id)}
    scopes = [f.scope for f in store.directive(directive_id) if f.scope is not None]
    for model_id in fact.data.get("model_ids") or ():
        if store.link(model_id, directive_id, position):
            touched[model_id] = store.mention(model_id, scopes, position)
    if fact.scope is not None:
        for model_id in store.links(directive_id):
            touched[model_id] = touched.get(model_id, []) + store.mention(
                model_id, [fact.scope], position
            )
    return touched


def _reach(store: FactStore, fact: Fact) -> list[Scope] | None:
    """The scopes outside which a fact changes no segment (None: it may change any)."""
    if fact.name in ("Registered", "Retired"):
        return None
    if fact.name in ("Suspended", "Restored"):
        return [fact.scope] if fact.scope is not None else None
    return [f.scope for f in store.directive(fact.owner_id) if f.scope is not None]


def _recompute(
    cur: Cursor, store: FactStore, model_id: str, fact: Fact, new_segments: list[Segment]
) -> None:
    facts = store.model(model_id)
    if facts is None:
        return
    start = max(fact.effective_at, facts.registered.effective_at)
    reach = _reach(store, fact)
    fresh = set(new_segments)
    kept = [
        s
        for s in facts.grid()
        if s not in fresh and (reach is None or any(scope.covers(s) for scope in reach))
    ]
    if not kept and not new_segments:
        return
    current = _current_rows(cur, model_id, start)
    begin = stamp(start)
    carry = {
        s: interval_of(row)
        for s in kept
        for row in current.get((s.user_class, s.jurisdiction), [])
        if row["valid_from"] < begin
    }
    computed = timeline(facts, kept, start, carry) if kept else {}
    if new_segments:
        computed.update(timeline(facts, new_segments, facts.registered.effective_at))
    _write_difference(cur, model_id, fact.position, current, computed)


def _current_rows(cur: Cursor, model_id: str, start: datetime) -> dict[tuple[str, str], list[Any]]:
    """Current rows that reach `start` or later (two index ranges rather than one OR)."""
    rows: list[Any] = []
    base = f"SELECT {COLUMNS} FROM {STATUS} WHERE model_id=? AND recorded_to IS NULL AND "
    cur.execute(base + "valid_to IS NULL", (model_id,))
    rows += cur.fetchall()
    cur.execute(base + "valid_to >= ?", (model_id, stamp(start)))
    rows += cur.fetchall()
    out: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        out.setdefault((row["user_class"], row["jurisdiction"]), []).append(row)
    return out


def interval_of(row: Any) -> Interval:
    """An interval from a stored row."""
    return Interval(
        valid_from=unstamp(row["valid_from"]),
        valid_to=unstamp_or_none(row["valid_to"]),
        legal=row["legal"],
        operational=row["operational"],
        compliance=row["compliance"],
        since=unstamp(row["since"]),
        basis=tuple(canonical(item) for item in json.loads(row["basis"])),
    )


def _row_key(row: Any) -> Key:
    return tuple(row[c] for c in KEY_COLUMNS)


def _key(iv: Interval) -> Key:
    return (
        stamp(iv.valid_from),
        stamp_or_none(iv.valid_to),
        iv.legal,
        iv.operational,
        iv.compliance,
        stamp(iv.since),
        iv.basis_json(),
    )


def _write_difference(
    cur: Cursor,
    model_id: str,
    position: int,
    current: dict[tuple[str, str], list[Any]],
    computed: dict[Segment, list[Interval]],
) -> None:
    closes: list[tuple[Any, ...]] = []
    inserts: list[tuple[Any, ...]] = []
    for segment, intervals in computed.items():
        u, j = segment.user_class, segment.jurisdiction
        old = {_row_key(row) for row in current.get((u, j), [])}
        new = {_key(iv) for iv in intervals}
        closes += [(position, model_id, u, j, k[0]) for k in sorted(old - new)]
        inserts += [(model_id, u, j, k[0], k[1], position, None, *k[2:]) for k in sorted(new - old)]
    cur.executemany(
        f"UPDATE {STATUS} SET recorded_to=? WHERE model_id=? AND user_class=? "
        "AND jurisdiction=? AND valid_from=? AND recorded_to IS NULL",
        closes,
    )
    cur.executemany(f"INSERT INTO {STATUS} VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", inserts)
