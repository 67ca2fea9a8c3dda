"""The library's own recorder test cases, run against the project's recorder subclasses."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from eventsourcing.tests.persistence import ApplicationRecorderTestCase

from application.persistence.recorders import (
    IdempotentPostgresRecorder,
    IdempotentSQLiteRecorder,
)
from tests.conftest import PG_ADMIN_URL, _pg_server_url


class TestIdempotentSQLiteRecorder(ApplicationRecorderTestCase[IdempotentSQLiteRecorder]):
    """The SQLite subclass keeps every promise of the library's application recorder."""

    @pytest.fixture(autouse=True)
    def _database_file(self, tmp_path: Path) -> None:
        self.db_path = str(tmp_path / "recorder.db")

    def create_recorder(self) -> IdempotentSQLiteRecorder:
        recorder = IdempotentSQLiteRecorder(SQLiteDatastore(self.db_path))
        recorder.create_table()
        return recorder


class TestIdempotentPostgresRecorder(ApplicationRecorderTestCase[IdempotentPostgresRecorder]):
    """The PostgreSQL subclass keeps every promise of the library's application recorder."""

    @pytest.fixture(autouse=True)
    def _database(self) -> Iterator[None]:
        name = f"regledger_recorder_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = urlparse(_pg_server_url(name))
        self.datastore = PostgresDatastore(
            dbname=name,
            host=url.hostname or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password or "",
            pool_size=4,
            max_overflow=4,
            lock_timeout=5,
        )
        try:
            yield
        finally:
            self.datastore.close()
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_recorder(self) -> IdempotentPostgresRecorder:
        recorder = IdempotentPostgresRecorder(self.datastore, events_table_name="stored_events")
        recorder.create_table()
        return recorder
