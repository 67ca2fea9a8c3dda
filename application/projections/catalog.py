"""The catalog view: one row per model, directive and appeal, as last recorded (for lists)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from application.persistence.database import Cursor
from application.persistence.jsontext import Encoder
from application.projections.base import Item, View
from application.projections.stamps import stamp, stamp_or_none
from application.projections.topics import topic_parts

MODELS = "regledger_models"
DIRECTIVES = "regledger_directives"
DIRECTIVE_MODELS = "regledger_directive_models"
APPEALS = "regledger_appeals"


_TABLES = {"model": MODELS, "directive": DIRECTIVES, "appeal": APPEALS}


# json.dumps(value, sort_keys=True, separators=(",", ":")), set up once, not per call.
_JSON = Encoder(sort_keys=True)


def _json(value: Any) -> str:
    return _JSON.encode(value)


def _scope_json(scope: Any) -> str | None:
    return None if scope is None else _json(scope.model_dump(mode="json"))


class CatalogView(View):
    """Models, directives and appeals in their latest recorded state."""

    name = "view:catalog"
    tables = (MODELS, DIRECTIVES, DIRECTIVE_MODELS, APPEALS)
    cost = 1.5

    def create_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {MODELS} ("
            "id TEXT PRIMARY KEY, seq BIGINT NOT NULL, provider TEXT NOT NULL, "
            "name TEXT NOT NULL, description TEXT NOT NULL, registered_at TEXT NOT NULL, "
            "retired INTEGER NOT NULL, version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {MODELS}_provider ON {MODELS} (provider, seq)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {MODELS}_seq ON {MODELS} (seq)",
            f"CREATE TABLE IF NOT EXISTS {DIRECTIVES} ("
            "id TEXT PRIMARY KEY, seq BIGINT NOT NULL, reference TEXT NOT NULL, "
            "regulator TEXT NOT NULL, provider TEXT NOT NULL, model_ids TEXT NOT NULL, "
            "scope TEXT NOT NULL, authority TEXT NOT NULL, grounds TEXT NOT NULL, "
            "effective_at TEXT NOT NULL, expires_at TEXT, stayed INTEGER NOT NULL, "
            "rescinded INTEGER NOT NULL, expired_recorded INTEGER NOT NULL, "
            "open_appeal_id TEXT, version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {DIRECTIVES}_seq ON {DIRECTIVES} (seq)",
            f"CREATE INDEX IF NOT EXISTS {DIRECTIVES}_due ON {DIRECTIVES} (expires_at)",
            f"CREATE TABLE IF NOT EXISTS {DIRECTIVE_MODELS} ("
            "directive_id TEXT NOT NULL, model_id TEXT NOT NULL, "
            "PRIMARY KEY (model_id, directive_id))",
            # Replacing a directive's models deletes by directive: without this index that
            # delete reads the whole table, and rebuilds slow down as the register grows.
            f"CREATE INDEX IF NOT EXISTS {DIRECTIVE_MODELS}_directive "
            f"ON {DIRECTIVE_MODELS} (directive_id)",
            f"CREATE TABLE IF NOT EXISTS {APPEALS} ("
            "id TEXT PRIMARY KEY, seq BIGINT NOT NULL, directive_id TEXT NOT NULL, "
            "appellant TEXT NOT NULL, regulator TEXT NOT NULL, status TEXT NOT NULL, "
            "stay TEXT NOT NULL, stay_requested INTEGER NOT NULL, filed_at TEXT NOT NULL, "
            "respond_by TEXT NOT NULL, submissions INTEGER NOT NULL, round INTEGER NOT NULL, "
            "latest_proposal TEXT, lapsed TEXT NOT NULL, outcome TEXT, "
            "version INTEGER NOT NULL, last_position BIGINT NOT NULL)",
            f"CREATE UNIQUE INDEX IF NOT EXISTS {APPEALS}_seq ON {APPEALS} (seq)",
            f"CREATE INDEX IF NOT EXISTS {APPEALS}_directive ON {APPEALS} (directive_id, seq)",
            f"CREATE INDEX IF NOT EXISTS {APPEALS}_status ON {APPEALS} (status, respond_by)",
        ]

    def digest_queries(self) -> list[str]:
        return [
            f"SELECT * FROM {MODELS} ORDER BY seq",
            f"SELECT * FROM {DIRECTIVES} ORDER BY seq",
            f"SELECT * FROM {DIRECTIVE_MODELS} ORDER BY model_id, directive_id",
            f"SELECT * FROM {APPEALS} ORDER BY seq",
        ]

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        latest: dict[tuple[str, str], tuple[int, int]] = {}
        inserted: dict[tuple[str, str], tuple[int, int]] = {}
        batch = _Batch(cur)
        for item in items:
            kind, name = topic_parts(item.topic)
            handler = _HANDLERS.get((kind, name))
            if handler is not None:
                handler(batch, item)
            table = _TABLES.get(kind)
            if table is not None:
                key = (table, item.aggregate_key)
                latest[key] = (item.version, item.position)
                if handler in _CREATING:
                    inserted[key] = latest[key]
        # Only the batch's last version of each record is ever visible: one update each,
        # none for a record whose row this batch inserted with its last version.
        for table in _TABLES.values():
            cur.executemany(
                f"UPDATE {table} SET version=?, last_position=? WHERE id=?",
                [
                    (v, p, row_id)
                    for (t, row_id), (v, p) in latest.items()
                    if t == table and inserted.get((t, row_id)) != (v, p)
                ],
            )


class _Batch(Cursor):
    """The batch's cursor, remembering the appeal columns that later events read back.

    The view's reads see it as committed before the batch, so what the batch itself has
    written to those columns is kept here.
    """

    REMEMBERED = ("latest_proposal", "lapsed")

    def __init__(self, cur: Cursor) -> None:
        super().__init__(cur.db, cur.inner)
        self.cur = cur
        self.appeals: dict[str, dict[str, Any]] = {}

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.cur.execute(statement, params)

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.cur.executemany(statement, rows)

    def fetchall(self) -> list[Any]:
        return self.cur.fetchall()

    def fetchone(self) -> Any:
        return self.cur.fetchone()

    def remember(self, appeal_id: str, values: dict[str, Any]) -> None:
        """Note the remembered columns among `values`, written for `appeal_id`."""
        known = {k: v for k, v in values.items() if k in self.REMEMBERED}
        if known:
            self.appeals.setdefault(appeal_id, {}).update(known)

    def appeal(self, appeal_id: str) -> dict[str, Any]:
        """The appeal's remembered columns as of the batch so far."""
        known = self.appeals.get(appeal_id, {})
        if len(known) < len(self.REMEMBERED):
            self.cur.execute(
                f"SELECT latest_proposal, lapsed FROM {APPEALS} WHERE id=?", (appeal_id,)
            )
            row = self.cur.fetchone()
            known = {"latest_proposal": row["latest_proposal"], "lapsed": row["lapsed"]} | known
            self.appeals[appeal_id] = known
        return known


# --- models ------------------------------------------------------------------------------------


def _registered(cur: _Batch, item: Item) -> None:
    e = item.get
    cur.execute(
        f"INSERT INTO {MODELS} VALUES (?,?,?,?,?,?,?,?,?)",
        (
            item.aggregate_key,
            item.position,
            e("provider"),
            e("name"),
            e("description"),
            stamp(e("effective_at")),
            0,
            item.version,
            item.position,
        ),
    )


def _retired(cur: _Batch, item: Item) -> None:
    cur.execute(f"UPDATE {MODELS} SET retired=1 WHERE id=?", (item.aggregate_key,))


# --- directives --------------------------------------------------------------------------------


def _set_models(cur: _Batch, directive_id: str, model_ids: Sequence[Any]) -> None:
    cur.execute(f"DELETE FROM {DIRECTIVE_MODELS} WHERE directive_id=?", (directive_id,))
    cur.executemany(
        f"INSERT INTO {DIRECTIVE_MODELS} VALUES (?,?)", [(directive_id, str(m)) for m in model_ids]
    )


def _issued(cur: _Batch, item: Item) -> None:
    e, directive_id = item.get, item.aggregate_key
    model_ids = e("model_ids")
    cur.execute(
        f"INSERT INTO {DIRECTIVES} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            directive_id,
            item.position,
            e("reference"),
            e("regulator"),
            e("provider"),
            _json([str(m) for m in model_ids]),
            _scope_json(e("scope")),
            e("authority"),
            e("grounds"),
            stamp(e("effective_at")),
            stamp_or_none(e("expires_at")),
            0,
            0,
            0,
            None,
            item.version,
            item.position,
        ),
    )
    _set_models(cur, directive_id, model_ids)


def _amended(cur: _Batch, item: Item) -> None:
    directive_id = item.aggregate_key
    scope, model_ids, expires_at = item.get("scope"), item.get("model_ids"), item.get("expires_at")
    if scope is not None:
        _update(cur, DIRECTIVES, directive_id, scope=_scope_json(scope))
    if model_ids is not None:
        _update(cur, DIRECTIVES, directive_id, model_ids=_json([str(m) for m in model_ids]))
        _set_models(cur, directive_id, model_ids)
    if expires_at is not None:
        _update(cur, DIRECTIVES, directive_id, expires_at=stamp(expires_at))


def _update(cur: _Batch, table: str, row_id: str, **values: Any) -> None:
    if table == APPEALS:
        cur.remember(row_id, values)
    columns = ", ".join(f"{name}=?" for name in values)
    cur.execute(f"UPDATE {table} SET {columns} WHERE id=?", (*values.values(), row_id))


def _setter(table: str, **values: Any) -> Callable[[_Batch, Item], None]:
    def handler(cur: _Batch, item: Item) -> None:
        _update(cur, table, item.aggregate_key, **values)

    return handler


def _appeal_lodged(cur: _Batch, item: Item) -> None:
    _update(cur, DIRECTIVES, item.aggregate_key, open_appeal_id=str(item.get("appeal_id")))


# --- appeals -----------------------------------------------------------------------------------


def _filed(cur: _Batch, item: Item) -> None:
    e = item.get
    stay_requested = e("stay_requested")
    cur.execute(
        f"INSERT INTO {APPEALS} VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            item.aggregate_key,
            item.position,
            str(e("directive_id")),
            e("appellant"),
            e("regulator"),
            "filed",
            "requested" if stay_requested else "none",
            int(stay_requested),
            stamp(e("effective_at")),
            stamp(e("respond_by")),
            0,
            0,
            None,
            "[]",
            None,
            item.version,
            item.position,
        ),
    )
    cur.remember(item.aggregate_key, {"latest_proposal": None, "lapsed": "[]"})


def _appeal_row(cur: _Batch, item: Item) -> dict[str, Any]:
    return cur.appeal(item.aggregate_key)


def _submission(cur: _Batch, item: Item) -> None:
    _update(cur, APPEALS, item.aggregate_key, submissions=item.get("number"))


def _proposal_made(cur: _Batch, item: Item) -> None:
    e = item.get
    side = "provider" if str(e("actor").role) == "provider" else "regulator"
    scope = e("proposed_scope")
    proposal = {
        "number": e("number"),
        "side": side,
        "terms": e("terms"),
        "status": "open",
        "scope": None if scope is None else scope.model_dump(mode="json"),
    }
    _update(
        cur,
        APPEALS,
        item.aggregate_key,
        status="negotiating",
        round=e("number"),
        latest_proposal=_json(proposal),
    )


def _proposal_answer(status: str) -> Callable[[_Batch, Item], None]:
    def handler(cur: _Batch, item: Item) -> None:
        row = _appeal_row(cur, item)
        proposal = json.loads(row["latest_proposal"]) if row["latest_proposal"] else None
        if proposal is not None and proposal["number"] == item.get("number"):
            proposal["status"] = status
            _update(cur, APPEALS, item.aggregate_key, latest_proposal=_json(proposal))

    return handler


def _decided(cur: _Batch, item: Item) -> None:
    _update(cur, APPEALS, item.aggregate_key, status="decided", outcome=item.get("outcome"))


def _deadline_passed(cur: _Batch, item: Item) -> None:
    lapsed = set(json.loads(_appeal_row(cur, item)["lapsed"])) | {item.get("kind")}
    _update(cur, APPEALS, item.aggregate_key, lapsed=_json(sorted(lapsed)))


_HANDLERS: dict[tuple[str, str], Callable[[_Batch, Item], None]] = {
    ("model", "Registered"): _registered,
    ("model", "Retired"): _retired,
    ("directive", "Issued"): _issued,
    ("directive", "Amended"): _amended,
    ("directive", "Stayed"): _setter(DIRECTIVES, stayed=1),
    ("directive", "StayLifted"): _setter(DIRECTIVES, stayed=0),
    ("directive", "Rescinded"): _setter(DIRECTIVES, rescinded=1, stayed=0),
    ("directive", "Expired"): _setter(DIRECTIVES, expired_recorded=1),
    ("directive", "AppealLodged"): _appeal_lodged,
    ("directive", "AppealClosed"): _setter(DIRECTIVES, open_appeal_id=None),
    ("appeal", "Filed"): _filed,
    ("appeal", "SubmissionAdded"): _submission,
    ("appeal", "StayGranted"): _setter(APPEALS, stay="granted"),
    ("appeal", "StayDenied"): _setter(APPEALS, stay="denied"),
    ("appeal", "ProposalMade"): _proposal_made,
    ("appeal", "ProposalAccepted"): _proposal_answer("accepted"),
    ("appeal", "ProposalRejected"): _proposal_answer("rejected"),
    ("appeal", "Decided"): _decided,
    ("appeal", "Withdrawn"): _setter(APPEALS, status="withdrawn"),
    ("appeal", "DeadlinePassed"): _deadline_passed,
}

# The handlers that insert a record's row, with the creating event's version and position.
_CREATING = frozenset({_registered, _issued, _filed})
