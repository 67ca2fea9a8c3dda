"""Decisions about "now", kept while they provably still hold.

A decision worked out at moment `t` as known at position `p` holds unchanged (all but its
`at`) for every later moment before its `valid_until`, for as long as the access view still
holds exactly position `p`: `valid_until` is by construction the first later moment any
input of the decision changes, and the inputs only change by events the view applies. The
cache therefore answers a repeated question about now with the stored decision, its `at`
moved to now, and never returns anything the views would not answer themselves.

Entries are keyed by model and the segment asked; the view's position is checked on every
read, so one new event makes every entry stale at once. The cache is bounded.

A hit can also be answered as JSON (`get_json`): the stored decision's JSON is made once,
with its `at` left as a gap, and each hit fills the gap with the new `at` as the model
itself writes a datetime, which is the text `model_dump_json` gives the moved decision.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from pydantic import TypeAdapter

from application.queries.views import AccessDecision

Key = tuple[UUID, str, str]

DEFAULT_MAXSIZE = 4096
# A moment no decision is about: where it stands in a decision's JSON is where `at` goes.
_GAP = datetime(1, 1, 1, tzinfo=UTC)
_MOMENT = TypeAdapter(datetime)


def json_around_at(decision: AccessDecision) -> tuple[str, str] | None:
    """The decision's JSON before and after its `at`'s value (None if that is not one place)."""
    key = '"at":'
    text = decision.model_copy(update={"at": _GAP}).model_dump_json()
    gap = key + _MOMENT.dump_json(_GAP).decode()
    if text.count(gap) != 1:
        return None
    before, after = text.split(gap)
    return before + key, after


@dataclass(slots=True)
class _Entry:
    position: int
    decision: AccessDecision
    # The JSON around `at`, made at the first JSON answer (empty: `at` is not in one place).
    json: tuple[str, str] | tuple[()] | None = None


class DecisionCache:
    """Bounded map of (model, user class, jurisdiction) to the last decision about now."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.maxsize = maxsize
        self._entries: dict[Key, _Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0  # answers given from the cache

    def get(self, key: Key, position: int, now: datetime) -> AccessDecision | None:
        """The decision about `now` as known at `position`, if a stored one still holds."""
        entry = self._holding(key, position, now)
        if entry is None:
            return None
        return entry.decision.model_copy(update={"at": now})

    def get_json(self, key: Key, position: int, now: datetime) -> str | None:
        """`get(...).model_dump_json()`, made without copying or dumping the whole decision."""
        entry = self._holding(key, position, now)
        if entry is None:
            return None
        around = entry.json
        if around is None:
            around = entry.json = json_around_at(entry.decision) or ()
        if not around:  # never so for a real decision: answered the long way
            return entry.decision.model_copy(update={"at": now}).model_dump_json()
        return around[0] + _MOMENT.dump_json(now).decode() + around[1]

    def _holding(self, key: Key, position: int, now: datetime) -> _Entry | None:
        """The entry for `key` if it still holds about `now` as known at `position`."""
        entry = self._entries.get(key)
        if entry is not None and entry.position == position:
            decision = entry.decision
            until = decision.valid_until
            if decision.at <= now and (until is None or now < until):
                self.hits += 1
                return entry
        return None

    def put(self, key: Key, decision: AccessDecision) -> None:
        """Keep a decision about now (its `position` is the view position it was read at)."""
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = _Entry(decision.position, decision)
            while len(self._entries) > self.maxsize:
                del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)
