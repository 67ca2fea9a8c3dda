"""Reading the stored events exactly as recorded, in log order, for checks and exports."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from application.ledger.merkle import MerkleLog

if TYPE_CHECKING:
    from application.service import Regledger

Progress = Callable[[str, int, int], None]
"""A progress callback: (stage, done, total)."""

BATCH = 1000


def no_progress(stage: str, done: int, total: int) -> None:
    """A progress callback that reports nothing."""


def counting(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    """Adapt a (stage, done, total) callback to one that is told how many more were done."""
    done = 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        progress(stage, min(done, total), total)

    return step


class _FrontierOnly:
    """A SubtreeStore that keeps nothing: a running root needs only MerkleLog's frontier."""

    def get(self, level: int, index: int) -> bytes | None:
        return None

    def put(self, level: int, index: int, hash_: bytes) -> None:
        pass


def running_tree() -> MerkleLog:
    """A Merkle log in constant memory that can give its current root (not proofs)."""
    return MerkleLog(_FrontierOnly())


def _uuid_text(value: object) -> str:
    try:
        return str(UUID(str(value)))
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class RawEvent:
    """One row of the events table, undecoded."""

    position: int
    originator_id: str  # hyphenated when it is a UUID, else as stored
    originator_version: int
    topic: str
    state: bytes


def _as_bytes(value: object) -> bytes:
    """Stored state as bytes, whatever type an edit of the row left behind."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return b"" if value is None else str(value).encode("utf-8")


def _position_column(app: Regledger) -> str:
    return app.store.position_column


def iter_stored_events(
    app: Regledger, after: int = 0, stop: int | None = None, batch: int = BATCH
) -> Iterator[RawEvent]:
    """Rows of the events table with after < position <= stop, in position order."""
    column = _position_column(app)
    table = app.store.events_table
    bound = "" if stop is None else f" AND {column} <= ?"
    query = (
        f"SELECT {column} AS position, originator_id, originator_version, topic, state "
        f"FROM {table} WHERE {column} > ?{bound} ORDER BY {column} LIMIT ?"
    )
    while True:
        params = (after,) if stop is None else (after, stop)
        rows = app.db.fetchall(query, (*params, batch))
        for row in rows:
            yield RawEvent(
                position=int(row["position"]),
                originator_id=_uuid_text(row["originator_id"]),
                originator_version=row["originator_version"],
                topic=row["topic"],
                state=_as_bytes(row["state"]),
            )
        if len(rows) < batch:
            return
        after = int(rows[-1]["position"])


def count_stored_events(app: Regledger, stop: int | None = None, after: int = 0) -> int:
    """How many events are stored with after < position <= stop."""
    column = _position_column(app)
    bound = "" if stop is None else f" AND {column} <= ?"
    row = app.db.fetchone(
        f"SELECT COUNT(*) AS n FROM {app.store.events_table} WHERE {column} > ?{bound}",
        (after,) if stop is None else (after, stop),
    )
    return int(row["n"])
