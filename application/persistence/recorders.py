"""Application recorders that also write the idempotency record in the events' transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg.sql import SQL

IDEMPOTENCY_TABLE = "regledger_idempotency"

CREATE_IDEMPOTENCY = (
    f"CREATE TABLE IF NOT EXISTS {IDEMPOTENCY_TABLE} ("
    "principal TEXT NOT NULL, "
    "idem_key TEXT NOT NULL, "
    "request_hash TEXT NOT NULL, "
    "aggregate_id TEXT NOT NULL, "
    "aggregate_version INTEGER NOT NULL, "
    "response TEXT NOT NULL, "
    "PRIMARY KEY (principal, idem_key))"
)
INSERT_IDEMPOTENCY = (
    f"INSERT INTO {IDEMPOTENCY_TABLE} "
    "(principal, idem_key, request_hash, aggregate_id, aggregate_version, response) "
    "VALUES ({0}, {0}, {0}, {0}, {0}, {0})"
)


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a command's first success under an Idempotency-Key leaves behind."""

    principal: str
    key: str
    request_hash: str
    aggregate_id: UUID
    aggregate_version: int
    response: str

    def params(self) -> tuple[Any, ...]:
        """Row values in column order."""
        return (
            self.principal,
            self.key,
            self.request_hash,
            str(self.aggregate_id),
            self.aggregate_version,
            self.response,
        )


class IdempotentSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that records an idempotency key with the events."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), CREATE_IDEMPOTENCY]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            c.execute(INSERT_IDEMPOTENCY.format("?"), record.params())
        return ids


class IdempotentPostgresRecorder(PostgresApplicationRecorder):
    """PostgreSQL application recorder that records an idempotency key with the events."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.append(SQL(CREATE_IDEMPOTENCY))  # type: ignore[arg-type]

    def _insert_stored_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # After the library has locked the events table and inserted the events: racing
        # writers are then already serialised, so the record's key clash (another attempt
        # with the same key committed first) fails at once as an IntegrityError, inside
        # the library's error handling, and never waits on an uncommitted row in a pipeline
        # that could then report it as "pipeline aborted".
        super()._insert_stored_events(curs, stored_events, **kwargs)
        record: IdempotencyRecord | None = kwargs.get("idempotency")
        if record is not None:
            # Its own cursor: the library reads the events' new positions from `curs`.
            with curs.connection.cursor() as own:
                own.execute(INSERT_IDEMPOTENCY.format("%s"), record.params())
