"""The access status view: what was said about each model, kept so decisions are cheap to ask.

Per event the view writes what the event itself says, never one row per segment it
reaches: the fact, the pairs of values a provider act names, a retirement, and a directive's
spans of effect (bitemporal: a span is recorded from the position that made it current
until the position that replaced it). Decisions on both time axes are worked out from these
by `application.queries.access`; the model's grid (every value any scope mentions, plus
`*`) is kept with the position that first mentioned each value.
"""

from __future__ import annotations

from collections.abc import Sequence

from application.persistence.database import Cursor
from application.projections import access_facts
from application.projections.access_facts import fact_of
from application.projections.access_store import FactStore
from application.projections.acts import Fact
from application.projections.base import Item, View
from application.projections.spans import directive_spans
from application.projections.topics import topic_parts
from domain.scope import Scope

EVERYONE = Scope.everyone()


class AccessView(View):
    """Legal status, operational status and compliance per model and segment, over time."""

    # The name carries the layout's version: a store kept by an earlier layout (the first:
    # one row per segment and interval; the second: the acts beside an index of their own)
    # has no tracking record under this name, so the runner rebuilds the view from the log
    # into tables of their own; the old layouts' tables are dropped.
    name = "view:access:v3"
    tables = access_facts.TABLES
    cost = 5.0

    def create_statements(self) -> list[str]:
        drops = [f"DROP TABLE IF EXISTS {table}" for table in access_facts.SUPERSEDED]
        return [*drops, *access_facts.CREATE]

    def digest_queries(self) -> list[str]:
        return list(access_facts.DIGESTS)

    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        store = FactStore(cur)
        for item in items:
            fact = fact_of(item)
            if fact is None:
                continue
            kind = topic_parts(item.topic)[0]
            store.add(fact, kind)
            if kind == "model":
                _model_fact(store, fact)
            else:
                _directive_fact(store, fact)
        store.flush()


def _model_fact(store: FactStore, fact: Fact) -> None:
    if fact.name == "Registered":
        store.mention(fact.owner_id, [EVERYONE], fact.position)
    else:
        store.mention(fact.owner_id, [fact.scope] if fact.scope else [], fact.position)


def _directive_fact(store: FactStore, fact: Fact) -> None:
    directive_id, position = fact.owner_id, fact.position
    facts = store.directive(directive_id)
    scopes = [f.scope for f in facts if f.scope is not None]
    for model_id in fact.data.get("model_ids") or ():
        if store.link(model_id, directive_id, position):
            store.mention(model_id, scopes, position)
    if fact.scope is not None:
        for model_id in store.links(directive_id):
            store.mention(model_id, [fact.scope], position)
    store.replace_spans(directive_id, directive_spans(facts), position)
