"""The provider's acts covering one segment, latest first or next after a moment.

An act names (user class, jurisdiction) pairs; it covers a segment when it names the
segment's values or `*` for them, so four keys find every act covering a segment.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from application.persistence.database import Cursor
from application.projections.access_facts import ACTS
from application.projections.spans import WILDCARD, covers

PAGE = 4  # acts read per seek; the walk for `since` rarely needs more


class Act(NamedTuple):
    """A provider act (or the retirement) as a decision sees it."""

    effective_at: str
    position: int
    suspended: int


class ActSource(Protocol):
    """The model's acts (as known at the position asked) covering one segment."""

    def before(self, u: str, j: str, bound: str, inclusive: bool) -> Iterator[Act]:
        """Covering acts effective before `bound` (or at it), latest first."""

    def after(self, u: str, j: str, moment: str) -> Act | None:
        """The first covering act effective after `moment`."""


def _keys(u: str, j: str) -> list[tuple[str, str]]:
    """The (class, place) pairs an act must name to cover segment (u, j)."""
    return list(dict.fromkeys([(u, j), (u, WILDCARD), (WILDCARD, j), (WILDCARD, WILDCARD)]))


class StoredActs:
    """Acts read by index seeks: four keys per segment, a few rows at a time."""

    def __init__(self, cur: Cursor, model_id: str, known_at: int) -> None:
        self.cur = cur
        self.model_id = model_id
        self.known_at = known_at

    def _select(
        self,
        keys: Sequence[tuple[str, str]],
        where: str,
        order: str,
        limit: int,
        params: Sequence[Any],
    ) -> list[Any]:
        one = (
            f"SELECT * FROM (SELECT user_class, jurisdiction, effective_at, position, suspended "
            f"FROM {ACTS} WHERE model_id=? AND user_class=? AND jurisdiction=? AND position<=? "
            f"AND {where} ORDER BY {order} LIMIT {limit}) AS k"
        )
        statement = " UNION ALL ".join(f"{one}{i}" for i in range(len(keys)))
        values: list[Any] = []
        for u, j in keys:
            values += [self.model_id, u, j, self.known_at, *params]
        self.cur.execute(statement, values)
        return self.cur.fetchall()

    def before(self, u: str, j: str, bound: str, inclusive: bool) -> Iterator[Act]:
        keys = _keys(u, j)
        where = "effective_at <= ?" if inclusive else "effective_at < ?"
        pages: dict[tuple[str, str], list[Act]] = {k: [] for k in keys}
        for r in self._select(keys, where, "effective_at DESC, position DESC", PAGE, [bound]):
            pages[(r["user_class"], r["jurisdiction"])].append(
                Act(r["effective_at"], r["position"], r["suspended"])
            )
        streams = [self._stream(k, page) for k, page in pages.items()]
        return heapq.merge(*streams, key=lambda a: (a.effective_at, a.position), reverse=True)

    def _stream(self, key: tuple[str, str], page: list[Act]) -> Iterator[Act]:
        while True:
            yield from page
            if len(page) < PAGE:
                return
            last = page[-1]
            rows = self._select(
                [key],
                "(effective_at < ? OR (effective_at = ? AND position < ?))",
                "effective_at DESC, position DESC",
                PAGE * 4,
                [last.effective_at, last.effective_at, last.position],
            )
            page = [Act(r["effective_at"], r["position"], r["suspended"]) for r in rows]
            if len(page) < PAGE * 4:
                yield from page
                return

    def after(self, u: str, j: str, moment: str) -> Act | None:
        rows = self._select(_keys(u, j), "effective_at > ?", "effective_at, position", 1, [moment])
        found = [Act(r["effective_at"], r["position"], r["suspended"]) for r in rows]
        return min(found, key=lambda a: (a.effective_at, a.position), default=None)


@dataclass(frozen=True)
class ScopedAct:
    """An act with the values its scope names (for evaluating many segments at once)."""

    act: Act
    classes: frozenset[str]
    places: frozenset[str]


class LoadedActs:
    """All of a model's acts known at a position, in memory (for a whole status matrix)."""

    def __init__(self, cur: Cursor, model_id: str, known_at: int) -> None:
        cur.execute(
            f"SELECT user_class, jurisdiction, effective_at, position, suspended FROM {ACTS} "
            "WHERE model_id=? AND position<=?",
            (model_id, known_at),
        )
        grouped: dict[int, tuple[Act, set[str], set[str]]] = {}
        for r in cur.fetchall():
            entry = grouped.setdefault(
                r["position"], (Act(r["effective_at"], r["position"], r["suspended"]), set(), set())
            )
            entry[1].add(r["user_class"])
            entry[2].add(r["jurisdiction"])
        self.acts = sorted(
            (ScopedAct(a, frozenset(c), frozenset(p)) for a, c, p in grouped.values()),
            key=lambda s: (s.act.effective_at, s.act.position),
        )

    def before(self, u: str, j: str, bound: str, inclusive: bool) -> Iterator[Act]:
        for s in reversed(self.acts):
            e = s.act.effective_at
            if (e < bound or (inclusive and e == bound)) and covers(s.classes, s.places, u, j):
                yield s.act

    def after(self, u: str, j: str, moment: str) -> Act | None:
        for s in self.acts:
            if s.act.effective_at > moment and covers(s.classes, s.places, u, j):
                return s.act
        return None
