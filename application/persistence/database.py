"""A thin SQL adaptor over the library's datastores, for the project's own tables."""

from __future__ import annotations

import contextlib
import logging
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTransaction
from psycopg.pq import TransactionStatus

from application.persistence.sqlite import STATEMENT_CACHE
from application.persistence.store import StoreConfig, StoreKind

log = logging.getLogger("regledger.store")

# SQLite's default, kept for every commit but those of derived data: in WAL mode each
# commit is on disk before it is acknowledged.
DURABLE = "FULL"
# SQLite's default: a commit that leaves more pages than this in the write-ahead log
# copies them into the database file (a checkpoint) before it returns.
AUTOCHECKPOINT = 1000
# The words of a table's definition that PostgreSQL spells otherwise: only `create` needs
# them, so no other statement pays for looking.
POSTGRES_DDL = (
    ("BLOB", "BYTEA"),
    ("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"),
    ("INTEGER PRIMARY KEY", "BIGINT PRIMARY KEY"),
    (") WITHOUT ROWID", ")"),
)


# A plain insert of one row of parameters, in the project's own words (see `bulk_insert`).
_PLAIN_INSERT = re.compile(r"INSERT INTO (\w+)(?: \(([\w, ]+)\))? VALUES \((\?(?:, ?\?)*)\)")
# Every column of every table in the connection's schema, in order, with its type's name.
_COLUMNS = (
    "SELECT c.relname AS t, a.attname AS c, format_type(a.atttypid, a.atttypmod) AS ty "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
    "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY c.relname, a.attnum"
)


class _Checkpointer:
    """Copies a SQLite file's write-ahead log into the file, on a thread and connection of its own.

    Derived data's commits (the views' batches) leave checkpoints to it. Made by the
    committing writer, a checkpoint waits for the disk twice (the log, then the file), and
    a runner catching up spent about a tenth of its time in them; made here, at most one
    every `SPACING` seconds, they take a few percent of one core beside it, and a page
    that several batches change in that time is copied once. `PASSIVE` checkpoints never
    wait for readers or writers; one that finds another checkpoint running leaves the work
    to it. Every other commit that grows the log still checkpoints it as before.

    A log is written again from its start only when a writer begins with every page of it
    copied, which a runner that begins its next batch while this thread copies the last
    one never does: the log grew by the whole catch-up (370 MB for 100,000 events). So
    when a checkpoint finds the log over `RESTART_FRAMES` pages, it marks it `long`, and
    the next derived commit restarts it (see `Database.transaction`).
    """

    SPACING = 0.2
    # 128 MB of 4 KB pages. A restart holds writers off while readers finish (up to
    # RESTART_WAIT_MS); made every 32 MB, that took a tenth of a 1,000,000-event rebuild.
    RESTART_FRAMES = 32768
    RESTART_WAIT_MS = 50

    def __init__(self, uri: str) -> None:
        self.uri = uri
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checkpoints = 0
        self.broken = False  # its connection would not open: commits checkpoint themselves
        self.long = False  # the last checkpoint found the log over RESTART_FRAMES pages
        self.checkpointing = threading.Lock()  # one checkpoint at a time in this process

    @property
    def running(self) -> bool:
        """True while the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def poke(self) -> None:
        """The log has grown: checkpoint it soon."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._closing.is_set():
                    self._thread = threading.Thread(
                        target=self._run, name="checkpointer", daemon=True
                    )
                    self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(
                self.uri, uri=True, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error:
            self.broken = True
            log.exception("no connection for checkpoints: view batches checkpoint as they commit")
            return
        try:
            while True:
                self._wake.wait()
                if self._closing.is_set():
                    return
                self._wake.clear()  # a commit from here on asks for another checkpoint
                try:
                    with self.checkpointing:
                        _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.checkpoints += 1
                    self.long = frames >= self.RESTART_FRAMES
                except sqlite3.Error:
                    pass  # busy or gone: the next commit pokes again
                if self._closing.wait(self.SPACING):
                    return
        finally:
            conn.close()

    def restart(self, conn: Any) -> None:
        """Copy the rest of a long log and have the next writer write it again from its start.

        Made just after a derived commit, on its connection: a `RESTART` checkpoint waits at
        most `RESTART_WAIT_MS` for readers of the log (a batch's reads), holding off writers
        meanwhile; if they do not finish, the next long checkpoint asks again. The commit is
        made already, so a failure here is only logged: the log is then restarted later.
        """
        try:
            with conn.cursor() as pragma:
                pragma.execute("PRAGMA busy_timeout")
                waits = int(pragma.fetchone()[0])
                pragma.execute(f"PRAGMA busy_timeout={self.RESTART_WAIT_MS}")
                try:
                    with self.checkpointing:
                        pragma.execute("PRAGMA wal_checkpoint(RESTART)")
                        if pragma.fetchone()[0] == 0:
                            self.long = False
                finally:
                    pragma.execute(f"PRAGMA busy_timeout={waits}")
        except (sqlite3.Error, PersistenceError):
            log.warning("could not restart the write-ahead log; trying again later", exc_info=True)
            conn.close()  # its wait for locks may be left short: no command may get it

    def close(self) -> None:
        """Stop the thread (after the checkpoint it may be making); a later poke starts another."""
        with self._lock:
            self._closing.set()
            self._wake.set()
            if self._thread is not None:
                self._thread.join(timeout=30)
            self._thread = None
            self._wake.clear()
            self._closing.clear()


class _ImmediateTransaction(SQLiteTransaction):
    """The library's SQLite transaction, begun with `BEGIN IMMEDIATE`."""

    def __enter__(self) -> SQLiteCursor:
        cursor = self.connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        return cursor


class Database:
    """Runs SQL written with `?` placeholders on SQLite and PostgreSQL alike."""

    def __init__(self, config: StoreConfig, datastore: SQLiteDatastore | PostgresDatastore):
        self.config = config
        self.datastore = datastore
        self.is_postgres = config.kind == StoreKind.POSTGRES
        # A local store (a file, or memory) answers a lone indexed read in microseconds:
        # callers need not move it off their thread. Over a network it takes a round trip.
        self.is_local = not self.is_postgres
        # Hot single-statement reads on a SQLite file use one plain connection per thread.
        self._file = config.kind == StoreKind.SQLITE and config.sqlite_path not in ("", ":memory:")
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self.checkpointer = (
            _Checkpointer(Path(config.sqlite_path).resolve().as_uri()) if self._file else None
        )
        # PostgreSQL: each table's columns and types (read by `create`), and each plain
        # insert's statement for many rows at once (`bulk_insert`), or None where it has none.
        self._columns: dict[str, list[tuple[str, str]]] = {}
        self._bulk: dict[str, str | None] = {}

    def sql(self, statement: str) -> str:
        """Translate placeholders for the engine in use (a table's words: `create`)."""
        if self.is_postgres:
            return statement.replace("?", "%s")
        return statement

    @contextmanager
    def transaction(
        self,
        *,
        commit: bool = True,
        durable: bool = True,
        immediate: bool = False,
        pipelined: bool = False,
    ) -> Iterator[Cursor]:
        """A transaction; committed on success when `commit`, rolled back otherwise.

        `commit=False` is for reads only. On PostgreSQL such a transaction is `READ ONLY`
        (a write in it fails) and ends with `COMMIT` (see `_postgres_read`).

        `durable=False` is for derived data that can be rebuilt from the log (the views
        and their tracking records): on SQLite its commit does not wait for the disk
        (`synchronous=NORMAL` in WAL mode), so it holds the single writer's lock for less
        time. It stays atomic; a power loss may only undo such commits since the last
        durable one, never a later durable commit (the log is written in order).

        Nor does it checkpoint the write-ahead log on SQLite: a thread of the database's
        own does that after it (see `_Checkpointer`).

        On PostgreSQL it is `synchronous_commit = off` for the transaction: its `COMMIT`
        returns before the write-ahead log is flushed, which the next durable commit does.

        `immediate=True` takes SQLite's write lock at `BEGIN` (waiting for it as any
        write does), for a transaction that reads before it writes: a transaction that
        took its snapshot first could not write once another writer has committed.

        `pipelined=True` runs a PostgreSQL write transaction in pipeline mode (see
        `_postgres_write`); elsewhere it changes nothing.
        """
        if self.is_postgres and not commit:
            with self._postgres_read() as curs:
                yield Cursor(self, curs)
            return
        if self.is_postgres:
            with self._postgres_write(durable=durable, pipelined=pipelined) as curs:
                yield Cursor(self, curs)
            return
        if not self._file or (durable and not immediate):
            with self.datastore.transaction(commit=commit) as curs:
                yield Cursor(self, curs)
            return
        assert isinstance(self.datastore, SQLiteDatastore)
        # The thread that checkpoints after this commit, if it is derived data's.
        checkpointer = self.checkpointer
        if durable or checkpointer is None or checkpointer.broken:
            checkpointer = None
        with self.datastore.get_connection(commit=commit) as conn:
            if not durable:
                with conn.cursor() as pragma:
                    pragma.execute("PRAGMA synchronous=NORMAL")
                    if checkpointer is not None:
                        pragma.execute("PRAGMA wal_autocheckpoint=0")
            try:
                begin = _ImmediateTransaction if immediate else SQLiteTransaction
                with begin(conn, commit=commit) as curs, curs:
                    yield Cursor(self, curs)
                if commit and checkpointer is not None and checkpointer.long:
                    checkpointer.restart(conn)
            finally:
                if not durable:
                    try:
                        with conn.cursor() as pragma:
                            pragma.execute(f"PRAGMA synchronous={DURABLE}")
                            pragma.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT}")
                    except sqlite3.Error:
                        conn.close()  # never hand a connection that skips fsync to a command
            if commit and checkpointer is not None:
                checkpointer.poke()

    @contextmanager
    def _postgres_read(self) -> Iterator[Any]:
        """A read-only PostgreSQL transaction, ended by `COMMIT`.

        The library's connections are in autocommit mode and psycopg forgets every prepared
        statement of a connection at each `ROLLBACK` (and tells the server so), so a read
        ended by one would make the next statements on that connection, the library's
        own prepared inserts among them, be prepared again. A `READ ONLY` transaction
        cannot write, so committing it is rolling it back without that cost. One that a
        statement failed in ends with `ROLLBACK`; an error of the caller's own (a record
        not found, say) ends it with `COMMIT` like any other read. A connection that cannot
        end it is left to the pool, which discards it.
        """
        assert isinstance(self.datastore, PostgresDatastore)
        with self.datastore.get_connection() as conn:
            conn.execute("BEGIN READ ONLY", prepare=False)
            try:
                yield conn.cursor()
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    idle = conn.info.transaction_status == TransactionStatus.INTRANS
                    conn.execute("COMMIT" if idle else "ROLLBACK", prepare=False)
                raise
            conn.execute("COMMIT", prepare=False)

    @contextmanager
    def _postgres_write(self, *, durable: bool, pipelined: bool) -> Iterator[Any]:
        """A PostgreSQL write transaction (as the library's own), asynchronously committed
        unless `durable`.

        Pipelined, its statements (`BEGIN` and the setting among them) are sent together
        when a result is first asked for, and the rest with `COMMIT` at its end: a caller
        that sends its reads before fetching any of them, and its writes after, waits for
        two round trips in all. An error surfaces when its statement's results arrive, at
        the latest as the transaction ends, and the transaction is rolled back as ever.
        """
        assert isinstance(self.datastore, PostgresDatastore)
        with (
            self.datastore.get_connection() as conn,
            conn.pipeline() if pipelined else contextlib.nullcontext(),
            conn.transaction(),
        ):
            curs = conn.cursor()
            if not durable:
                curs.execute("SET LOCAL synchronous_commit TO OFF", prepare=False)
            yield curs

    @contextmanager
    def reads(self) -> Iterator[Cursor]:
        """A cursor for reads each seeing what is committed when it runs (no snapshot).

        On PostgreSQL the statements run on their own (autocommit), with no `BEGIN` and
        `COMMIT` around them: at PostgreSQL's isolation level a transaction's reads each
        see what is committed when they run anyway. On SQLite, a read transaction.
        """
        if not self.is_postgres:
            with self.transaction(commit=False) as cur:
                yield cur
            return
        assert isinstance(self.datastore, PostgresDatastore)
        with self.datastore.get_connection() as conn:
            yield Cursor(self, conn.cursor())

    def _postgres_single(self, statement: str, params: Sequence[Any], *, one: bool) -> Any:
        """Run one read-only statement on its own (autocommit): one round trip."""
        assert isinstance(self.datastore, PostgresDatastore)
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self.sql(statement), tuple(params))
            return rows.fetchone() if one else list(rows.fetchall())

    @contextmanager
    def pipeline(self, cur: Cursor) -> Iterator[None]:
        """On PostgreSQL, send the writes made on `cur` meanwhile together (one round trip).

        A write's error is raised by the time the block ends, and fails the transaction as
        before. Elsewhere the writes run one by one, as they are made.
        """
        if not self.is_postgres:
            yield
            return
        with cur.inner.connection.pipeline():
            yield

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement in its own committed transaction."""
        with self.transaction() as c:
            c.execute(statement, params)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read-only query."""
        if self.is_postgres:
            return self._postgres_single(statement, params, one=False)
        with self.transaction(commit=False) as c:
            c.execute(statement, params)
            return c.fetchall()

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first row of one read-only query, or None."""
        if self.is_postgres:
            return self._postgres_single(statement, params, one=True)
        with self.transaction(commit=False) as c:
            c.execute(statement, params)
            return c.fetchone()

    def read_single(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first row of one read-only statement run on its own, or None.

        On a SQLite file the statement runs on this thread's own query-only connection,
        without an explicit transaction (a lone statement is its own read transaction):
        no pool checkout, no `BEGIN`/`ROLLBACK`. Elsewhere it is `fetchone` (on PostgreSQL
        also a lone statement, in autocommit).
        """
        if not self._file:
            return self.fetchone(statement, params)
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = self._open_reader()
        return reader.execute(statement, tuple(params)).fetchone()

    def _open_reader(self) -> sqlite3.Connection:
        uri = Path(self.config.sqlite_path).resolve().as_uri()
        reader = sqlite3.connect(
            uri,
            uri=True,
            isolation_level=None,
            timeout=10,
            cached_statements=STATEMENT_CACHE,
            check_same_thread=False,  # used by its own thread only; closed by `close()`
        )
        reader.row_factory = sqlite3.Row  # rows as the library's connections give them
        reader.execute("PRAGMA query_only=ON")
        with self._readers_lock:
            self._readers.append(reader)
        self._local.reader = reader
        return reader

    def close(self) -> None:
        """Close the per-thread read connections (the datastore closes its own)."""
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for reader in readers:
            reader.close()
        self._local = threading.local()
        if self.checkpointer is not None:
            self.checkpointer.close()

    def create(self, statements: Sequence[str]) -> None:
        """Create tables and indexes (idempotent statements, in SQLite's words)."""
        with self.transaction() as c:
            for statement in statements:
                if self.is_postgres:
                    for sqlite_words, postgres_words in POSTGRES_DDL:
                        statement = statement.replace(sqlite_words, postgres_words)
                c.execute(statement)
        if self.is_postgres:
            columns: dict[str, list[tuple[str, str]]] = {}
            for row in self.fetchall(_COLUMNS):
                columns.setdefault(row["t"], []).append((row["c"], row["ty"]))
            self._columns, self._bulk = columns, {}

    def bulk_insert(self, statement: str) -> str | None:
        """PostgreSQL's statement inserting many rows of a plain insert at once, or None.

        `INSERT INTO t [(a, b)] VALUES (?,?)` becomes `INSERT INTO t (a, b) SELECT * FROM
        unnest(%s::ta[], %s::tb[])`, which takes one array per column: one statement for a
        batch's rows, where `executemany` sends and the server runs one per row. Its text
        does not depend on the number of rows, so the server prepares it once. Anything
        else (another statement, a table `create` has not seen) has None.
        """
        if statement in self._bulk:
            return self._bulk[statement]
        bulk = None
        match = _PLAIN_INSERT.fullmatch(statement.strip())
        if match is not None and match[1] in self._columns:
            table, named, marks = match.groups()
            types = dict(self._columns[table])
            names = [n.strip() for n in named.split(",")] if named else list(types)
            if len(names) == marks.count("?") and all(n in types for n in names):
                arrays = ", ".join(f"%s::{types[n]}[]" for n in names)
                bulk = f"INSERT INTO {table} ({', '.join(names)}) SELECT * FROM unnest({arrays})"
        self._bulk[statement] = bulk
        return bulk


class Cursor:
    """A cursor that translates SQL for its database."""

    def __init__(self, db: Database, inner: Any) -> None:
        self.db = db
        self.inner = inner

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Execute one statement."""
        self.inner.execute(self.db.sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for many parameter rows."""
        if rows:
            self.inner.executemany(self.db.sql(statement), [tuple(r) for r in rows])

    def fetchall(self) -> list[Any]:
        """All remaining rows."""
        return list(self.inner.fetchall())

    def fetchone(self) -> Any:
        """The next row, or None."""
        return self.inner.fetchone()
