"""The SQL adaptor: lone reads on their own connection, and commits of derived data."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import pytest
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from psycopg.pq import TransactionStatus

from application.persistence.database import AUTOCHECKPOINT, Database, _Checkpointer
from application.persistence.store import StoreKind, parse_url
from application.system import System

T_DB = "CREATE TABLE IF NOT EXISTS t_db (k TEXT PRIMARY KEY, v INTEGER)"


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    system = System(parse_url(store_url))
    try:
        system.app.db.create([T_DB])
        yield system.app.db
    finally:
        system.close()


def _synchronous(db: Database, *, durable: bool) -> int:
    with db.transaction(durable=durable) as cur:
        cur.execute("PRAGMA synchronous")
        return int(cur.fetchone()[0])


def test_a_lone_read_sees_every_committed_write(db: Database) -> None:
    db.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("a", 1))
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("a",))["v"] == 1

    db.execute("UPDATE t_db SET v = ? WHERE k = ?", (2, "a"))

    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("a",))["v"] == 2
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("b",)) is None


def test_a_lone_read_does_not_see_an_uncommitted_write(db: Database) -> None:
    with db.transaction() as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("c", 3))
        if db.config.kind == StoreKind.SQLITE:  # a file: the lone read has its own connection
            assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("c",)) is None
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("c",))["v"] == 3


def test_closing_releases_the_read_connections_and_a_later_read_opens_another(
    db: Database,
) -> None:
    db.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("d", 4))
    db.read_single("SELECT v FROM t_db WHERE k = ?", ("d",))
    readers = list(db._readers)  # noqa: SLF001

    db.close()

    for reader in readers:
        with pytest.raises(sqlite3.ProgrammingError):
            reader.execute("SELECT 1")
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("d",))["v"] == 4


def test_nothing_written_in_a_transaction_that_does_not_commit_is_kept(db: Database) -> None:
    refused = False
    try:
        with db.transaction(commit=False) as cur:
            cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("r", 1))
    except PersistenceError:
        refused = True  # PostgreSQL: the transaction is read-only, the write itself fails

    assert refused == db.is_postgres
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("r",)) is None
    assert db.fetchall("SELECT k FROM t_db") == []


@pytest.fixture
def one_connection(store_url: str) -> Iterator[tuple[Database, PostgresDatastore]]:
    """A PostgreSQL Database whose pool holds a single connection, so that every call meets it."""
    config = parse_url(store_url)
    if config.kind != StoreKind.POSTGRES:
        pytest.skip("only PostgreSQL connections keep prepared statements")
    pg = config.pg
    datastore = PostgresDatastore(
        pg["POSTGRES_DBNAME"],
        pg["POSTGRES_HOST"],
        pg["POSTGRES_PORT"],
        pg["POSTGRES_USER"],
        pg["POSTGRES_PASSWORD"],
        pool_size=1,
    )
    db = Database(config, datastore)
    db.create([T_DB])
    db.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("p", 1))
    try:
        yield db, datastore
    finally:
        datastore.close()


def _prepared(datastore: PostgresDatastore) -> int:
    with datastore.get_connection() as conn:
        row = conn.execute("SELECT count(*) AS n FROM pg_prepared_statements").fetchone()
        return int(row["n"])


def test_reads_keep_the_connections_prepared_statements(
    one_connection: tuple[Database, PostgresDatastore],
) -> None:
    db, datastore = one_connection
    with datastore.get_connection() as conn:  # as the library prepares its inserts
        conn.execute("SELECT v FROM t_db WHERE k = %s", ("p",), prepare=True)
    assert _prepared(datastore) == 1

    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("p",))["v"] == 1
    assert db.fetchone("SELECT v FROM t_db WHERE k = ?", ("p",))["v"] == 1
    assert len(db.fetchall("SELECT k FROM t_db")) == 1
    with db.transaction(commit=False) as cur:
        cur.execute("SELECT v FROM t_db WHERE k = ?", ("p",))
        assert cur.fetchone()["v"] == 1

    assert _prepared(datastore) == 1


def test_a_read_that_fails_ends_its_transaction_and_the_connection_serves_again(
    one_connection: tuple[Database, PostgresDatastore],
) -> None:
    db, datastore = one_connection
    with pytest.raises(PersistenceError), db.transaction(commit=False) as cur:
        cur.execute("SELECT v FROM no_such_table")

    with datastore.get_connection() as conn:
        assert conn.info.transaction_status == TransactionStatus.IDLE
    assert db.fetchone("SELECT v FROM t_db WHERE k = ?", ("p",))["v"] == 1


def test_a_read_left_by_the_callers_own_error_keeps_the_prepared_statements(
    one_connection: tuple[Database, PostgresDatastore],
) -> None:
    db, datastore = one_connection
    with datastore.get_connection() as conn:
        conn.execute("SELECT v FROM t_db WHERE k = %s", ("p",), prepare=True)

    with pytest.raises(LookupError), db.transaction(commit=False) as cur:
        cur.execute("SELECT v FROM t_db WHERE k = ?", ("absent",))
        if cur.fetchone() is None:
            raise LookupError("absent")

    with datastore.get_connection() as conn:
        assert conn.info.transaction_status == TransactionStatus.IDLE
    assert _prepared(datastore) == 1


def test_derived_data_commits_without_waiting_for_the_disk_and_commands_still_do(
    db: Database,
) -> None:
    if db.config.kind != StoreKind.SQLITE:
        pytest.skip("only a SQLite file has a per-commit disk wait to skip")
    full, normal = 2, 1

    assert _synchronous(db, durable=False) == normal
    # Every connection the pool hands out afterwards is durable again.
    assert _synchronous(db, durable=True) == full
    with db.transaction() as a, db.datastore.transaction(commit=False) as b:
        a.execute("PRAGMA synchronous")
        b.execute("PRAGMA synchronous")
        assert int(a.fetchone()[0]) == int(b.fetchone()[0]) == full


def test_a_failed_derived_commit_leaves_nothing_and_the_connection_durable(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction(durable=False) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("e", 5))
        raise RuntimeError("the batch failed")

    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("e",)) is None
    if db.config.kind == StoreKind.SQLITE:
        assert _synchronous(db, durable=True) == 2


def _other_writer_can_begin(db: Database) -> bool:
    other = sqlite3.connect(db.config.sqlite_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as e:
        assert "locked" in str(e)
        return False
    else:
        other.execute("ROLLBACK")
        return True
    finally:
        other.close()


@pytest.mark.parametrize("durable", [True, False])
def test_an_immediate_transaction_holds_the_write_lock_from_its_start(
    db: Database, durable: bool
) -> None:
    if db.config.kind != StoreKind.SQLITE or db.config.sqlite_path in ("", ":memory:"):
        pytest.skip("only a SQLite file is locked by other connections")
    with db.transaction(durable=durable) as cur:
        cur.execute("SELECT v FROM t_db WHERE k = ?", ("a",))
        assert _other_writer_can_begin(db)  # a deferred transaction that has only read
    with db.transaction(durable=durable, immediate=True) as cur:
        cur.execute("SELECT v FROM t_db WHERE k = ?", ("a",))
        assert not _other_writer_can_begin(db)
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("i", 9))
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("i",))["v"] == 9
    assert _other_writer_can_begin(db)
    assert _synchronous(db, durable=True) == 2  # the pool's connections are durable again


def test_a_failed_immediate_transaction_leaves_nothing(db: Database) -> None:
    with pytest.raises(RuntimeError), db.transaction(durable=False, immediate=True) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("f", 6))
        raise RuntimeError("the batch failed")
    assert db.read_single("SELECT v FROM t_db WHERE k = ?", ("f",)) is None


def _sqlite_file(db: Database) -> None:
    if db.config.kind != StoreKind.SQLITE:
        pytest.skip("only a SQLite file has a write-ahead log to checkpoint")


def _checkpointer_of(db: Database) -> _Checkpointer:
    _sqlite_file(db)
    assert db.checkpointer is not None
    return db.checkpointer


def _autocheckpoint(db: Database, *, durable: bool) -> int:
    with db.transaction(durable=durable) as cur:
        cur.execute("PRAGMA wal_autocheckpoint")
        return int(cur.fetchone()[0])


def _in_database_file(db: Database, key: str, tmp_path: Path) -> bool:
    """True when the row is in the database file itself, not only in its write-ahead log."""
    copy = tmp_path / "file-only.db"
    shutil.copyfile(db.config.sqlite_path, copy)  # without the -wal file beside it
    with closing(sqlite3.connect(copy)) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        if "t_db" not in tables:
            return False
        return conn.execute("SELECT 1 FROM t_db WHERE k = ?", (key,)).fetchone() is not None


def _wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + 10
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_derived_data_commits_leave_checkpoints_to_a_thread_and_commands_still_make_them(
    db: Database,
) -> None:
    _sqlite_file(db)
    assert _autocheckpoint(db, durable=False) == 0
    # Every connection the pool hands out afterwards checkpoints its own commits again.
    assert _autocheckpoint(db, durable=True) == AUTOCHECKPOINT
    with db.transaction() as a, db.datastore.transaction(commit=False) as b:
        a.execute("PRAGMA wal_autocheckpoint")
        b.execute("PRAGMA wal_autocheckpoint")
        assert int(a.fetchone()[0]) == int(b.fetchone()[0]) == AUTOCHECKPOINT


def test_the_checkpointer_copies_a_derived_commit_into_the_database_file(
    db: Database, tmp_path: Path
) -> None:
    checkpointer = _checkpointer_of(db)
    before = checkpointer.checkpoints

    with db.transaction(durable=False, immediate=True) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("derived", 1))

    assert _wait_for(lambda: checkpointer.checkpoints > before)
    assert _in_database_file(db, "derived", tmp_path)


def test_a_read_or_a_failed_derived_transaction_does_not_wake_the_checkpointer(
    db: Database,
) -> None:
    checkpointer = _checkpointer_of(db)
    with db.transaction(durable=False, commit=False) as cur:
        cur.execute("SELECT 1")
    with pytest.raises(RuntimeError), db.transaction(durable=False) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("failed", 1))
        raise RuntimeError("boom")

    assert not checkpointer.running
    assert db.fetchone("SELECT v FROM t_db WHERE k = ?", ("failed",)) is None


def test_closing_stops_the_checkpointer_and_a_later_derived_commit_starts_another(
    db: Database, tmp_path: Path
) -> None:
    checkpointer = _checkpointer_of(db)
    db.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("first", 1))
    with db.transaction(durable=False) as cur:
        cur.execute("UPDATE t_db SET v = 2 WHERE k = ?", ("first",))
    assert checkpointer.running

    db.close()

    assert not checkpointer.running
    with db.transaction(durable=False) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("second", 1))
    assert checkpointer.running
    assert _wait_for(lambda: _in_database_file(db, "second", tmp_path))


def test_without_a_connection_for_checkpoints_derived_commits_checkpoint_themselves(
    db: Database, tmp_path: Path
) -> None:
    checkpointer = _checkpointer_of(db)
    checkpointer.uri = (tmp_path / "missing-dir" / "x.db").as_uri()  # cannot be opened
    with db.transaction(durable=False) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("first", 1))
    # The thread marks itself broken, logs it and ends: wait for the end as well.
    assert _wait_for(lambda: checkpointer.broken and not checkpointer.running)

    assert _autocheckpoint(db, durable=False) == AUTOCHECKPOINT
    with db.transaction(durable=False) as cur:
        cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", ("second", 2))
    assert not checkpointer.running


def test_the_log_stays_short_while_readers_keep_it_busy(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers that always hold a snapshot (a runner working out its next batch) keep the
    log from starting afresh on its own: the checkpointer and the next commit restart it."""
    checkpointer = _checkpointer_of(db)
    monkeypatch.setattr(checkpointer, "SPACING", 0.01)
    monkeypatch.setattr(checkpointer, "RESTART_FRAMES", 64)
    stop = threading.Event()

    def read_all_the_time() -> None:
        with closing(sqlite3.connect(db.config.sqlite_path, isolation_level=None)) as conn:
            while not stop.is_set():
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM t_db").fetchone()
                time.sleep(0.002)
                conn.execute("COMMIT")

    reader = threading.Thread(target=read_all_the_time)
    reader.start()
    blob = "x" * 20_000  # five pages or more a commit
    commits = 300
    try:
        for i in range(commits):
            with db.transaction(durable=False, immediate=True) as cur:
                cur.execute("INSERT INTO t_db (k, v) VALUES (?, ?)", (f"{i}{blob}", i))
            time.sleep(0.001)
    finally:
        stop.set()
        reader.join()

    wal = Path(f"{db.config.sqlite_path}-wal").stat().st_size
    # The commits wrote 1,500 pages or more, which the log holds when never restarted.
    assert wal < 1_000 * (4096 + 24), wal
    assert db.fetchone("SELECT count(*) AS n FROM t_db")["n"] == commits


def test_a_restart_that_fails_after_the_commit_only_retires_its_connection() -> None:
    class Failing:
        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def execute(self, statement: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    class Connection:
        closed = False

        def cursor(self) -> Failing:
            return Failing()

        def close(self) -> None:
            self.closed = True

    checkpointer = _Checkpointer("file:unused")
    checkpointer.long = True
    conn = Connection()

    checkpointer.restart(conn)  # the batch is committed: nothing is raised

    assert conn.closed  # its busy timeout may be left short: no command gets it
    assert checkpointer.long  # asked again after the next checkpoint


T_BULK = (
    "CREATE TABLE IF NOT EXISTS t_bulk "
    "(k TEXT PRIMARY KEY, n BIGINT, small INTEGER, b BLOB, note TEXT)"
)
BULK_ROWS = [
    ("a", 1, 0, b"\x00\xff", None),
    ('b "quoted", {braced}', 2**40, -3, b"", "back\\slash"),
    ("c", None, None, b"\\x00", "NULL"),
    ("dé ✓", -(2**40), 7, bytes(range(256)), ""),
]


def test_a_plain_insert_of_many_rows_has_one_statement_of_column_arrays_on_postgresql(
    db: Database,
) -> None:
    db.create([T_BULK])
    statement = "INSERT INTO t_bulk VALUES (?,?,?,?,?)"
    named = "INSERT INTO t_bulk (note, k) VALUES (?, ?)"
    if not db.is_postgres:
        assert db.bulk_insert(statement) is None
        return
    bulk = db.bulk_insert(statement)
    assert bulk == (
        "INSERT INTO t_bulk (k, n, small, b, note) SELECT * FROM "
        "unnest(%s::text[], %s::bigint[], %s::integer[], %s::bytea[], %s::text[])"
    )
    assert db.bulk_insert(named) == (
        "INSERT INTO t_bulk (note, k) SELECT * FROM unnest(%s::text[], %s::text[])"
    )
    # Anything but a plain insert into a table it has seen keeps its rows one by one.
    for other in (
        "UPDATE t_bulk SET n=? WHERE k=?",
        "INSERT INTO t_bulk VALUES (?,?,?,?,?) ON CONFLICT DO NOTHING",
        "INSERT INTO t_bulk VALUES (?,?,?,?)",
        "INSERT INTO t_bulk (k, nope) VALUES (?,?)",
        "INSERT INTO t_unknown VALUES (?)",
    ):
        assert db.bulk_insert(other) is None, other

    with db.transaction() as cur:
        cur.inner.execute(bulk, [list(c) for c in zip(*BULK_ROWS, strict=True)])
    with db.transaction(commit=False) as cur:
        cur.execute("SELECT k, n, small, b, note FROM t_bulk ORDER BY k")
        rows = [(r["k"], r["n"], r["small"], bytes(r["b"]), r["note"]) for r in cur.fetchall()]
    assert rows == sorted(BULK_ROWS)
