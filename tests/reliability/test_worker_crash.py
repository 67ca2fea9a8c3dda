"""A projection worker SIGKILLed during catch-up resumes exactly where it stopped.

Many events are recorded first; `regledger worker` is started, killed while it is part-way
through them, started again (twice over), and finally left to finish. Each view is then
equal to a fresh rebuild and has applied every position exactly once. The same holds for
`regledger worker --once --processes 2` killed part-way, whose helper process stops by
itself once the worker that started it is gone.
"""

from __future__ import annotations

import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.persistence.store import parse_url
from application.projections.history import HistoryView
from application.system import System
from domain.actor import Actor, Role
from domain.model import Model
from domain.scope import Scope
from tests.reliability.harness import LIVE_STORES, Process, cli, environment, store_of_kind
from tests.reliability.invariants import history_positions, read_log, view_positions

pytestmark = pytest.mark.slow

MODELS = 1200  # five events each
KILL_AFTER = (1000, 3000)  # positions the views must have passed before each kill
TIMEOUT = 60.0
SHARED_MODELS = 6000  # 30,000 events for the shared catch-up
HELPER_STOPS_WITHIN = 1.0  # seconds: the helper stops before its next batch

PROVIDER = Actor(org="anthropic", role=Role.PROVIDER)
FOREIGN = Scope(user_classes=["foreign_national"], jurisdictions=["*"])


@dataclass
class Kill:
    """The views' tracked positions and history rows right after one kill."""

    views: dict[str, int]
    history: list[int]


@dataclass
class Outcome:
    """What the kills left, and the views once a worker finished."""

    recorded: list[int]
    kills: list[Kill]
    views: dict[str, int]
    history: list[int]
    replay: subprocess.CompletedProcess[str]


def _record_many(url: str, models: int = MODELS) -> list[int]:
    """Record `models` models, each suspended and restored twice, in a few big transactions."""
    system = System(parse_url(url))
    try:
        when = datetime(2026, 5, 1, tzinfo=UTC)
        for batch in range(models // 100):
            models = []
            for i in range(100):
                model = Model(
                    provider="anthropic",
                    name=f"model {batch}-{i}",
                    description="",
                    actor=PROVIDER,
                    effective_at=when,
                )
                for _ in range(2):
                    model.suspend(PROVIDER, when, FOREIGN, "catch-up load")
                    model.restore(PROVIDER, when, FOREIGN, "catch-up load")
                models.append(model)
            system.app.save(*models)
        return [e.position for e in read_log(system.app)]
    finally:
        system.close()


def _state(system: System) -> Kill:
    return Kill(view_positions(system), history_positions(system))


def _run_worker_until(system: System, worker: Process, reached: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if min(view_positions(system).values()) >= reached:
            return
        if not worker.alive():
            raise AssertionError(f"worker exited:\n{worker.output()}")
        time.sleep(0.01)
    raise AssertionError(f"views did not reach {reached} within {TIMEOUT} s")


def _kill_and_finish(kind: str, workdir: Path) -> Iterator[Outcome]:
    with store_of_kind(kind, workdir) as url:
        recorded = _record_many(url)
        env = environment(url, workdir)
        system = System(parse_url(url))
        try:
            kills = []
            for n, threshold in enumerate(KILL_AFTER):
                worker = Process(["worker"], env, workdir / f"worker-{n}.log")
                worker.start()
                try:
                    _run_worker_until(system, worker, threshold)
                finally:
                    worker.kill()
                kills.append(_state(system))
            last = Process(["worker"], env, workdir / "worker-last.log")
            last.start()
            try:
                _run_worker_until(system, last, recorded[-1])
            finally:
                last.stop(signal.SIGINT)
            final = _state(system)
        finally:
            system.close()
        yield Outcome(recorded, kills, final.views, final.history, cli(env, "replay"))


@pytest.fixture(scope="module", params=LIVE_STORES)
def outcome(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Outcome]:
    """Workers killed part-way through catching up with many events, then a full run."""
    yield from _kill_and_finish(request.param, tmp_path_factory.mktemp(f"worker-{request.param}"))


def test_each_kill_landed_part_way_through_the_catch_up(outcome: Outcome) -> None:
    last = outcome.recorded[-1]
    for kill, threshold in zip(outcome.kills, KILL_AFTER, strict=True):
        assert all(threshold <= p < last for p in kill.views.values()), kill.views


def test_views_at_each_kill_hold_exactly_the_positions_they_track(outcome: Outcome) -> None:
    for kill in outcome.kills:
        tracked = kill.views[HistoryView.name]
        assert kill.history == [p for p in outcome.recorded if p <= tracked]


def test_restarted_worker_applies_every_position_exactly_once(outcome: Outcome) -> None:
    assert outcome.history == outcome.recorded
    assert set(outcome.views.values()) == {outcome.recorded[-1]}


def test_views_after_the_kills_equal_a_fresh_rebuild(outcome: Outcome) -> None:
    assert outcome.replay.returncode == 0, outcome.replay.stdout + outcome.replay.stderr


# --- a worker sharing the views out over processes -------------------------------------------


def _marked_processes(mark: str) -> list[int]:
    """Processes whose environment carries `mark` (the killed worker's own, and its helpers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if mark.encode() in (proc / "environ").read_bytes():
                found.append(int(proc.name))
        except OSError:
            continue  # gone, or not ours to read
    return found


@dataclass
class SharedOutcome:
    """What killing `regledger worker --once --processes 2` part-way left behind."""

    recorded: list[int]
    helpers_left: list[int]
    at_kill: Kill
    finished: Kill
    replay: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module", params=LIVE_STORES)
def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedOutcome]:
    """A catch-up in two processes killed part-way (SIGKILL to the parent), then finished."""
    workdir = tmp_path_factory.mktemp(f"shared-{request.param}")
    with store_of_kind(request.param, workdir) as url:
        # Enough that, left alone, the helper would go on for seconds after the kill.
        recorded = _record_many(url, SHARED_MODELS)
        mark = f"REGLEDGER_TEST_MARK={uuid.uuid4().hex}"
        env = {**environment(url, workdir), mark.split("=")[0]: mark.split("=")[1]}
        system = System(parse_url(url))
        try:
            worker = Process(["worker", "--once", "--processes", "2"], env, workdir / "w.log")
            worker.start()
            try:
                _run_worker_until(system, worker, KILL_AFTER[0])
            finally:
                worker.kill()
            deadline = time.monotonic() + HELPER_STOPS_WITHIN
            while _marked_processes(mark) and time.monotonic() < deadline:
                time.sleep(0.05)
            left = _marked_processes(mark)
            at_kill = _state(system)
            done = cli(env, "worker", "--once", "--processes", "2")
            assert done.returncode == 0, done.stderr
            finished = _state(system)
        finally:
            system.close()
        yield SharedOutcome(recorded, left, at_kill, finished, cli(env, "replay"))


def test_the_helper_processes_stop_when_the_worker_is_killed(shared: SharedOutcome) -> None:
    assert shared.helpers_left == []


def test_each_view_killed_part_way_holds_exactly_what_it_tracks(shared: SharedOutcome) -> None:
    last = shared.recorded[-1]
    assert all(KILL_AFTER[0] <= p < last for p in shared.at_kill.views.values()), (
        shared.at_kill.views
    )
    tracked = shared.at_kill.views[HistoryView.name]
    assert shared.at_kill.history == [p for p in shared.recorded if p <= tracked]


def test_a_second_shared_catch_up_finishes_every_view_exactly_once(shared: SharedOutcome) -> None:
    assert shared.finished.history == shared.recorded
    assert set(shared.finished.views.values()) == {shared.recorded[-1]}
    assert shared.replay.returncode == 0, shared.replay.stdout + shared.replay.stderr
