"""One stored event's ledger leaf hash, from one parse of its state."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from uuid import UUID

from application.ledger.canonical import canonical_event_bytes
from application.ledger.merkle import leaf_hash
from application.persistence.jsontext import Encoder
from application.projections.decoding import uuid_text

# json.dumps(value, **these), set up once, not per event (orjson writes a state without
# floats). A value parsed from JSON holds no cycles, so the encoder need not look for them.
_CANONICAL = Encoder(sort_keys=True, ensure_ascii=False, allow_nan=False, plain=True)


@lru_cache(maxsize=256)
def _topic_json(topic: str) -> bytes:
    return _CANONICAL.encode_bytes(topic)


def event_leaf_hash(
    originator_id: UUID | str, version: int, topic: str, state: bytes, value: Any = None
) -> bytes:
    """The ledger leaf hash of one stored event.

    Equal to hashing `canonical_event_bytes(...)`, from one parse of the state (`value`,
    when the caller has parsed it already). The id is a UUID or its text in either form
    `uuid_text` reads (as a SQLite log holds it). Anything unusual (another id, a state
    that is not canonical-able) takes the reference path, which raises the reference errors.
    """
    if isinstance(originator_id, UUID):
        key: str | None = str(originator_id)
    else:
        key = uuid_text(originator_id) if type(originator_id) is str else None
    if key is not None and type(version) is int and isinstance(topic, str):
        try:
            if value is None:
                value = json.loads(bytes(state))
            head = f'{{"originator_id":"{key}","originator_version":{version},"state":'
            body = _CANONICAL.encode_bytes(value)
            leaf = b"".join((head.encode(), body, b',"topic":', _topic_json(topic), b"}"))
        except ValueError:  # JSONDecodeError and UnicodeError included
            pass
        else:
            return leaf_hash(leaf)
    return leaf_hash(canonical_event_bytes(originator_id, version, topic, state))
