"""The library's SQLite infrastructure, with a statement cache large enough for the views.

The library opens connections with `cached_statements=True` (a cache of one statement), so
every query of a read or a projection batch is prepared again. The project's reads run
several different statements per answer; a larger cache halves their cost.

The pool can also be asked not to wait (`without_waiting`): a caller that must not block
(the server's event loop) then gets a connection, and the writer, only if they are free at
once, and SQLite's own wait for another process's lock is off meanwhile.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from eventsourcing.persistence import ConnectionUnavailableError, InterfaceError
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

STATEMENT_CACHE = 256
# SQLite's primary result codes of a lock held elsewhere (the extended codes keep them in
# their low byte): SQLITE_BUSY, SQLITE_LOCKED.
_LOCK_CODES = (5, 6)

_not_waiting: ContextVar[bool] = ContextVar("regledger_not_waiting", default=False)


class StoreBusy(Exception):
    """A connection or the writer was not free at once, and the caller would not wait."""


@contextmanager
def without_waiting() -> Iterator[None]:
    """Within: the pools' connections, and their writer, only if free at once (else
    `StoreBusy`), and SQLite's wait for a lock another process holds is off (a write then
    fails at once instead, see `is_busy`). Nothing else changes: what is recorded within is
    recorded as ever.
    """
    token = _not_waiting.set(True)
    try:
        yield
    finally:
        _not_waiting.reset(token)


def is_busy(error: BaseException) -> bool:
    """Whether `error`, or what it was raised from, is a lock found held: nothing was done."""
    seen: BaseException | None = error
    for _ in range(8):  # the library wraps the driver's errors once or twice
        if seen is None:
            return False
        if isinstance(seen, StoreBusy):
            return True
        if isinstance(seen, sqlite3.OperationalError):
            return (getattr(seen, "sqlite_errorcode", 0) & 0xFF) in _LOCK_CODES
        seen = seen.__cause__ or seen.__context__
    return False


class StatementCachingPool(SQLiteConnectionPool):
    """The library's connection pool, opening connections with a real statement cache.

    Within `without_waiting`, a connection is handed out only if one is free at once, and
    one for writing only if the writer is free too; the writer's SQLite wait for locks is
    then off until it is returned.
    """

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        if not _not_waiting.get():
            return super().get_connection(timeout, is_writer=is_writer)
        try:
            conn = super().get_connection(0.0, is_writer=is_writer)
        except ConnectionUnavailableError:
            raise StoreBusy("the store's writer or connections are in use") from None
        if is_writer:
            try:
                with conn.cursor() as pragma:
                    pragma.execute("PRAGMA busy_timeout=0")
            except BaseException:
                self.put_connection(conn)
                raise
            conn.not_waiting = True  # type: ignore[attr-defined]
        return conn

    def put_connection(self, conn: SQLiteConnection) -> None:
        if getattr(conn, "not_waiting", False):
            conn.not_waiting = False  # type: ignore[attr-defined]
            try:
                with conn.cursor() as pragma:
                    pragma.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            except sqlite3.Error:
                conn.close()  # never hand out a writer that would not wait for a lock
        super().put_connection(conn)

    @property
    def _lock_timeout_s(self) -> float:
        """How long a connection waits for a lock another connection holds."""
        return self.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT

    @property
    def _busy_timeout_ms(self) -> int:
        return round(self._lock_timeout_s * 1000)

    def _create_connection(self) -> SQLiteConnection:
        try:
            c = sqlite3.connect(
                database=self.db_name,
                uri=True,
                check_same_thread=False,
                isolation_level=None,  # auto-commit: transactions begin explicitly
                cached_statements=STATEMENT_CACHE,
                timeout=self._lock_timeout_s,
            )
        except (sqlite3.Error, TypeError) as e:
            raise InterfaceError(e) from e
        if not self.is_sqlite_memory_mode and not self.is_journal_mode_wal:
            cursor = c.cursor()
            cursor.execute("PRAGMA journal_mode;")
            if cursor.fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL;")
                self.journal_mode_was_changed_to_wal = True
            self.is_journal_mode_wal = True
        c.row_factory = sqlite3.Row
        return SQLiteConnection(sqlite_conn=c, max_age=self.max_age)


def use_project_pool(datastore: SQLiteDatastore) -> SQLiteDatastore:
    """`datastore`, its library pool replaced by a `StatementCachingPool` of the same file."""
    library_pool = datastore.pool
    datastore.pool = StatementCachingPool(
        db_name=library_pool.db_name,
        lock_timeout=library_pool.lock_timeout,
    )
    library_pool.close()
    return datastore


class RegledgerSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, its datastore using the statement-caching pool."""

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        use_project_pool(self.datastore)
