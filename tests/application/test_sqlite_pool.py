"""The project's SQLite connection pool: the library's, plus asking it not to wait."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from application.persistence.recorders import IdempotentSQLiteRecorder
from application.persistence.sqlite import (
    StatementCachingPool,
    StoreBusy,
    is_busy,
    use_project_pool,
    without_waiting,
)


@pytest.fixture
def pool(tmp_path: Path) -> Iterator[StatementCachingPool]:
    datastore = use_project_pool(SQLiteDatastore(str(tmp_path / "pool.db"), lock_timeout=7))
    assert isinstance(datastore.pool, StatementCachingPool)
    try:
        yield datastore.pool
    finally:
        datastore.close()


def busy_timeout(conn: object) -> int:
    with conn.cursor() as pragma:  # type: ignore[attr-defined]
        pragma.execute("PRAGMA busy_timeout")
        return int(pragma.fetchone()[0])


def test_not_waiting_a_busy_writer_is_refused_at_once(pool: StatementCachingPool) -> None:
    writer = pool.get_connection(is_writer=True)
    try:
        with without_waiting(), pytest.raises(StoreBusy):
            pool.get_connection(is_writer=True)
        # Readers of a file never wait for the writer: not waiting changes nothing for them.
        with without_waiting():
            reader = pool.get_connection(is_writer=False)
        pool.put_connection(reader)
    finally:
        pool.put_connection(writer)


def test_a_writer_not_waiting_skips_sqlites_wait_until_given_back(
    pool: StatementCachingPool,
) -> None:
    with without_waiting():
        writer = pool.get_connection(is_writer=True)
    assert busy_timeout(writer) == 0
    pool.put_connection(writer)

    again = pool.get_connection(is_writer=True)
    try:
        assert again is writer  # the same connection, waiting for locks again
        assert busy_timeout(again) == 7_000
    finally:
        pool.put_connection(again)


def test_a_lock_held_by_another_connection_is_found_busy_at_once(
    pool: StatementCachingPool, tmp_path: Path
) -> None:
    setup = sqlite3.connect(tmp_path / "pool.db")
    setup.execute("PRAGMA journal_mode=WAL")  # as the pool leaves every store it opens
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    other = sqlite3.connect(tmp_path / "pool.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with without_waiting():
            writer = pool.get_connection(is_writer=True)
        try:
            with (
                pytest.raises(OperationalError) as raised,  # the library wraps the driver's
                writer.transaction(commit=True) as c,
            ):
                c.execute("INSERT INTO t VALUES (1)")
        finally:
            pool.put_connection(writer)
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert is_busy(raised.value)


def test_only_a_lock_found_held_is_busy() -> None:
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = 5  # type: ignore[attr-defined]
    wrapped = OperationalError("wrapped")
    wrapped.__cause__ = locked
    other = sqlite3.OperationalError("no such table: t")
    other.sqlite_errorcode = 1  # type: ignore[attr-defined]

    assert is_busy(StoreBusy())
    assert is_busy(wrapped)
    assert not is_busy(other)
    assert not is_busy(IntegrityError("UNIQUE constraint failed"))
    assert not is_busy(ValueError("no"))


class TestRecorderOnTheProjectsPool(ApplicationRecorderTestCase[IdempotentSQLiteRecorder]):
    """The library's recorder promises hold on the project's pool too."""

    @pytest.fixture(autouse=True)
    def _database_file(self, tmp_path: Path) -> None:
        self.db_path = str(tmp_path / "recorder.db")

    def create_recorder(self) -> IdempotentSQLiteRecorder:
        recorder = IdempotentSQLiteRecorder(use_project_pool(SQLiteDatastore(self.db_path)))
        recorder.create_table()
        return recorder
