"""Projection rebuild against the raw library's read-and-decode rate (SPEC §10).

Both sides work through the same log in turns of ten batches, interleaved (raw decode of a
range, then the rebuild of the same range, alternating which goes first), so the ratio
compares them under the same load. The rebuild is `ParallelRunner.run_until` with the
default views (no signing) into a fresh scratch store holding only the events, its views
shared out over `processes` processes (one per core by default, as `regledger worker --once
--processes 0` does); the raw side is `select_notifications` plus `mapper.to_domain_event`
in one process. Worker start-up (about half a second, once per rebuild) is timed apart.
Resident memory of every process of the rebuild is sampled throughout, summed, so that it
shows whether memory grows with history.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import BenchError, rss_mb

BATCH = 500
CHUNK = 10  # batches per turn: each side works through 5,000 events before the other


@dataclass
class RebuildResult:
    """What one rebuild measured."""

    events: int
    rebuild_seconds: float
    raw_seconds: float
    rss_start_mb: float
    rss_peak_mb: float
    rss_end_mb: float
    rss_samples: list[tuple[int, float]] = field(default_factory=list)
    processes: int = 1
    start_up_seconds: float = 0.0

    @property
    def rebuild_per_s(self) -> float:
        """Events per second through the rebuild."""
        return self.events / self.rebuild_seconds

    @property
    def raw_per_s(self) -> float:
        """Events per second read and decoded by the raw library."""
        return self.events / self.raw_seconds

    @property
    def ratio(self) -> float:
        """Rebuild rate over raw read-and-decode rate."""
        return self.raw_seconds / self.rebuild_seconds

    @property
    def rss_growth_mb(self) -> float:
        """Memory growth over the last 90% of the rebuild (after caches have filled)."""
        if not self.rss_samples:
            return 0.0
        tenth = self.events // 10
        settled = [mb for n, mb in self.rss_samples if n >= tenth] or [self.rss_end_mb]
        return max(settled) - settled[0]


def scratch_copy(events_db: Path, target: Path) -> Path:
    """A fresh store holding only the events of `events_db` (WAL folded in first)."""
    with sqlite3.connect(events_db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(events_db, target)
    return target


class _Sampler(threading.Thread):
    """Samples the RSS of this process and `pids` with the rebuild's progress, every `every` s."""

    def __init__(self, progress: list[int], pids: list[int], every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.progress = progress
        self.pids = pids
        self.every = every
        self.samples: list[tuple[int, float]] = []
        self.done = threading.Event()

    def total(self) -> float:
        """Resident memory of every process of the rebuild, in MB."""
        return rss_mb() + sum(rss_mb(pid) for pid in self.pids)

    def run(self) -> None:
        while not self.done.wait(self.every):
            self.samples.append((self.progress[0], self.total()))


def measure(
    store: Path, batch: int = BATCH, processes: int = 0, views: list[str] | None = None
) -> RebuildResult:
    """Rebuild every view of `store` (events only), interleaved with the raw baseline.

    `processes` share the views out (0: one per core); `views` names the only views to
    rebuild (a diagnostic: one share of the work, alone).
    """
    from application.persistence.store import parse_url
    from application.projections.parallel import ParallelRunner
    from application.projections.runner import ProjectionRunner
    from application.system import System

    system = System(parse_url(f"sqlite:///{store}"))
    recorder, mapper = system.app.recorder, system.app.mapper
    chosen = system.runner
    if views is not None:
        unknown = set(views) - {v.name for v in chosen.views}
        if unknown:
            system.close()
            raise BenchError(f"no such views: {sorted(unknown)}")
        chosen = ProjectionRunner(
            chosen.source,
            chosen.mapper,
            chosen.target,
            chosen.tracking,
            [v for v in chosen.views if v.name in views],
        )
    chosen.batch_size = batch
    started = time.perf_counter()
    runner = ParallelRunner(chosen, system.store, processes)
    start_up = time.perf_counter() - started
    progress = [0]
    sampler = _Sampler(progress, runner.pids)
    start_rss = sampler.total()
    sampler.start()
    raw = built = 0.0
    position, turn = 0, 0
    try:
        while True:
            end = position + batch * CHUNK
            t0 = time.perf_counter()
            if turn % 2:
                done = runner.run_until(end)
                t1 = time.perf_counter()
                _raw(recorder, mapper, position, end, batch)
                t2 = time.perf_counter()
                built, raw = built + (t1 - t0), raw + (t2 - t1)
            else:
                _raw(recorder, mapper, position, end, batch)
                t1 = time.perf_counter()
                done = runner.run_until(end)
                t2 = time.perf_counter()
                raw, built = raw + (t1 - t0), built + (t2 - t1)
            if not done:
                break
            turn += 1
            position += done
            progress[0] += done
    finally:
        sampler.done.set()
        sampler.join()
        end_rss = sampler.total()
        runner.close()
        system.close()
    peak = max([start_rss, end_rss, *(mb for _, mb in sampler.samples)])
    return RebuildResult(
        progress[0],
        built,
        raw,
        start_rss,
        peak,
        end_rss,
        sampler.samples,
        processes=1 + len(sampler.pids),
        start_up_seconds=start_up,
    )


def _raw(recorder: Any, mapper: Any, position: int, end: int, batch: int) -> None:
    """Read and decode the log after `position` up to `end`, `batch` notifications a time."""
    while position < end:
        notifications = recorder.select_notifications(
            start=position + 1, limit=min(batch, end - position)
        )
        if not notifications:
            return
        for n in notifications:
            mapper.to_domain_event(n)
        position = notifications[-1].id


def measure_in_fresh_process(
    store: Path, batch: int = BATCH, processes: int = 0, views: list[str] | None = None
) -> RebuildResult:
    """`measure` in a new interpreter, so its memory figures are the rebuild's alone."""
    names = [",".join(views)] if views is not None else []
    out = subprocess.run(
        [sys.executable, "-m", "bench.rebuild", str(store), str(batch), str(processes), *names],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise BenchError(f"the rebuild failed: {out.stderr[-2000:]}")
    data = json.loads(out.stdout)
    data["rss_samples"] = [tuple(s) for s in data["rss_samples"]]
    return RebuildResult(**data)


if __name__ == "__main__":
    names = sys.argv[4].split(",") if len(sys.argv) > 4 else None
    result = measure(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), names)
    print(json.dumps(asdict(result)))
