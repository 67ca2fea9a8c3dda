"""How one segment's decision is worked out from the provider's acts and the directives' spans.

The result equals the access timeline's fold (`application.projections.timeline`) at `at`:

- legal status and the directives' basis items: the spans in force at `at` that list the
  model and cover the segment (restricted when one of them is not stayed);
- operational status: the model's retirement, else the latest act covering the segment;
- `valid_until`: the first later moment any of those inputs changes for the segment (the
  next covering act, the retirement, a directive's next different effect);
- `since`: where the current legal status began, or the current operational status,
  whichever is later (a status pair holds exactly while both of its halves do).

Times are stored stamps (fixed-width UTC text), compared as text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from application.persistence.database import Cursor
from application.projections.access_facts import LINKS, SPANS
from application.projections.spans import covers
from application.projections.timeline import (
    AVAILABLE,
    RESTRICTED,
    SUSPENDED,
    UNRESTRICTED,
    compliance_of,
)
from application.queries.covering import Act, ActSource


class SpanRow(NamedTuple):
    """One directive span in force as known at the position asked."""

    valid_from: str
    valid_to: str | None
    classes: tuple[str, ...]
    places: tuple[str, ...]
    restricts: int
    basis: str


Effect = tuple[int, str] | None


@lru_cache(maxsize=4096)
def _values(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def load_spans(cur: Cursor, model_id: str, known_at: int) -> list[list[SpanRow]]:
    """The spans, as known at `known_at`, of each directive listing the model (issue order)."""
    cur.execute(
        f"SELECT s.directive_id, s.valid_from, s.valid_to, s.model_ids, s.classes, s.places, "
        f"s.restricts, s.basis FROM {SPANS} s JOIN {LINKS} l ON l.directive_id = s.directive_id "
        "WHERE l.model_id=? AND l.position<=? AND s.recorded_from<=? "
        "AND (s.recorded_to IS NULL OR s.recorded_to>?) "
        "ORDER BY s.issued_position, s.valid_from",
        (model_id, known_at, known_at, known_at),
    )
    quoted = f'"{model_id}"'
    by_directive: dict[str, list[SpanRow]] = {}
    for r in cur.fetchall():
        spans = by_directive.setdefault(r["directive_id"], [])
        if quoted in r["model_ids"]:
            spans.append(
                SpanRow(
                    r["valid_from"],
                    r["valid_to"],
                    _values(r["classes"]),
                    _values(r["places"]),
                    r["restricts"],
                    r["basis"],
                )
            )
    return [spans for spans in by_directive.values() if spans]


def _effect(spans: Sequence[SpanRow], u: str, j: str, at: str) -> Effect:
    for s in spans:
        if s.valid_from <= at and (s.valid_to is None or at < s.valid_to):
            return (s.restricts, s.basis) if covers(s.classes, s.places, u, j) else None
    return None


def _next_change(spans: Sequence[SpanRow], u: str, j: str, at: str) -> str | None:
    now = _effect(spans, u, j, at)
    edges = sorted({e for s in spans for e in (s.valid_from, s.valid_to) if e and e > at})
    for edge in edges:
        if _effect(spans, u, j, edge) != now:
            return edge
    return None


def _legal_start(
    directives: Iterable[Sequence[SpanRow]], u: str, j: str, at: str, restricted: bool, floor: str
) -> str:
    """Where the current legal status began (not before `floor`, the registration).

    Restricted: the start of the union of restricting spans that holds `at` (the last one,
    as every span considered starts by `at`). Unrestricted: the latest end of one.
    """
    runs = sorted(
        (
            (s.valid_from, s.valid_to)
            for spans in directives
            for s in spans
            if s.restricts and s.valid_from <= at and covers(s.classes, s.places, u, j)
        ),
        key=lambda run: run[0],
    )
    if restricted:
        start: str | None = None
        end: str | None = None
        for a, b in runs:
            if start is None or (end is not None and a > end):
                start, end = a, b
            elif end is not None and (b is None or b > end):
                end = b
        return max(start or floor, floor)
    return max([floor, *(b for _, b in runs if b is not None and b <= at)])


def _run_start(first: Act | None, earlier: Iterator[Act], floor: str) -> str:
    """Where the run of `first`'s status began, walking the covering acts before it."""
    if first is None:
        return floor
    status, start = first.suspended, first.effective_at
    for act in earlier:
        if act.effective_at == start:
            continue  # an earlier act at the same moment: the later one decides
        if act.suspended != status:
            return start
        start = act.effective_at
    return start if status else floor


@dataclass(frozen=True)
class Worked:
    """A segment's decision at a moment, before it is dressed as an `AccessDecision`."""

    legal: str
    operational: str
    compliance: str
    since: str
    valid_until: str | None
    act: int | None
    directive_basis: tuple[str, ...]


@dataclass(frozen=True)
class Inputs:
    """What a model's decisions are worked out from, as known at one position."""

    registered: str
    retired: Act | None
    acts: ActSource
    directives: list[list[SpanRow]]


def work_out(inputs: Inputs, u: str, j: str, at: str) -> Worked:
    """The decision for segment (u, j) at `at`."""
    effects = [_effect(spans, u, j, at) for spans in inputs.directives]
    restricted = any(e is not None and e[0] for e in effects)
    retired = inputs.retired
    gone = retired is not None and retired.effective_at <= at
    changes = [c for spans in inputs.directives if (c := _next_change(spans, u, j, at))]
    if gone and retired is not None:
        act: int | None = retired.position
        suspended = True
        operational_start = _retired_run_start(inputs, retired, u, j)
    else:
        earlier = inputs.acts.before(u, j, at, True)
        latest = next(earlier, None)
        act = None if latest is None else latest.position
        suspended = latest is not None and bool(latest.suspended)
        operational_start = _run_start(latest, earlier, inputs.registered)
        following = inputs.acts.after(u, j, at)
        if following is not None:
            changes.append(following.effective_at)
        if retired is not None:
            changes.append(retired.effective_at)
    legal = RESTRICTED if restricted else UNRESTRICTED
    operational = SUSPENDED if suspended else AVAILABLE
    legal_start = _legal_start(inputs.directives, u, j, at, restricted, inputs.registered)
    return Worked(
        legal,
        operational,
        compliance_of(legal, operational),
        max(legal_start, operational_start),
        min(changes, default=None),
        act,
        tuple(e[1] for e in effects if e is not None),
    )


def _retired_run_start(inputs: Inputs, retired: Act, u: str, j: str) -> str:
    """Where the suspension a retirement continues (or the retirement itself) began."""
    earlier = inputs.acts.before(u, j, retired.effective_at, False)
    latest = next(earlier, None)
    if latest is None or not latest.suspended:
        return retired.effective_at
    return _run_start(latest, earlier, inputs.registered)
