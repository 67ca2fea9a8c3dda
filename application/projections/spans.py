"""A directive's effect over effective time: the spans in which it is in force, and with what.

Within one span nothing about the directive's effect changes: the models it lists, its
scope, whether it restricts (it is not stayed) and how it explains itself (its basis
items). Outside every span it is pending, expired or rescinded and has no effect. The spans
are a pure fold of the directive's own facts, so a new fact of the directive replaces only
the spans that differ; what a decision needs is then read from a handful of span rows per
directive instead of from every segment of every model the directive lists.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

from application.projections.acts import DirectiveState, Fact
from application.projections.stamps import stamp

WILDCARD = "*"


class Span(NamedTuple):
    """One stretch of effective time over which the directive's effect is constant (stored text)."""

    valid_from: str
    valid_to: str | None
    model_ids: str
    classes: str
    places: str
    restricts: int
    basis: str


Effect = tuple[str, str, str, int, str]


@lru_cache(maxsize=1024)
def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def _effect(state: DirectiveState, at: datetime) -> Effect | None:
    """What the directive does at `at` (None: nothing, it is not in force)."""
    if state.ended is not None or at < state.issued_at:
        return None
    if state.expires_at is not None and at >= state.expires_at:
        return None
    return (
        _json_list(tuple(sorted(state.model_ids))),
        _json_list(state.scope.user_classes),
        _json_list(state.scope.jurisdictions),
        int(state.stay is None),
        "[" + ",".join(state.basis()) + "]",
    )


def directive_spans(facts: Sequence[Fact]) -> list[Span]:
    """The spans of a directive from its facts (`Issued` first, then in log order)."""
    state = DirectiveState.issued_by(facts[0])
    later = sorted(facts[1:], key=lambda f: f.order)
    points = set()
    for fact in facts:
        points.add(fact.effective_at)
        expires = fact.data.get("expires_at")
        if expires is not None:
            points.add(expires)
    spans: list[Span] = []
    current: Effect | None = None
    since: datetime | None = None
    i = 0
    for point in sorted(p for p in points if p >= state.issued_at):
        while i < len(later) and later[i].effective_at <= point:
            state.apply(later[i])
            i += 1
        effect = _effect(state, point)
        if effect == current:
            continue
        if current is not None and since is not None:
            spans.append(Span(stamp(since), stamp(point), *current))
        current, since = effect, point
    if current is not None and since is not None:
        spans.append(Span(stamp(since), None, *current))
    return spans


def covers(
    classes: Collection[str],
    places: Collection[str],
    user_class: str,
    place: str,
) -> bool:
    """Whether a scope's values cover a segment (as `Scope.covers`, on plain values)."""
    return (WILDCARD in classes or user_class in classes) and (
        WILDCARD in places or place in places
    )
