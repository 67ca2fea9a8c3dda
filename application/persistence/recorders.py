"""Application recorders that also write the idempotency record in the events' transaction.

They also find the caller's token active in that transaction when a command asks them to
(`CallerCheck`): a command taken under a token the process had seen active before is
recorded only if the token is still active when its events are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DataError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg.sql import SQL

IDEMPOTENCY_TABLE = "regledger_idempotency"
PRINCIPALS_TABLE = "regledger_principals"  # made by `application.principals.PrincipalStore`
CALLER_ACTIVE = (
    f"SELECT 1 AS active FROM {PRINCIPALS_TABLE} WHERE token_hash = ? AND revoked_at IS NULL"
)
CALLER_ACTIVE_OR_FAIL = (
    f"SELECT 1 / COUNT(*) AS active FROM {PRINCIPALS_TABLE} "
    "WHERE token_hash = %s AND revoked_at IS NULL"
)
DIVISION_BY_ZERO = "22012"  # PostgreSQL's SQLSTATE

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


class CallerNotActive(Exception):
    """The caller's token was revoked (or is unknown): nothing of the command was recorded."""


@dataclass
class CallerCheck:
    """A caller's token hash, to be found active in the transaction that records a command.

    `passed` is set once the token has been found active there.
    """

    token_hash: str
    passed: bool = False


class IdempotentSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLite application recorder that records an idempotency key with the events."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), CREATE_IDEMPOTENCY]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        check: CallerCheck | None = kwargs.get("caller")
        if check is not None:  # a read in the transaction: no round trip on SQLite
            c.execute(CALLER_ACTIVE, (check.token_hash,))
            if c.fetchone() is None:
                raise CallerNotActive(check.token_hash)
            check.passed = True
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

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        check: CallerCheck | None = kwargs.get("caller")
        if check is None:
            return super().insert_events(stored_events, **kwargs)
        if self.datastore.enable_db_functions:
            # The library's database function inserts the events on its own: the caller
            # could not be checked in their transaction.
            raise NotImplementedError("a caller check needs the library's own inserts")
        try:
            ids = super().insert_events(stored_events, **kwargs)
        except DataError as error:
            if getattr(error.__cause__, "sqlstate", None) == DIVISION_BY_ZERO:
                raise CallerNotActive(check.token_hash) from None
            raise
        check.passed = True
        return ids

    def _insert_events(
        self, curs: Any, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        # First in the events' transaction, and sent in the library's pipeline with the
        # rest of it (no round trip of its own): a statement that fails, dividing by the
        # number of active principals holding the token, unless that number is one. Nothing
        # else in the transaction divides, so its error is this statement's (see
        # `insert_events`), and the transaction rolls back with nothing recorded.
        check: CallerCheck | None = kwargs.get("caller")
        if check is not None:
            curs.execute(CALLER_ACTIVE_OR_FAIL, (check.token_hash,), prepare=True)
        super()._insert_events(curs, stored_events, **kwargs)

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
