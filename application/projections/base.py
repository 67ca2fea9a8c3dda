"""What a materialised view is: tables, how events change them, and a digest of their rows."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from application.persistence.database import Cursor, Database
from application.projections.decoding import EventDecoder, uuid_text
from application.projections.digests import event_leaf_hash
from application.projections.topics import topic_parts

_MISSING = object()
_SCALARS = (str, int, bool, float, type(None))
_ENVELOPE = ("originator_id", "originator_version")


class Item:
    """One event of the global log with its position: parsed once, decoded as far as asked.

    `get(name)` is the event's attribute `name`, decoded alone from the parsed state that
    every view shares (see `decoding`); `event` is the whole domain event from the mapper;
    `leaf_hash` is the event's ledger leaf hash, from the same parse.
    """

    __slots__ = (
        "position",
        "topic",
        "state",
        "version",
        "_id",
        "_aggregate_id",
        "_decoder",
        "_parsed",
        "_cls",
        "_event",
        "_leaf_hash",
        "_key",
        "_fields",
    )

    def __init__(
        self,
        position: int,
        topic: str,
        originator_id: UUID | str,
        version: int,
        state: bytes,
        decoder: EventDecoder,
    ) -> None:
        self.position = position
        self.topic = topic
        self.state = state
        self.version = version
        self._id: Any = originator_id  # as stored: a UUID, or its text from a SQLite log
        self._aggregate_id: Any = _MISSING
        self._decoder = decoder
        self._parsed: tuple[Any] | None = None
        self._cls: Any = _MISSING
        self._event: Any = None
        self._leaf_hash: bytes | None = None
        self._key: str | None = None
        self._fields: dict[str, Any] = {}  # decoded once, whichever view asks first

    @property
    def value(self) -> Any:
        """The stored state parsed as JSON (raises ValueError when it is not JSON)."""
        if self._parsed is None:
            self._parsed = (self._decoder.parse(self.state),)
        return self._parsed[0]

    def _readable(self) -> type | None:
        cls = self._cls
        if cls is _MISSING:
            try:
                cls = self._decoder.readable(self.topic, self.value)
            except ValueError:
                cls = None  # the mapper raises its own error for this state
            self._cls = cls
        return cls  # type: ignore[no-any-return]

    def get(self, name: str, default: Any = None) -> Any:
        """The event's attribute `name`, as `getattr(event, name, default)`."""
        value = self._fields.get(name, _MISSING)
        if value is not _MISSING:
            return value
        cls = self._cls if self._cls is not _MISSING else self._readable()
        if cls is None:
            return getattr(self.event, name, default)
        raw = self._parsed[0].get(name, _MISSING)  # type: ignore[index]
        if raw is _MISSING or name == "class_version":
            if name in _ENVELOPE:  # kept beside the state, not in it
                return self.aggregate_id if name == "originator_id" else self.version
            return getattr(cls, name, default)
        if isinstance(raw, _SCALARS):
            return raw
        value = self._fields[name] = self._decoder.field(raw)
        return value

    def _raw(self, name: str) -> Any:
        """The field's parsed JSON value when it can be read off the state alone, else _MISSING."""
        cls = self._cls if self._cls is not _MISSING else self._readable()
        if cls is None or name == "class_version":
            return _MISSING
        return self._parsed[0].get(name, _MISSING)  # type: ignore[index]

    def id_text(self, name: str) -> str | None:
        """`str(get(name))` of an id field (None stays None), without building the UUID."""
        text = self._decoder.id_text(self._raw(name))
        if text is not None:
            return text
        value = self.get(name)
        return None if value is None else str(value)

    def time_text(self, name: str) -> str | None:
        """`get(name).isoformat()` of a time field (None stays None), the stored text if equal."""
        value, text = self.time_and_stamp(name)
        if text is not None:
            return text
        return None if value is None else value.isoformat()  # type: ignore[no-any-return]

    def time_and_stamp(self, name: str) -> tuple[Any, str | None]:
        """`get(name)`, a time, and its `stamp` when that is the stored text (else None).

        The log's own clock writes a UTC time with microseconds, whose stored text is
        already its stamp: it is then read off, not printed again.
        """
        if name not in self._fields:
            decoded = self._decoder.time_text(self._raw(name))
            if decoded is not None:
                value, text = decoded
                self._fields[name] = value
                return value, text
        return self.get(name), None

    @property
    def event(self) -> Any:
        """The whole domain event, from the mapper."""
        if self._event is None:
            self._event = self._decoder.event(self.topic, self._id, self.version, self.state)
        return self._event

    @property
    def leaf_hash(self) -> bytes:
        """The event's ledger leaf hash (history and ledger both ask: worked out once)."""
        if self._leaf_hash is None:
            try:
                value = self.value
            except ValueError:
                value = None  # the reference path raises the reference error
            self._leaf_hash = event_leaf_hash(self._id, self.version, self.topic, self.state, value)
        return self._leaf_hash

    @property
    def aggregate_id(self) -> UUID:
        """The originating aggregate, its id converted as the mapper converts it."""
        if self._aggregate_id is _MISSING:
            cls = self._cls if self._cls is not _MISSING else self._readable()
            if cls is not None:
                self._aggregate_id = self._decoder.originator_id(cls, self._id)
            else:
                self._aggregate_id = self.event.originator_id
        return self._aggregate_id  # type: ignore[no-any-return]

    @property
    def aggregate_key(self) -> str:
        """The originating aggregate's id as text."""
        if self._key is None:
            stored = self._id
            # A UUID's text, as a SQLite log holds it, is read off without building the UUID.
            key = uuid_text(stored) if type(stored) is str else None
            self._key = key if key is not None else str(self.aggregate_id)
        return self._key

    @property
    def recorded_at(self) -> datetime:
        """When the system learned it."""
        return self.get("timestamp")  # type: ignore[no-any-return]

    @property
    def kind(self) -> str:
        """`model`, `directive` or `appeal`."""
        return topic_parts(self.topic)[0]

    @property
    def name(self) -> str:
        """The event's class name, e.g. `Suspended`."""
        return topic_parts(self.topic)[1]


class View(ABC):
    """A materialised view kept by the projection runner, tracked by its own name."""

    name: ClassVar[str]
    tables: ClassVar[tuple[str, ...]]
    # Relative work per event, to share the views out among processes (see `parallel`).
    cost: ClassVar[float] = 1.0

    @property
    def portable(self) -> bool:
        """True when another process's fresh instance (from `default_views`) applies it alike."""
        return True

    def writes_evidence(self, db: Database, count: int) -> bool:
        """True when applying `count` more events also writes what the log cannot rebuild.

        Asked before the batch's transaction opens, so that only such batches wait for
        the disk (the runner is the views' only writer, so the view's state read here is
        the state the batch starts from).
        """
        return False

    @abstractmethod
    def create_statements(self) -> list[str]:
        """CREATE TABLE/INDEX IF NOT EXISTS statements (portable SQL, `?` placeholders)."""

    @abstractmethod
    def apply(self, cur: Cursor, items: Sequence[Item]) -> None:
        """Apply a batch of events, in log order.

        Reads through `cur` see the view as committed before the batch; writes through it
        are made after `apply` returns, in one transaction with the view's tracking record.
        So a view keeps what its batch changes in memory and never reads it back.
        """

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
