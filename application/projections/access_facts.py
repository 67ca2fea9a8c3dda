"""The access view's compact facts: per model and per directive, with the links between them.

A model's timeline is recomputed from these rows alone, so the work per event is the
touched model's own history (its acts and the directives that ever listed it), never the
whole log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from application.persistence.database import Cursor
from application.projections.acts import Fact
from application.projections.base import Item
from application.projections.stamps import stamp, unstamp
from application.projections.timeline import ModelFacts
from domain.scope import WILDCARD, Scope, Segment

FACTS = "regledger_access_facts"
LINKS = "regledger_access_links"
MENTIONS = "regledger_access_mentions"

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
]

DIGESTS = [
    f"SELECT * FROM {FACTS} ORDER BY owner_id, position",
    f"SELECT * FROM {LINKS} ORDER BY model_id, directive_id",
    f"SELECT * FROM {MENTIONS} ORDER BY model_id, axis, value",
]


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


def fact_of(item: Item) -> Fact | None:
    """The fact an event contributes to access, or None when it contributes none."""
    if item.kind not in ("model", "directive") or item.name not in FIELDS:
        return None
    payload = {name: _plain(getattr(item.event, name, None)) for name in FIELDS[item.name]}
    return decode(
        str(item.aggregate_id),
        item.position,
        stamp(item.event.effective_at),
        item.name,
        json.dumps(payload, sort_keys=True, separators=(",", ":")),
    )


def decode(owner_id: str, position: int, effective_at: str, name: str, payload: str) -> Fact:
    """A fact from its stored columns."""
    data = json.loads(payload)
    scope = Scope.model_validate(data["scope"]) if data.get("scope") else None
    if data.get("expires_at") is not None:
        data["expires_at"] = unstamp(data["expires_at"])
    return Fact(owner_id, position, unstamp(effective_at), name, data, scope)


def encode(fact: Fact) -> tuple[Any, ...]:
    """A fact's stored columns."""
    data = {k: _plain(v) for k, v in fact.data.items()}
    if fact.scope is not None:
        data["scope"] = fact.scope.model_dump(mode="json")
    return (
        fact.owner_id,
        fact.position,
        stamp(fact.effective_at),
        fact.name,
        json.dumps(data, sort_keys=True, separators=(",", ":")),
    )


class FactStore:
    """The facts as of the batch being applied: read once, kept in step with what is written."""

    def __init__(self, cur: Cursor) -> None:
        self.cur = cur
        self._models: dict[str, ModelFacts | None] = {}
        self._directives: dict[str, list[Fact]] = {}
        self._links: dict[str, set[str]] = {}

    def _facts(self, owner_id: str) -> list[Fact]:
        self.cur.execute(
            f"SELECT owner_id, position, effective_at, name, payload FROM {FACTS} "
            "WHERE owner_id=? ORDER BY position",
            (owner_id,),
        )
        return [
            decode(r["owner_id"], r["position"], r["effective_at"], r["name"], r["payload"])
            for r in self.cur.fetchall()
        ]

    def directive(self, directive_id: str) -> list[Fact]:
        """A directive's facts in log order (`Issued` first)."""
        if directive_id not in self._directives:
            self._directives[directive_id] = self._facts(directive_id)
        return self._directives[directive_id]

    def links(self, directive_id: str) -> set[str]:
        """Every model the directive has ever listed."""
        if directive_id not in self._links:
            self.cur.execute(f"SELECT model_id FROM {LINKS} WHERE directive_id=?", (directive_id,))
            self._links[directive_id] = {r["model_id"] for r in self.cur.fetchall()}
        return self._links[directive_id]

    def model(self, model_id: str) -> ModelFacts | None:
        """A model's facts, the facts of every directive that listed it, and its grid."""
        if model_id not in self._models:
            self._models[model_id] = self._load_model(model_id)
        return self._models[model_id]

    def _load_model(self, model_id: str) -> ModelFacts | None:
        facts = self._facts(model_id)
        if not facts:
            return None
        model = ModelFacts(model_id, facts[0], acts=facts[1:], classes=set(), places=set())
        self.cur.execute(f"SELECT directive_id FROM {LINKS} WHERE model_id=?", (model_id,))
        for row in self.cur.fetchall():
            model.directives[row["directive_id"]] = self.directive(row["directive_id"])
        self.cur.execute(f"SELECT axis, value FROM {MENTIONS} WHERE model_id=?", (model_id,))
        for row in self.cur.fetchall():
            (model.classes if row["axis"] == "user_class" else model.places).add(row["value"])
        return model

    def add(self, fact: Fact, kind: str) -> None:
        """Record one fact of a model or a directive."""
        if kind == "directive":
            facts = self.directive(fact.owner_id)
        else:
            model = None if fact.name == "Registered" else self.model(fact.owner_id)
        self.cur.execute(f"INSERT INTO {FACTS} VALUES (?,?,?,?,?)", encode(fact))
        if kind == "directive":
            facts.append(fact)
        elif fact.name == "Registered":
            self._models[fact.owner_id] = ModelFacts(
                fact.owner_id, fact, classes=set(), places=set()
            )
        elif model is not None:
            model.acts.append(fact)

    def link(self, model_id: str, directive_id: str, position: int) -> bool:
        """Note that a directive lists a model; True when it is the first time."""
        linked = self.links(directive_id)
        if model_id in linked:
            return False
        self.cur.execute(f"INSERT INTO {LINKS} VALUES (?,?,?)", (model_id, directive_id, position))
        linked.add(model_id)
        model = self.model(model_id)
        if model is not None:
            model.directives[directive_id] = self.directive(directive_id)
        return True

    def mention(self, model_id: str, scopes: Iterable[Scope], position: int) -> list[Segment]:
        """Add the scopes' values to the model's grid; return the segments that are new."""
        model = self.model(model_id)
        if model is None:
            return []
        scopes = list(scopes)
        classes = {WILDCARD}.union(*(s.user_classes for s in scopes)) - model.classes
        places = {WILDCARD}.union(*(s.jurisdictions for s in scopes)) - model.places
        rows: list[Sequence[Any]] = [(model_id, "user_class", v, position) for v in classes]
        rows += [(model_id, "jurisdiction", v, position) for v in places]
        if not rows:
            return []
        self.cur.executemany(f"INSERT INTO {MENTIONS} VALUES (?,?,?,?)", rows)
        before = {(u, j) for u in model.classes for j in model.places}
        model.classes |= classes
        model.places |= places
        return [s for s in model.grid() if (s.user_class, s.jurisdiction) not in before]
