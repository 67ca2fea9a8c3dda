"""The access view's tables, and the compact facts it keeps of the events that bear on access.

A decision is never stored per segment. What is stored grows with what was *said*, not with
the number of segments a statement reaches:

- `records`: every model and directive event that bears on access, in compact form;
- `acts`: each provider act once per (user class, jurisdiction) pair its scope names, so
  the latest act covering a segment is four index seeks away;
- `retirements`: when a model was retired;
- `spans`: each directive's effect over effective time (bitemporal, see `spans.py`);
- `listings` and `grid`: which directives ever listed a model, and the values its
  segments are made of (each with the position that first mentioned it).

On SQLite the acts are a `WITHOUT ROWID` table: the rows live in their key's own b-tree, so
a rebuild writes each act into one b-tree instead of a table and its key's index (a
rebuild of the view alone ran ≈3% faster, and the store is ≈13% smaller).
PostgreSQL has no such clause, and keeps its tables as before (`Database.create`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from application.persistence.database import Cursor
from application.persistence.jsontext import Encoder, loads
from application.projections.acts import Fact
from application.projections.base import Item
from application.projections.stamps import stamp, unstamp
from application.projections.topics import topic_parts
from domain.scope import Scope

FACTS = "regledger_access_records_v3"
LINKS = "regledger_access_listings_v3"
MENTIONS = "regledger_access_grid_v3"
ACTS = "regledger_access_acts_v3"
RETIREMENTS = "regledger_access_retirements_v3"
SPANS = "regledger_access_spans_v3"

# The tables of the view's earlier layouts: the first (a row per segment and interval), and
# the second (these tables, the acts kept beside an index of their own). Their names are
# never reused, so dropping them can only remove those layouts.
SUPERSEDED = (
    "regledger_access_status",
    "regledger_access_facts",
    "regledger_access_links",
    "regledger_access_mentions",
    "regledger_access_records",
    "regledger_access_listings",
    "regledger_access_grid",
    "regledger_access_acts",
    "regledger_access_retirements",
    "regledger_access_spans",
)

FIELDS: dict[str, tuple[str, ...]] = {
    "Registered": (),
    "Suspended": ("scope", "reason", "directive_id", "appeal_id"),
    "Restored": ("scope", "reason", "directive_id", "appeal_id"),
    "Retired": ("reason",),
    "Issued": ("reference", "authority", "model_ids", "scope", "expires_at"),
    "Amended": ("scope", "model_ids", "expires_at", "reason", "appeal_id"),
    "Stayed": ("reason", "appeal_id"),
    "StayLifted": ("reason", "appeal_id"),
    "Rescinded": ("reason", "appeal_id"),
    "Expired": (),
    "AppealLodged": ("appeal_id",),
    "AppealClosed": ("appeal_id", "outcome"),
}

SPAN_COLUMNS = (
    "directive_id, issued_position, valid_from, valid_to, recorded_from, recorded_to, "
    "model_ids, classes, places, restricts, basis"
)

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {FACTS} ("
    "owner_id TEXT NOT NULL, position BIGINT NOT NULL, effective_at TEXT NOT NULL, "
    "name TEXT NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (owner_id, position))",
    f"CREATE TABLE IF NOT EXISTS {LINKS} ("
    "model_id TEXT NOT NULL, directive_id TEXT NOT NULL, position BIGINT NOT NULL, "
    "PRIMARY KEY (model_id, directive_id))",
    f"CREATE INDEX IF NOT EXISTS {LINKS}_directive ON {LINKS} (directive_id)",
    f"CREATE TABLE IF NOT EXISTS {MENTIONS} ("
    "model_id TEXT NOT NULL, axis TEXT NOT NULL, value TEXT NOT NULL, "
    "position BIGINT NOT NULL, PRIMARY KEY (model_id, axis, value))",
    f"CREATE TABLE IF NOT EXISTS {ACTS} ("
    "model_id TEXT NOT NULL, user_class TEXT NOT NULL, jurisdiction TEXT NOT NULL, "
    "effective_at TEXT NOT NULL, position BIGINT NOT NULL, suspended INTEGER NOT NULL, "
    "PRIMARY KEY (model_id, user_class, jurisdiction, effective_at, position)) WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {RETIREMENTS} ("
    "model_id TEXT PRIMARY KEY, position BIGINT NOT NULL, effective_at TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {SPANS} ("
    "directive_id TEXT NOT NULL, issued_position BIGINT NOT NULL, "
    "valid_from TEXT NOT NULL, valid_to TEXT, "
    "recorded_from BIGINT NOT NULL, recorded_to BIGINT, "
    "model_ids TEXT NOT NULL, classes TEXT NOT NULL, places TEXT NOT NULL, "
    "restricts INTEGER NOT NULL, basis TEXT NOT NULL, "
    "PRIMARY KEY (directive_id, valid_from, recorded_from))",
]

DIGESTS = [
    f"SELECT * FROM {FACTS} ORDER BY owner_id, position",
    f"SELECT * FROM {LINKS} ORDER BY model_id, directive_id",
    f"SELECT * FROM {MENTIONS} ORDER BY model_id, axis, value",
    f"SELECT * FROM {ACTS} ORDER BY model_id, user_class, jurisdiction, effective_at, position",
    f"SELECT * FROM {RETIREMENTS} ORDER BY model_id",
    f"SELECT * FROM {SPANS} ORDER BY directive_id, valid_from, recorded_from",
]

TABLES = (FACTS, LINKS, MENTIONS, ACTS, RETIREMENTS, SPANS)


_PAYLOAD = Encoder(sort_keys=True)
_IDS = ("directive_id", "appeal_id")


def _scope_data(scope: Scope) -> dict[str, list[str]]:
    return {"jurisdictions": list(scope.jurisdictions), "user_classes": list(scope.user_classes)}


def fact_of(item: Item) -> Fact | None:
    """The fact an event contributes to access, or None when it contributes none.

    Built straight from the decoded event, with the values `decode(encode(fact))` yields
    (times in UTC, ids as text, the scope both as a value and as plain data).
    """
    kind, name = topic_parts(item.topic)
    fields = FIELDS.get(name)
    if fields is None or kind not in ("model", "directive"):
        return None
    data: dict[str, Any] = {}
    scope: Scope | None = None
    for field in fields:
        if field in _IDS:
            data[field] = item.id_text(field)
            continue
        value = item.get(field)
        if value is None or type(value) is str:
            data[field] = value
        elif field == "scope":
            scope = value
            data[field] = _scope_data(value)
        elif field == "expires_at":
            data[field] = value.astimezone(UTC)
        elif field == "model_ids":
            data[field] = [str(v) for v in value]
        else:
            data[field] = _plain(value)
    effective_at, stamped = item.time_and_stamp("effective_at")
    return Fact(
        item.aggregate_key,
        item.position,
        effective_at.astimezone(UTC),
        name,
        data,
        scope,
        stamped,
    )


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def decode(owner_id: str, position: int, effective_at: str, name: str, payload: str) -> Fact:
    """A fact from its stored columns."""
    data = loads(payload.encode("utf-8"))
    scope = Scope.model_validate(data["scope"]) if data.get("scope") else None
    if data.get("expires_at") is not None:
        data["expires_at"] = unstamp(data["expires_at"])
    return Fact(owner_id, position, unstamp(effective_at), name, data, scope, effective_at)


def encode(fact: Fact) -> tuple[Any, ...]:
    """A fact's stored columns.

    Its data holds plain values (the scope as `_scope_data` gives it), but for `expires_at`,
    a time, as both `fact_of` and `decode` make it.
    """
    data = fact.data
    expires_at = data.get("expires_at")
    if expires_at is not None:
        data = {**data, "expires_at": stamp(expires_at)}
    return (
        fact.owner_id,
        fact.position,
        fact.effective_stamp,
        fact.name,
        _PAYLOAD.encode(data),
    )


def read_facts(cur: Cursor, owner_id: str, known_at: int | None = None) -> list[Fact]:
    """One model's or directive's facts in log order (up to `known_at`)."""
    query = f"SELECT owner_id, position, effective_at, name, payload FROM {FACTS} WHERE owner_id=?"
    params: tuple[Any, ...] = (owner_id,)
    if known_at is not None:
        query += " AND position <= ?"
        params += (known_at,)
    cur.execute(query + " ORDER BY position", params)
    return [
        decode(r["owner_id"], r["position"], r["effective_at"], r["name"], r["payload"])
        for r in cur.fetchall()
    ]
