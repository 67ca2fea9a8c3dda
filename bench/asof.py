"""As-of access queries: latency with a large history against the same with a small one.

Every history holds the same probe case (see `history.py`), so the model asked about has the
same facts in every store; only how much else the log holds differs. Each sampled question
(a segment, an effective time `at`, and how much of the probe's history is known) is asked
of every store in turn, in process, through `Queries.access_decision`, so the stores are
compared under the same load.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from application.persistence.store import parse_url
from application.queries import Queries
from application.system import System
from bench.cases import CLASSES, PLACES
from bench.harness import median, percentile
from bench.history import History

SEGMENT_CLASSES = (*CLASSES, "*", "student")
SEGMENT_PLACES = (*PLACES, "*", "NZ")


@dataclass(frozen=True)
class Question:
    """One as-of question, independent of the store it is asked of."""

    user_class: str
    jurisdiction: str
    at: datetime
    within: bool  # known_at inside the probe's own events, or somewhere after them
    fraction: float


@dataclass
class Latency:
    """Latencies of one store, in microseconds."""

    events: int
    samples: list[float]

    @property
    def median_us(self) -> float:
        """The median latency."""
        return median(self.samples)

    @property
    def p99_us(self) -> float:
        """The 99th percentile latency."""
        return percentile(self.samples, 99)


def questions(history: History, count: int, seed: int = 7) -> list[Question]:
    """Random questions about the probe model: segment, `at` and knowledge drawn uniformly."""
    rng = random.Random(seed)
    span = (history.probe_end - history.probe_start) + timedelta(days=30)
    return [
        Question(
            rng.choice(SEGMENT_CLASSES),
            rng.choice(SEGMENT_PLACES),
            history.probe_start + span * rng.random(),
            rng.random() < 0.5,
            rng.random(),
        )
        for _ in range(count)
    ]


def known_at(history: History, q: Question) -> int:
    """The log position a question's knowledge stands for in one store."""
    first, last = history.probe_positions
    if q.within:
        return first + round(q.fraction * (last - first))
    return last + max(1, round(q.fraction * (history.events - last)))


def measure(stores: list[tuple[Path, History]], count: int, warmup: int = 200) -> list[Latency]:
    """Ask every question of every store (round robin); latencies per store."""
    systems = [System(parse_url(f"sqlite:///{path}")) for path, _ in stores]
    try:
        reads = [Queries.of(s) for s in systems]
        asked = questions(stores[0][1], warmup + count)
        results = [Latency(h.events, []) for _, h in stores]
        for i, q in enumerate(asked):
            order = list(range(len(stores)))
            if i % 2:
                order.reverse()
            for k in order:
                history = stores[k][1]
                elapsed = _ask(reads[k], history, q)
                if i >= warmup:
                    results[k].samples.append(elapsed)
        return results
    finally:
        for s in systems:
            s.close()


def _ask(reads: Queries, history: History, q: Question) -> float:
    position = known_at(history, q)
    start = time.perf_counter()
    reads.access_decision(history.probe_model, q.user_class, q.jurisdiction, q.at, position)
    return (time.perf_counter() - start) * 1e6


def summary(latencies: list[Latency]) -> dict[str, Any]:
    """Figures per store size."""
    return {
        str(lat.events): {"median_us": round(lat.median_us, 1), "p99_us": round(lat.p99_us, 1)}
        for lat in latencies
    }
