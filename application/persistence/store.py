"""Which store to use, from a database URL, and the library settings that go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.utils import get_topic


class StoreKind(StrEnum):
    """The three supported stores."""

    MEMORY = "memory"
    SQLITE = "sqlite"
    POSTGRES = "postgres"


class StoreURLError(ValueError):
    """The database URL names no supported store."""


@dataclass(frozen=True)
class StoreConfig:
    """A parsed database URL."""

    kind: StoreKind
    url: str
    sqlite_path: str = ""
    pg: dict[str, str] = field(default_factory=dict)

    @property
    def events_table(self) -> str:
        """The library's table of stored events in this store."""
        return "regledger_events" if self.kind == StoreKind.POSTGRES else "stored_events"

    @property
    def position_column(self) -> str:
        """The column of the events table that holds an event's log position."""
        return "notification_id" if self.kind == StoreKind.POSTGRES else "rowid"

    def stored_id(self, aggregate_id: UUID) -> object:
        """An aggregate id as the events table stores it."""
        return aggregate_id if self.kind == StoreKind.POSTGRES else aggregate_id.hex

    @property
    def tracking_table(self) -> str:
        """The library's tracking table in this store."""
        return "regledger_tracking" if self.kind == StoreKind.POSTGRES else "tracking"


def parse_url(url: str) -> StoreConfig:
    """Parse `sqlite:///path`, `memory://name` or `postgresql://user@host:port/db`."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        path = unquote(parsed.path)
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            path = path.lstrip("/")
        if not path:
            raise StoreURLError(f"{url!r} names no SQLite file")
        if path != ":memory:":
            Path(path).expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
        return StoreConfig(StoreKind.SQLITE, url, sqlite_path=path)
    if parsed.scheme == "memory":
        name = (parsed.netloc or parsed.path.strip("/")) or "regledger"
        return StoreConfig(
            StoreKind.MEMORY, url, sqlite_path=f"file:{name}?mode=memory&cache=shared"
        )
    if parsed.scheme in ("postgresql", "postgres"):
        dbname = parsed.path.lstrip("/")
        if not dbname:
            raise StoreURLError(f"{url!r} names no database")
        pg = {
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        }
        return StoreConfig(StoreKind.POSTGRES, url, pg=pg)
    raise StoreURLError(
        f"unsupported database URL {url!r}: use sqlite:///path/to/file.db or "
        "postgresql://user@host:port/dbname"
    )


def library_env(config: StoreConfig) -> dict[str, str]:
    """The eventsourcing library settings for a store (never read from os.environ)."""
    from application.persistence.recorders import (
        IdempotentPostgresRecorder,
        IdempotentSQLiteRecorder,
    )
    from application.persistence.sqlite import RegledgerSQLiteFactory
    from application.persistence.transcoding import RegledgerTranscoder

    env = {
        "TRANSCODER_TOPIC": get_topic(RegledgerTranscoder),
        # Keep recently used aggregates in memory; each read fast-forwards them with any
        # newer stored events, so several processes still see each other's writes.
        "AGGREGATE_CACHE_MAXSIZE": "2000",
    }
    if config.kind == StoreKind.POSTGRES:
        env.update(config.pg)
        env.update(
            {
                "PERSISTENCE_MODULE": "eventsourcing.postgres",
                "POSTGRES_LOCK_TIMEOUT": "10",
                "POSTGRES_POOL_SIZE": "8",
                "POSTGRES_MAX_OVERFLOW": "8",
                "POSTGRES_CONNECT_TIMEOUT": "5",
                "APPLICATION_RECORDER_TOPIC": get_topic(IdempotentPostgresRecorder),
            }
        )
    else:
        env.update(
            {
                "PERSISTENCE_MODULE": get_topic(RegledgerSQLiteFactory),
                "SQLITE_DBNAME": config.sqlite_path,
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": get_topic(IdempotentSQLiteRecorder),
            }
        )
    return env
