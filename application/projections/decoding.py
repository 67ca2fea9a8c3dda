"""Stored events as the views read them: parsed once, each field decoded alone when asked for.

The views read a few fields of each event, and the ledger needs the parsed state anyway, so
the runner does not build whole domain events. A field is decoded the way the project's
transcoder decodes a whole state (the transcoder's object hook on every JSON object, inner
ones first, then JSON arrays into tuples), so it equals the same attribute of the event the
mapper builds; a field the state lacks is the event class's default, as on the real event.
Anything the shortcut cannot vouch for is read from the mapper's event instead: an event
whose class has moved on since it was stored (upcasting), a mapper with a cipher or a
compressor, or a transcoder other than the project's.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from datetime import datetime
from functools import lru_cache
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    Mapper,
    StoredEvent,
    Transcoding,
    UUIDAsHex,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic
from pydantic import BaseModel

from application.persistence.jsontext import loads
from application.persistence.transcoding import RegledgerTranscoder, arrays_as_tuples
from application.projections.stamps import is_utc_micro_text

SHARED_LIMIT = 4096  # decoded values kept for sharing; the set starts afresh when full

# The text `str(UUID(...))` writes, and the hex `UUID.hex` writes (as the transcoder and the
# library's SQLite recorder store ids).
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_UUID_HEX = re.compile(r"[0-9a-f]{32}")


@lru_cache(maxsize=8192)
def uuid_text(text: str) -> str | None:
    """`str(UUID(text))` when `text` is a UUID as `str()` or `.hex` writes it, else None.

    Both forms are read off without building the UUID; anything else is left to `UUID`.
    An aggregate's id comes back with each of its events, so answers are kept (a bounded
    cache: a lookup costs a tenth of the two pattern matches).
    """
    if _UUID_HEX.fullmatch(text):
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    if _UUID_TEXT.fullmatch(text):
        return text
    return None


class EventDecoder:
    """Reads stored events for the views: one parse shared, fields decoded one by one."""

    def __init__(self, mapper: Mapper) -> None:
        self.mapper = mapper
        transcoder = mapper.transcoder
        self.lazy = (
            type(transcoder) is RegledgerTranscoder
            and mapper.cipher is None
            and mapper.compressor is None
        )
        # The hook json.loads hands every JSON object to when the transcoder decodes a state.
        self._hook = transcoder.decoder.object_hook if self.lazy else None  # type: ignore[attr-defined]
        self._names: dict[str, Transcoding] = transcoder.names if self.lazy else {}  # type: ignore[attr-defined]
        self._shared: dict[tuple[str, Any], Any] = {}
        self._ids = type(self._names.get(UUIDAsHex.name)) is UUIDAsHex
        self._times = type(self._names.get(DatetimeAsISO.name)) is DatetimeAsISO

    def parse(self, state: bytes) -> Any:
        """The stored state as plain JSON values (strict UTF-8, as the transcoder reads it)."""
        return loads(bytes(state))

    def readable(self, topic: str, value: Any) -> type | None:
        """The event class, when the parsed state can be read field by field; else None."""
        if not self.lazy or type(value) is not dict:
            return None
        cls = resolve_topic(topic)
        if value.get("class_version", 1) != getattr(cls, "class_version", 1):
            return None  # the mapper upcasts it
        return cls

    def originator_id(self, cls: type, originator_id: UUID | str) -> Any:
        """The originator id as the mapper converts it for this event class."""
        return find_id_convertor(cls, cast(Hashable, type(originator_id)))(originator_id)

    def event(self, topic: str, originator_id: UUID | str, version: int, state: bytes) -> Any:
        """The whole domain event, from the mapper."""
        stored = StoredEvent(originator_id, version, topic, state)  # type: ignore[arg-type]
        return self.mapper.to_domain_event(stored)

    def field(self, raw: Any) -> Any:
        """One field's parsed JSON value, decoded as the transcoder decodes a whole state."""
        if type(raw) is dict and len(raw) == 2 and "_data_" in raw:
            name = raw.get("_type_")
            transcoding = self._names.get(name)  # type: ignore[arg-type]
            if transcoding is not None:
                data = raw["_data_"]
                if type(data) is str:  # an id or a time: nothing inside to decode first
                    return transcoding.decode(data)
                key = _flat_key(data)
                if key is None:
                    return self._decode(raw)
                # Frozen value objects are shared: equal stored data decodes to one equal instance.
                value = self._shared.get((name, key))  # type: ignore[arg-type]
                if value is None:
                    value = self._decode(raw)
                    if _frozen(value):
                        if len(self._shared) >= SHARED_LIMIT:
                            self._shared.clear()
                        self._shared[(name, key)] = value  # type: ignore[index]
                return value
        return self._decode(raw)

    def id_text(self, raw: Any) -> str | None:
        """`str()` of the UUID a field's parsed value decodes to, read off its stored text.

        None unless the value is an id stored in a form `uuid_text` reads (the transcoder
        writes `UUID.hex`, which `str(UUID(hex))` merely splits with hyphens).
        """
        if self._ids and type(raw) is dict and len(raw) == 2 and raw.get("_type_") == "uuid_hex":
            h = raw.get("_data_")
            if type(h) is str:
                return uuid_text(h)
        return None

    def time_text(self, raw: Any) -> tuple[datetime, str | None] | None:
        """The time a field's parsed value decodes to, with its `isoformat()` when that is free.

        The text is the stored text itself when it is what `isoformat()` writes for a UTC
        time with microseconds (the form the log's own clock stamps), else None. None
        altogether unless the value is a time as the transcoder writes one.
        """
        if (
            self._times
            and type(raw) is dict
            and len(raw) == 2
            and raw.get("_type_") == "datetime_iso"
        ):
            text = raw.get("_data_")
            if type(text) is str:
                value = datetime.fromisoformat(text)  # as the transcoding decodes it
                return value, text if is_utc_micro_text(text) else None
        return None

    def _decode(self, raw: Any) -> Any:
        return arrays_as_tuples(self._objects(raw))  # as RegledgerTranscoder.decode does

    def _objects(self, raw: Any) -> Any:
        if type(raw) is dict:
            return self._hook({k: self._objects(v) for k, v in raw.items()})  # type: ignore[misc]
        if type(raw) is list:
            return [self._objects(v) for v in raw]
        return raw


def _flat_key(data: Any) -> tuple[Any, ...] | None:
    """A hashable copy of a value object's data made of text and lists of text, else None.

    Keys and values alternate: a value is text, None, or a tuple of the list's text (a
    list holds only text when `"".join` takes it, a check made in C).
    """
    if type(data) is not dict or "_type_" in data:
        return None
    key: list[Any] = []
    for k, v in data.items():
        t = type(v)
        if t is list:
            try:
                "".join(v)
            except TypeError:
                return None
            v = tuple(v)
        elif t is not str and v is not None:
            return None
        key.append(k)
        key.append(v)
    return tuple(key)


def _frozen(value: Any) -> bool:
    return isinstance(value, BaseModel) and bool(value.model_config.get("frozen"))
