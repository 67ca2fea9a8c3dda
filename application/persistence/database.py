"""A thin SQL adaptor over the library's datastores, for the project's own tables."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore

from application.persistence.store import StoreConfig, StoreKind


class Database:
    """Runs SQL written with `?` placeholders on SQLite and PostgreSQL alike."""

    def __init__(self, config: StoreConfig, datastore: SQLiteDatastore | PostgresDatastore):
        self.config = config
        self.datastore = datastore
        self.is_postgres = config.kind == StoreKind.POSTGRES

    def sql(self, statement: str) -> str:
        """Translate placeholders and dialect words for the engine in use."""
        if self.is_postgres:
            statement = statement.replace("?", "%s").replace("BLOB", "BYTEA")
            statement = statement.replace(
                "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"
            )
        return statement

    @contextmanager
    def transaction(self, *, commit: bool = True) -> Iterator[Cursor]:
        """A transaction; committed on success when `commit`, rolled back otherwise."""
        with self.datastore.transaction(commit=commit) as curs:
            yield Cursor(self, curs)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        """Run one statement in its own committed transaction."""
        with self.transaction() as c:
            c.execute(statement, params)

    def fetchall(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read-only query."""
        with self.transaction(commit=False) as c:
            c.execute(statement, params)
            return c.fetchall()

    def fetchone(self, statement: str, params: Sequence[Any] = ()) -> Any:
        """The first row of one read-only query, or None."""
        with self.transaction(commit=False) as c:
            c.execute(statement, params)
            return c.fetchone()

    def create(self, statements: Sequence[str]) -> None:
        """Create tables and indexes (idempotent statements)."""
        with self.transaction() as c:
            for statement in statements:
                c.execute(statement)


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
