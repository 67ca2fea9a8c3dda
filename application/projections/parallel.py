"""Catching the views up in more than one process: each view is applied by one of them.

The views are independent of one another (each has its own tables and its own tracking
record), and a runner works a batch out holding no lock, writing it in one short
transaction. So runners in different processes, each keeping some of the views, overlap
their work and queue only for the writes. Every batch of every view is still applied
exactly once, atomically with its tracking record: a worker is an ordinary
`ProjectionRunner` over a subset of the views.

This process keeps the views that only it can apply (a ledger that signs tree heads holds
the signing key) and as many others as balance the work; each worker process opens the
same store and makes its own instances of the rest by name.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from application.persistence.store import StoreConfig, StoreKind
from application.projections.base import View
from application.projections.registry import default_views
from application.projections.runner import ProjectionRunner


class WorkerError(RuntimeError):
    """A worker process failed to apply its views (its traceback is the message)."""


def plan(views: Sequence[View], processes: int) -> list[list[View]]:
    """Split `views` into at most `processes` groups of similar cost; this process's first.

    Views that cannot be made afresh by name in another process stay in the first group.
    """
    groups: list[list[View]] = [[] for _ in range(max(1, min(processes, len(views))))]
    costs = [0.0] * len(groups)
    pinned = [v for v in views if not v.portable]
    for view in pinned:
        groups[0].append(view)
        costs[0] += view.cost
    for view in sorted((v for v in views if v.portable), key=lambda v: -v.cost):
        i = min(range(len(groups)), key=lambda g: (costs[g], g))
        groups[i].append(view)
        costs[i] += view.cost
    order = {id(v): i for i, v in enumerate(views)}  # each group keeps the views' own order
    return [sorted(g, key=lambda v: order[id(v)]) for i, g in enumerate(groups) if g or i == 0]


class Abandoned(Exception):
    """The process that asked for the work is gone."""


def run_until(
    runner: ProjectionRunner,
    position: int | None,
    abandoned: Callable[[], bool] = lambda: False,
) -> int:
    """Apply batches until `runner`'s views reach `position` (None: all recorded so far).

    `abandoned()` is asked before each batch: a worker whose parent has gone stops there.
    """
    total = 0
    while position is None or runner.position() < position:
        if abandoned():
            raise Abandoned
        overtakes = runner.overtakes
        applied = runner.run_once()
        total += applied
        if not applied:
            if runner.overtakes == overtakes:
                break  # the log ends before `position`
            time.sleep(0.001)
    return total


def _serve(config: StoreConfig, names: list[str], batch_size: int, conn: Connection) -> None:
    """A worker process: apply batches of the named views when asked, until told to stop."""
    from application.system import System  # imported here: a fresh interpreter

    system = None
    try:
        system = System(config)
        views = [v for v in default_views() if v.name in names]
        runner = ProjectionRunner(
            system.app.recorder,
            system.app.mapper,
            system.app.db,
            system.tracking,
            views,
            batch_size=batch_size,
        )
        conn.send(("ready", 0, 0))
        while (message := conn.recv())[0] != "stop":
            request, argument = message
            if request == "batch":
                overtakes = runner.overtakes
                applied = runner.run_once()
                conn.send(("ok", applied, runner.overtakes - overtakes))
            elif request == "until":
                # The parent waits for the answer, sending nothing: anything to read now
                # is the end of the pipe, because the parent has gone.
                conn.send(("ok", run_until(runner, argument, conn.poll), 0))
            elif request == "position":
                conn.send(("ok", runner.position(), 0))
    except Abandoned:
        pass
    except BaseException:  # noqa: BLE001  # reported to the parent, which raises it
        with contextlib.suppress(OSError):
            conn.send(("error", traceback.format_exc(), 0))
    finally:
        if system is not None:
            system.close()
        conn.close()


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self, config: StoreConfig, views: Sequence[View], batch_size: int) -> None:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        self.conn, child = context.Pipe()
        self.names = [v.name for v in views]
        self.process = context.Process(
            target=_serve,
            args=(config, self.names, batch_size, child),
            name=f"regledger-views-{'+'.join(self.names)}",
            daemon=True,
        )
        self.process.start()
        child.close()

    @property
    def pid(self) -> int | None:
        """The worker's process id."""
        return self.process.pid

    def ask(self, request: str, argument: int | None = None) -> None:
        """Send a request; `answer()` reads the reply."""
        self.conn.send((request, argument))

    def answer(self) -> tuple[int, int]:
        """The reply to the last request (a count and the batches given up), or raise."""
        try:
            kind, value, extra = self.conn.recv()
        except EOFError:
            raise WorkerError(f"the worker for {self.names} stopped") from None
        if kind == "error":
            raise WorkerError(f"the worker for {self.names} failed:\n{value}")
        return int(value), int(extra)

    def stop(self) -> None:
        """Ask the worker to finish, and wait for it (killing it if it does not)."""
        with contextlib.suppress(OSError):
            self.conn.send(("stop", None))
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


class ParallelRunner:
    """A `ProjectionRunner` whose views are split over this process and worker processes.

    `run_once()` has every process apply its next batch; `run_until()` and `catch_up()` let
    each go at its own pace to a position. Close it (or leave its `with` block) to stop the
    workers: one busy with a catch-up stops before its next batch.
    """

    def __init__(self, runner: ProjectionRunner, config: StoreConfig, processes: int) -> None:
        """Share `runner`'s views out over `processes` processes (0: one per core)."""
        shared = config.kind != StoreKind.MEMORY  # other processes cannot open a memory store
        count = processes or os.cpu_count() or 1
        groups = plan(runner.views, count if shared else 1)
        self.runner = ProjectionRunner(
            runner.source,
            runner.mapper,
            runner.target,
            runner.tracking,
            groups[0],
            batch_size=runner.batch_size,
        )
        self.workers: list[_Worker] = []
        try:
            for group in groups[1:]:
                self.workers.append(_Worker(config, group, runner.batch_size))
            for worker in self.workers:
                worker.answer()  # ready
        except BaseException:
            self.close()
            raise

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [w.pid for w in self.workers if w.pid is not None]

    def run_once(self) -> int:
        """Apply one batch in every process; return the most events any of them applied."""
        return max(self._everywhere("batch", None, self.runner.run_once))

    def run_until(self, position: int | None = None) -> int:
        """Let every process apply batches, each at its own pace, until its views reach
        `position` (None: everything recorded so far); return the log events passed."""
        start = self.position()
        self._everywhere("until", position, lambda: run_until(self.runner, position))
        return self.position() - start

    def catch_up(self) -> int:
        """Apply everything recorded so far; return the count of log events passed."""
        return self.run_until(None)

    def _everywhere(self, request: str, argument: int | None, here: Callable[[], int]) -> list[int]:
        for worker in self.workers:
            worker.ask(request, argument)
        error: BaseException | None = None
        counts: list[int] = []
        try:
            counts.append(here())
        except Exception as e:  # noqa: BLE001  # collect the workers' answers first
            error = e
        for worker in self.workers:
            try:
                counts.append(worker.answer()[0])
            except WorkerError as e:
                error = error or e
        if error is not None:
            raise error
        return counts

    def position(self) -> int:
        """The position every view has reached."""
        return min(self._everywhere("position", None, self.runner.position))

    def close(self) -> None:
        """Stop the worker processes."""
        for worker in self.workers:
            worker.stop()
        self.workers = []

    def __enter__(self) -> ParallelRunner:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
