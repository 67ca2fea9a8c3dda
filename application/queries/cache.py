"""Decisions about "now", kept while they provably still hold.

A decision worked out at moment `t` as known at position `p` holds unchanged (all but its
`at`) for every later moment before its `valid_until`, for as long as the access view still
holds exactly position `p`: `valid_until` is by construction the first later moment any
input of the decision changes, and the inputs only change by events the view applies. The
cache therefore answers a repeated question about now with the stored decision, its `at`
moved to now, and never returns anything the views would not answer themselves.

Entries are keyed by model and the segment asked; the view's position is checked on every
read, so one new event makes every entry stale at once. The cache is bounded.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from application.queries.views import AccessDecision

Key = tuple[UUID, str, str]

DEFAULT_MAXSIZE = 4096


@dataclass(frozen=True, slots=True)
class _Entry:
    position: int
    decision: AccessDecision


class DecisionCache:
    """Bounded map of (model, user class, jurisdiction) to the last decision about now."""

    def __init__(self, maxsize: int = DEFAULT_MAXSIZE) -> None:
        self.maxsize = maxsize
        self._entries: dict[Key, _Entry] = {}
        self._lock = threading.Lock()
        self.hits = 0  # answers given from the cache

    def get(self, key: Key, position: int, now: datetime) -> AccessDecision | None:
        """The decision about `now` as known at `position`, if a stored one still holds."""
        entry = self._entries.get(key)
        if entry is not None and entry.position == position:
            decision = entry.decision
            until = decision.valid_until
            if decision.at <= now and (until is None or now < until):
                self.hits += 1
                return decision.model_copy(update={"at": now})
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
