"""Follows the event log into the views, exactly once, with the library's tracking records."""

from __future__ import annotations

import gc
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, Mapper, Tracking
from eventsourcing.sqlite import SQLiteApplicationRecorder

from application.persistence.database import Cursor, Database
from application.projections.base import Item, View
from application.projections.decoding import EventDecoder

log = logging.getLogger("regledger.projections")

# From this many rows, one PostgreSQL insert of column arrays costs less than `executemany`
# (in a batch of registrations: 2.1 against 2.4 ms for 20 rows a statement, 17 against
# 25 ms for 250; 1.1 against 0.8 ms for 5, each array's adaptation costing more than a row).
BULK_ROWS = 16

ADVISORY_LOCK_KEY = 0x7265676C  # one writer per view at a time on PostgreSQL: see `_lock_views`


def _lock_views(cur: Cursor, views: Sequence[View]) -> Cursor:
    """Send the try of PostgreSQL's transaction-scoped lock on each view; its row says `ok`.

    Runners keeping different views (see `parallel`) write at the same time; two runners
    keeping one view take turns, and the second then finds the view moved on. The locks
    are only tried, never waited for, so one statement takes them all; those taken when
    another is refused go with the transaction. The statement goes on a cursor of its own
    (returned), so that it travels with the next one in a pipeline.
    """
    keys = sorted((ADVISORY_LOCK_KEY << 32) | zlib.crc32(v.name.encode()) for v in views)
    lock = Cursor(cur.db, cur.inner.connection.cursor())
    lock.execute(
        "SELECT bool_and(pg_try_advisory_xact_lock(k)) AS ok FROM unnest(?::bigint[]) AS k",
        (keys,),
    )
    return lock


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """Reference counting frees a batch's objects; cycle collection waits for its end.

    A batch allocates many short-lived objects that survive long enough to be promoted,
    and each promotion wave would trigger a full collection over the whole heap.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class DeferredWrites(Cursor):
    """A view's cursor while it works out a batch: reads run at once, writes wait for `replay`.

    Reads see the views as committed before the batch (a view keeps its own batch's changes
    in memory, never reading them back). Consecutive writes of one statement are replayed as
    one `executemany`, in the order they were made.
    """

    def __init__(self, reader: Cursor) -> None:
        super().__init__(reader.db, reader.inner)
        self.reader = reader
        self.writes: list[tuple[str, list[tuple[Any, ...]]]] = []

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run a read now; keep a write for later."""
        if statement.lstrip()[:6].upper() == "SELECT":
            self.reader.execute(statement, params)
        else:
            self._keep(statement, [tuple(params)])

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Keep a write of many rows for later."""
        if rows:
            self._keep(statement, [tuple(r) for r in rows])

    def _keep(self, statement: str, rows: list[tuple[Any, ...]]) -> None:
        if self.writes and self.writes[-1][0] == statement:
            self.writes[-1][1].extend(rows)
        else:
            self.writes.append((statement, rows))

    def fetchall(self) -> list[Any]:
        """The rows of the last read."""
        return self.reader.fetchall()

    def fetchone(self) -> Any:
        """The next row of the last read, or None."""
        return self.reader.fetchone()

    def replay(self, cur: Cursor) -> None:
        """Make the kept writes on `cur`, in order (the rows are tuples already).

        On PostgreSQL a plain insert of `BULK_ROWS` rows or more goes as one statement of
        column arrays (`Database.bulk_insert`); every other write as `executemany`.
        """
        db = cur.db
        for statement, rows in self.writes:
            bulk = db.bulk_insert(statement) if db.is_postgres and len(rows) >= BULK_ROWS else None
            if bulk is not None:
                columns = [list(column) for column in zip(*rows, strict=True)]
                cur.inner.execute(bulk, columns, prepare=True)
            else:
                cur.inner.executemany(db.sql(statement), rows)


def read_log(source: Any, start: int, limit: int) -> list[tuple[int, str, Any, int, bytes]]:
    """Up to `limit` events of the log from position `start`: (position, topic, id, version, state).

    A SQLite log is read with one plain query whose rows are taken as they come, each id as
    the text the log holds (`Item` turns it into a UUID only when asked); any other source
    through `select_notifications`.
    """
    if isinstance(source, SQLiteApplicationRecorder):
        statement = (
            "SELECT rowid, topic, originator_id, originator_version, state "
            f"FROM {source.events_table_name} WHERE rowid>=? ORDER BY rowid LIMIT ?"
        )
        with source.datastore.transaction(commit=False) as c:
            c.execute(statement, (start, limit))
            return [tuple(row) for row in c.fetchall()]
    return [
        (n.id, n.topic, n.originator_id, n.originator_version, n.state)
        for n in source.select_notifications(start=start, limit=limit)
    ]


class ProjectionTimeoutError(TimeoutError):
    """The views did not reach a log position in time."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(f"projections reached position {reached}, not {wanted}, in time")
        self.wanted = wanted
        self.reached = reached


class ProjectionRunner:
    """Reads notifications after each view's tracked position and applies them in batches.

    Each batch is one transaction holding the views' rows and their tracking records,
    so a crash loses nothing and applies nothing twice.
    """

    def __init__(
        self,
        source_recorder: object,
        mapper: Mapper,
        target: Database,
        tracking_recorder: object,
        views: Sequence[View],
        batch_size: int = 500,
        poll_interval: float = 0.2,
        coalesce: float = 0.05,
    ) -> None:
        self.source = source_recorder
        self.mapper = mapper
        self.decoder = EventDecoder(mapper)
        self.target = target
        self.tracking = tracking_recorder
        self.views = list(views)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.coalesce = coalesce
        self._applied: dict[str, int] | None = None
        self.overtakes = 0  # batches given up because another runner got there first
        self._urgent = threading.Event()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None
        target.create([s for v in self.views for s in v.create_statements()])

    # --- positions -------------------------------------------------------------------------------

    def positions(self) -> dict[str, int]:
        """The last log position each view has applied."""
        return {
            v.name: int(self.tracking.max_tracking_id(v.name) or 0)  # type: ignore[attr-defined]
            for v in self.views
        }

    def position(self) -> int:
        """The position every view has reached."""
        if self._applied is not None and self.following:
            return min(self._applied.values(), default=0)
        return min(self.positions().values(), default=0)

    @property
    def following(self) -> bool:
        """True while this runner's thread keeps the views current."""
        return self._thread is not None and self._thread.is_alive()

    # --- processing ------------------------------------------------------------------------------

    def run_once(self) -> int:
        """Apply at most one batch; return how many events were applied."""
        if self._applied is None:
            self._applied = self.positions()
        positions = self._applied
        start = min(positions.values(), default=0)
        rows = read_log(self.source, start + 1, self.batch_size)
        if not rows:
            return 0
        with _cycle_collection_paused():
            return self._apply(rows, positions)

    def _apply(self, rows: Sequence[tuple[Any, ...]], positions: dict[str, int]) -> int:
        decoder = self.decoder
        items = [Item(p, t, i, v, s, decoder) for p, t, i, v, s in rows]
        last = items[-1].position
        first = items[0].position
        todos = {
            view.name: items
            if positions[view.name] < first
            else [i for i in items if i.position > positions[view.name]]
            for view in self.views
        }
        busy = [view for view in self.views if todos[view.name]]
        # Views and tracking records are rebuilt from the log, so their commits need not
        # wait for the disk; a batch that signs a tree head writes evidence, so it does.
        durable = any(view.writes_evidence(self.target, len(todos[view.name])) for view in busy)
        postgres = self.target.is_postgres
        try:
            # The views work out their changes from what is committed, holding no lock; the
            # changes are then written in one short transaction with the tracking records.
            with self.target.reads() as reader:
                changes = []
                for view in busy:
                    deferred = DeferredWrites(reader)
                    view.apply(deferred, todos[view.name])
                    changes.append((view, deferred))
            # On PostgreSQL the transaction is pipelined: `BEGIN`, the locks and the read of
            # the tracked positions go together, then the rows, the tracking records and
            # `COMMIT` (two round trips).
            with self.target.transaction(durable=durable, immediate=True, pipelined=True) as cur:
                lock = _lock_views(cur, busy) if postgres else None
                moved = self._moved(cur, busy, positions)
                if lock is not None and not lock.fetchone()["ok"]:
                    return self._overtaken()
                if moved():
                    log.info("another runner applied positions up to %s first", last)
                    return self._overtaken()
                with self.target.pipeline(cur):
                    for _, deferred in changes:
                        deferred.replay(cur)
                    tracked = [self._track(cur, Tracking(view.name, last)) for view in busy]
                for check in tracked:
                    check()
        except IntegrityError:
            self._applied = None
            if self.positions() == positions:
                raise  # no other runner moved on: the clash is in a view's own rows
            log.info("another runner applied positions up to %s first", last)
            return self._overtaken()
        except BaseException:
            self._applied = None
            raise
        self._applied = {name: max(pos, last) for name, pos in positions.items()}
        with self._progress:
            self._progress.notify_all()
        return len(items)

    def _overtaken(self) -> int:
        """Another runner holds or has applied this batch: start again from what is tracked."""
        self._applied = None
        self.overtakes += 1
        return 0

    def _moved(
        self, cur: Cursor, views: Sequence[View], positions: dict[str, int]
    ) -> Callable[[], bool]:
        """Send the read of `views`' tracked positions; the answer: has another runner moved on?

        The returned call is True when another runner has applied more to any of `views`
        since they were read. One query for every view (the library's tracking table, read
        as its own `max_tracking_id` reads it); on PostgreSQL it is sent on a cursor of its
        own, with the locks (see `_lock_views`).
        """
        names = [view.name for view in views]
        marks = ", ".join("?" for _ in names)
        if self.target.is_postgres:
            cur = Cursor(cur.db, cur.inner.connection.cursor())
        cur.execute(
            "SELECT application_name AS name, MAX(notification_id) AS reached "
            f"FROM {self.target.config.tracking_table} "
            f"WHERE application_name IN ({marks}) GROUP BY application_name",
            names,
        )

        def moved() -> bool:
            reached = {row["name"]: int(row["reached"] or 0) for row in cur.fetchall()}
            return any(reached.get(name, 0) != positions[name] for name in names)

        return moved

    def _track(self, cur: Cursor, tracking: Tracking) -> Callable[[], None]:
        """Write a view's tracking record; the returned call raises if it did not hold.

        On SQLite, the library's own insert, which checks as it goes. On PostgreSQL the
        library's statement, sent on a cursor of its own inside the batch's pipeline, and
        checked as the library checks it (a single-row tracking table answers with the
        record it moved on) once the pipeline's results are in.
        """
        recorder: Any = self.tracking
        if not self.target.is_postgres:
            recorder._insert_tracking(cur.inner, tracking)  # noqa: SLF001
            return lambda: None
        recorder._check_has_multi_row_tracking_table(cur.inner)  # noqa: SLF001
        own = cur.inner.connection.cursor()
        own.execute(
            recorder.insert_tracking_statement,
            {
                "application_name": tracking.application_name,
                "notification_id": tracking.notification_id,
            },
            prepare=True,
        )

        def check() -> None:
            if recorder.datastore.single_row_tracking and own.fetchone() is None:
                raise IntegrityError(
                    f"Failed to record tracking for {tracking.application_name} "
                    f"{tracking.notification_id}"
                )

        return check

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply everything recorded so far; return the count applied."""
        total = 0
        while True:
            overtakes = self.overtakes
            n = self.run_once()
            if n:
                total += n
                if progress is not None:
                    progress(n)
            elif self.overtakes == overtakes:
                return total  # nothing left to apply
            else:
                time.sleep(0.001)  # another runner is applying: look again once it has

    # --- background thread -----------------------------------------------------------------------

    def poke(self) -> None:
        """Something was saved: look at the log now rather than at the next poll."""
        self._wake.set()

    def start(self) -> None:
        """Follow the log in a background thread until `stop()`."""
        self._thread = threading.Thread(target=self._loop, name="projections", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.run_once():
                    # Under write load, let a few more events arrive: one batch then
                    # carries many events instead of one transaction per event.
                    if not self._urgent.is_set():
                        self._stop.wait(self.coalesce)
                    continue
            except Exception as e:  # the thread must survive a passing store error
                self.error = e
                log.exception("projection batch failed; retrying")
                self._stop.wait(1.0)
            self._wake.wait(self.poll_interval)
            self._wake.clear()
            self._urgent.clear()

    def stop(self) -> None:
        """Stop the background thread."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    # --- read-your-writes ------------------------------------------------------------------------

    def wait_for(self, position: int, timeout: float) -> int:
        """Block until every view has applied `position`; raise after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        reached = self.position()
        while reached < position:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ProjectionTimeoutError(position, reached)
            self._urgent.set()
            self.poke()
            with self._progress:
                self._progress.wait(min(remaining, 0.02))
            reached = self.position()
        return reached
