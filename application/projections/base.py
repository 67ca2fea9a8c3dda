"""What a materialised view is: tables, how events change them, and a digest of their rows."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from application.persistence.database import Cursor, Database


@dataclass(frozen=True)
class Item:
    """One event of the global log, decoded, with its position."""

    position: int
    topic: str
    event: Any
    state: bytes

    @property
    def aggregate_id(self) -> UUID:
        """The originating aggregate."""
        return self.event.originator_id  # type: ignore[no-any-return]

    @property
    def version(self) -> int:
        """The event's version in its aggregate."""
        return self.event.originator_version  # type: ignore[no-any-return]

    @property
    def recorded_at(self) -> datetime:
        """When the system learned it."""
        return self.event.timestamp  # type: ignore[no-any-return]

    @property
    def kind(self) -> str:
        """`model`, `directive` or `appeal`."""
        return self.topic.split(".", 1)[1].split(":", 1)[0]

    @property
    def name(self) -> str:
        """The event's class name, e.g. `Suspended`."""
        return self.topic.rsplit(":", 1)[1]


class View(ABC):
    """A materialised view kept by the projection runner, tracked by its own name."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]

    @abstractmethod
    def create_statements(self) -> list[str]:
        """CREATE TABLE/INDEX IF NOT EXISTS statements (portable SQL, `?` placeholders)."""

    @abstractmethod
    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        """Apply a batch of events, in log order, inside the runner's transaction."""

    @abstractmethod
    def digest_queries(self) -> list[str]:
        """SELECTs whose ordered rows define the view's content for digests."""

    def digest(self, db: Database) -> str:
        """SHA-256 over the view's rows in a deterministic order."""
        h = hashlib.sha256()
        with db.transaction(commit=False) as cur:
            for query in self.digest_queries():
                cur.execute(query)
                for row in cur.fetchall():
                    h.update(_row_bytes(row))
        return h.hexdigest()

    def first_difference(self, db: Database, other: Database) -> str | None:
        """Describe the first row where two stores' views differ, or None."""
        for query in self.digest_queries():
            a = _rows(db, query)
            b = _rows(other, query)
            for i, (ra, rb) in enumerate(zip(a, b, strict=False)):
                if ra != rb:
                    return f"{self.name}: row {i} differs: {ra!r} != {rb!r}"
            if len(a) != len(b):
                return f"{self.name}: {len(a)} rows != {len(b)} rows for {query!r}"
        return None


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview | bytes):
        return bytes(value).hex()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    return value


def _row_values(row: Any) -> list[Any]:
    values: Iterable[Any] = row.values() if isinstance(row, dict) else tuple(row)
    return [_normal(v) for v in values]


def _row_bytes(row: Any) -> bytes:
    return json.dumps(_row_values(row), separators=(",", ":"), default=str).encode() + b"\n"


def _rows(db: Database, query: str) -> list[list[Any]]:
    return [_row_values(r) for r in db.fetchall(query)]
