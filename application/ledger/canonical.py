"""Canonical byte encoding of a stored event, used as the data of a Merkle leaf.

The leaf for one stored event is the UTF-8 encoding of compact JSON (separators ``,`` and
``:``, keys sorted by Unicode code point at every nesting level, non-ASCII characters written
literally rather than as ``\\u`` escapes, no insignificant whitespace) of the object::

    {"originator_id": "<lowercase hyphenated UUID>",
     "originator_version": <integer>,
     "state": <the JSON value of the stored state bytes>,
     "topic": "<topic string>"}

The state is decoded with ``json.loads`` and re-encoded, so that two byte-wise different but
equal JSON serialisations of the same state produce the same leaf. NaN, infinities and lone
UTF-16 surrogates cannot be represented in this encoding and are rejected with ValueError.

The notification-log position of the event is deliberately not part of the leaf. Positions
are assigned by the event store: on PostgreSQL they come from a sequence and can have gaps
(rolled-back transactions consume numbers), and export/import into another store renumbers
them. Including them would make the same history hash differently in different stores. The
order of events is instead fixed by the leaf index: the n-th event appended to the ledger is
leaf n, and the Merkle tree commits to that order.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID


def _canonical_json(value: Any) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )


def canonical_event_bytes(
    originator_id: UUID | str,
    originator_version: int,
    topic: str,
    state: bytes,
) -> bytes:
    """Return the canonical leaf bytes of one stored event."""
    if not isinstance(originator_id, UUID):
        originator_id = UUID(str(originator_id))
    if not isinstance(originator_version, int) or isinstance(originator_version, bool):
        raise TypeError("originator_version must be an int")
    if not isinstance(topic, str):
        raise TypeError("topic must be a str")
    try:
        state_value = json.loads(bytes(state))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"event state is not valid JSON: {error}") from error
    document = {
        "originator_id": str(originator_id),
        "originator_version": originator_version,
        "topic": topic,
        "state": state_value,
    }
    try:
        return _canonical_json(document).encode("utf-8")
    except ValueError as error:
        raise ValueError(f"event cannot be canonicalised: {error}") from error
