"""Realistic histories of a requested size, written quickly through the library.

A history is a sequence of *cases*: one provider's models (one to three), the directives a
regulator issues against them, the provider's compliance (sometimes wider than required),
appeals with submissions, stays and negotiation, decisions with their consequences,
restorations, amendments, expiries, back-dated acts and the odd retirement. Each case is
built with the aggregates' own command methods (so every rule holds) and its events are
saved in one transaction, in the order they happened. A model averages about a hundred
events of history, counting those of the directives that list it.

One case, the *probe*, is the same in every history (same seed, same names): the as-of
benchmark asks about its first model, so that a large and a small history differ only in
how much else the log holds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application

from bench.cases import Case, write_case
from domain.actor import Actor, Role
from domain.model import Model
from domain.scope import Scope

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
CASE_DAYS = 3  # cases start this far apart on the effective-time axis (and overlap)
PROBE_SEED = 20260917
PROBE_DAY = 180  # the probe case starts this many days after EPOCH


@dataclass
class History:
    """What was written: how many events, and the probe model to ask about."""

    events: int
    probe_model: UUID
    probe_start: datetime
    probe_end: datetime
    probe_positions: tuple[int, int]
    models: int = 0


def cases(seed: int, label: str, count: int, first: int = 0) -> Iterator[Case]:
    """`count` cases in effective-time order, each from its own seeded generator."""
    for i in range(first, first + count):
        case = Case(
            random.Random(seed * 1_000_003 + i),
            f"{label}{i}",
            EPOCH + timedelta(days=CASE_DAYS * i),
        )
        write_case(case)
        yield case


def _filler(needed: int, start: datetime) -> list[Any]:
    """Exactly `needed` events (one model's registration and alternating acts)."""
    if needed <= 0:
        return []
    provider = Actor(org="filler", role=Role.PROVIDER)
    model = Model(
        provider="filler",
        name=f"filler {start.isoformat()}",
        description="filler",
        actor=provider,
        effective_at=start,
    )
    events = model.collect_events()
    scope = Scope(user_classes=("enterprise",), jurisdictions=("*",))
    for n in range(needed - 1):
        at = start + timedelta(hours=n + 1)
        if n % 2 == 0:
            model.suspend(provider, at, scope, "filler")
        else:
            model.restore(provider, at, scope, "filler")
        events += model.collect_events()
    return events


def _fill(
    app: Application[Any],
    total: int,
    seed: int,
    first: int,
    start: datetime,
    progress: Callable[[int], None] | None,
) -> tuple[int, int, int]:
    """Write exactly `total` events of cases (and filler); return (cases used, models, events)."""
    written = models = 0
    i = first
    while True:
        case = next(cases(seed, "case", 1, first=i))
        if written + len(case.events) > total:
            break
        app.events.put(case.events)
        written += len(case.events)
        models += len(case.models)
        i += 1
        if progress is not None:
            progress(len(case.events))
    rest = _filler(total - written, start + timedelta(days=CASE_DAYS * i))
    if rest:
        app.events.put(rest)
        models += 1
        if progress is not None:
            progress(len(rest))
    return i - first, models, written + len(rest)


def probe_case() -> Case:
    """The case every history holds; its first model is the one the as-of benchmark asks about."""
    return next(cases(PROBE_SEED, "probe", 1, first=PROBE_DAY // CASE_DAYS))


def write_history(
    app: Application[Any], total: int, seed: int = 1, progress: Callable[[int], None] | None = None
) -> History:
    """Write exactly `total` events into `app`'s store; the probe case sits in the middle."""
    probe = probe_case()
    size = len(probe.events)
    if total < size:
        raise ValueError(f"a history holds at least the probe case: {size} events")
    before = (total - size) // 2
    used, models, _ = _fill(app, before, seed, 0, EPOCH, progress)
    ids = [r.notification.id for r in app.events.put(probe.events)]
    if progress is not None:
        progress(size)
    _, more, _ = _fill(app, total - before - size, seed, used + 1, EPOCH, progress)
    model = probe.models[0]
    acts = [e.effective_at for e in probe.events if hasattr(e, "effective_at")]
    return History(
        total,
        model.id,
        model.registered_at,
        max(acts),
        (min(ids), max(ids)),
        models + more + len(probe.models),
    )


def history_json(history: History) -> dict[str, Any]:
    """A history's description as JSON-ready data."""
    return {
        "events": history.events,
        "probe_model": str(history.probe_model),
        "probe_start": history.probe_start.isoformat(),
        "probe_end": history.probe_end.isoformat(),
        "probe_positions": list(history.probe_positions),
        "models": history.models,
    }


def history_from_json(data: dict[str, Any]) -> History:
    """A history's description from `history_json` data."""
    first, last = data["probe_positions"]
    return History(
        data["events"],
        UUID(data["probe_model"]),
        datetime.fromisoformat(data["probe_start"]),
        datetime.fromisoformat(data["probe_end"]),
        (first, last),
        data["models"],
    )


def events_store(path: Path, total: int, seed: int = 1) -> History:
    """A SQLite store holding exactly `total` generated events (and nothing else).

    Kept next to a description of what it holds, and reused when asked again.
    """
    from application.persistence.store import parse_url
    from application.service import Regledger

    sidecar = path.with_suffix(".json")
    if path.exists() and sidecar.exists():
        found = history_from_json(json.loads(sidecar.read_text()))
        if found.events == total:
            return found
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    app = Regledger(parse_url(f"sqlite:///{path}"))
    try:
        history = write_history(app, total, seed)
    finally:
        app.close()
    sidecar.write_text(json.dumps(history_json(history)))
    return history
