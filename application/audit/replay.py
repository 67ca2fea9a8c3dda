"""Rebuild every view from the event log alone, in a fresh store, and compare digests."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import InfrastructureFactory, Notification
from eventsourcing.utils import Environment

from application.audit.errors import ScratchStoreError
from application.audit.events import Progress, count_stored_events, counting, no_progress
from application.persistence.database import Database
from application.persistence.store import library_env, parse_url
from application.projections.base import View
from application.projections.registry import default_views
from application.projections.runner import ProjectionRunner

if TYPE_CHECKING:
    from application.system import System

MAX_DETAIL = 300
ATTEMPTS = 5  # live views may move on while we compare (a worker elsewhere); catch up again


@dataclass(frozen=True)
class ViewDigest:
    """One view's digest in the live store and in its replay, at the same log position."""

    name: str
    position: int
    live: str
    replayed: str
    difference: str | None = None

    @property
    def matches(self) -> bool:
        """True when the replay reproduced the live view exactly."""
        return self.live == self.replayed


@dataclass(frozen=True)
class ReplayReport:
    """The outcome of a replay: a digest pair per view and the first difference found."""

    views: list[ViewDigest]
    first_difference: str | None
    stopped_at: int | None = None  # the position of an event the replay could not apply

    @property
    def ok(self) -> bool:
        """True when every event replayed and every view matches its replay."""
        return self.stopped_at is None and all(v.matches for v in self.views)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "views": [{**v.__dict__, "matches": v.matches} for v in self.views],
            "first_difference": self.first_difference,
            "stopped_at": self.stopped_at,
        }


class _BoundedSource:
    """The live recorder, read no further than a given position."""

    def __init__(self, recorder: Any, stop: int) -> None:
        self.recorder = recorder
        self.stop = stop

    def select_notifications(self, start: int, limit: int) -> Sequence[Notification]:
        if start > self.stop:
            return []
        notifications: Sequence[Notification] = self.recorder.select_notifications(
            start=start, limit=limit, stop=self.stop
        )
        return notifications


@dataclass
class _Scratch:
    db: Database
    tracking: Any


@contextmanager
def scratch_store(url: str | None = None) -> Iterator[_Scratch]:
    """An empty store for rebuilt views: a new SQLite file in a temporary directory by default."""
    directory = None
    if url is None:
        directory = tempfile.mkdtemp(prefix="regledger-replay-")
        url = f"sqlite:///{Path(directory) / 'replay.db'}"
    config = parse_url(url)
    factory = InfrastructureFactory.construct(Environment("regledger", library_env(config)))
    try:
        datastore = factory.datastore  # type: ignore[attr-defined]
        yield _Scratch(Database(config, datastore), factory.tracking_recorder())
    finally:
        factory.close()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)


def _check_empty(scratch: _Scratch, views: Sequence[View]) -> None:
    for view in views:
        if scratch.tracking.max_tracking_id(view.name):
            raise ScratchStoreError(f"the scratch store already holds view {view.name}")


class _Stopped(Exception):  # noqa: N818 - internal signal carrying where the replay stopped
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position


def _run(runner: ProjectionRunner, source: _BoundedSource, progress: Callable[[int], None]) -> None:
    """Catch up; if an event cannot be applied, find exactly which one (one at a time)."""
    try:
        runner.catch_up(progress=progress)
        return
    except Exception:  # a tampered log may hold undecodable events: locate, don't crash
        runner.batch_size = 1
    try:
        runner.catch_up(progress=progress)
    except Exception as error:
        following = source.select_notifications(runner.position() + 1, 1)
        position = following[0].id if following else runner.position() + 1
        raise _Stopped(position, f"{type(error).__name__}: {error}") from None


def _rebuild(
    system: System,
    scratch: _Scratch,
    views: dict[str, View],
    positions: dict[str, int],
    progress: Callable[[int], None],
) -> None:
    """Bring every scratch view to exactly the live view's position."""
    for stop in sorted(set(positions.values())):
        group = [views[name] for name, p in positions.items() if p == stop]
        source = _BoundedSource(system.app.recorder, stop)
        runner = ProjectionRunner(source, system.app.mapper, scratch.db, scratch.tracking, group)
        _run(runner, source, progress)


def _difference(view: View, system: System, scratch: _Scratch) -> str:
    found = view.first_difference(system.app.db, scratch.db) or f"{view.name}: digests differ"
    return _shorten(found)


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def replay(
    system: System,
    scratch_url: str | None = None,
    progress: Progress = no_progress,
    views_factory: Callable[[], list[View]] = default_views,
) -> ReplayReport:
    """Rebuild every view into a scratch store and compare each digest with the live one.

    The live views are not moved: each replayed view stops at the position its live
    counterpart has reached, so a lagging projection is compared as it stands.
    """
    fresh = {v.name: v for v in views_factory()}
    live = {v.name: v for v in system.views}
    if set(fresh) != set(live):
        raise ScratchStoreError(f"views differ: live {sorted(live)}, replayed {sorted(fresh)}")
    with scratch_store(scratch_url) as scratch:
        scratch.db.create([s for v in fresh.values() for s in v.create_statements()])
        _check_empty(scratch, list(fresh.values()))
        positions = system.runner.positions()
        for _ in range(ATTEMPTS):
            total = count_stored_events(system.app, max(positions.values(), default=0))
            try:
                _rebuild(system, scratch, fresh, positions, counting(progress, "replay", total))
            except _Stopped as stopped:
                reason = f"the event at position {stopped.position} cannot be replayed: {stopped}"
                return ReplayReport([], _shorten(reason), stopped.position)
            digests = [
                ViewDigest(
                    name,
                    positions[name],
                    live[name].digest(system.app.db),
                    fresh[name].digest(scratch.db),
                )
                for name in live
            ]
            moved = system.runner.positions()
            if moved == positions:
                break
            positions = moved
        digests = [
            d if d.matches else replace(d, difference=_difference(live[d.name], system, scratch))
            for d in digests
        ]
    difference = next((d.difference for d in digests if d.difference), None)
    return ReplayReport(digests, difference)
