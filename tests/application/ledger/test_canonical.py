"""Behaviour of the canonical leaf encoding of stored events."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from application.ledger.canonical import canonical_event_bytes

ORIGINATOR = UUID("0f8fad5b-d9cb-469f-a165-70867728950e")


def test_canonical_bytes_are_compact_sorted_json_of_the_four_fields() -> None:
    result = canonical_event_bytes(ORIGINATOR, 3, "domain.case:Opened", b'{"b": 1, "a": [1, 2]}')
    assert result == (
        b'{"originator_id":"0f8fad5b-d9cb-469f-a165-70867728950e",'
        b'"originator_version":3,"state":{"a":[1,2],"b":1},"topic":"domain.case:Opened"}'
    )


def test_uuid_strings_in_any_accepted_form_are_normalised_to_lowercase_hyphenated() -> None:
    state = b"{}"
    expected = canonical_event_bytes(ORIGINATOR, 1, "t", state)
    for form in (str(ORIGINATOR).upper(), ORIGINATOR.hex, f"{{{ORIGINATOR}}}", ORIGINATOR.urn):
        assert canonical_event_bytes(form, 1, "t", state) == expected


def test_state_whitespace_and_key_order_do_not_change_the_bytes() -> None:
    compact = canonical_event_bytes(ORIGINATOR, 1, "t", b'{"x":{"d":4,"c":[3,{"z":0,"y":1}]}}')
    spaced = canonical_event_bytes(
        ORIGINATOR, 1, "t", b'{ "x" : { "c" : [ 3 , { "y" : 1 , "z" : 0 } ] , "d" : 4 } }\n'
    )
    assert compact == spaced
    assert b'{"c":[3,{"y":1,"z":0}],"d":4}' in compact


def test_non_ascii_text_is_written_as_utf8_rather_than_escaped() -> None:
    result = canonical_event_bytes(ORIGINATOR, 1, "tópico", '{"name": "Zoë \\u00e9"}'.encode())
    assert "tópico".encode() in result
    assert "Zoë é".encode() in result
    assert b"\\u" not in result


def test_state_value_round_trips_through_the_canonical_document() -> None:
    state = {"amount": 12.5, "flags": [True, False, None], "big": 2**70, "text": "a\nb"}
    result = canonical_event_bytes(ORIGINATOR, 9, "t", json.dumps(state).encode())
    assert json.loads(result) == {
        "originator_id": str(ORIGINATOR),
        "originator_version": 9,
        "state": state,
        "topic": "t",
    }


def test_memoryview_state_from_a_database_driver_is_accepted() -> None:
    state = b'{"a":1}'
    expected = canonical_event_bytes(ORIGINATOR, 1, "t", state)
    assert canonical_event_bytes(ORIGINATOR, 1, "t", memoryview(state)) == expected  # type: ignore[arg-type]


def test_different_versions_or_topics_give_different_bytes() -> None:
    base = canonical_event_bytes(ORIGINATOR, 1, "t", b"{}")
    assert canonical_event_bytes(ORIGINATOR, 2, "t", b"{}") != base
    assert canonical_event_bytes(ORIGINATOR, 1, "u", b"{}") != base


@pytest.mark.parametrize("state", [b"not json", b'{"a":', b"\xff\xfe\x00", b'{"a": NaN}'])
def test_state_that_is_not_strict_json_is_rejected(state: bytes) -> None:
    with pytest.raises(ValueError):
        canonical_event_bytes(ORIGINATOR, 1, "t", state)


def test_lone_surrogate_in_state_is_rejected() -> None:
    with pytest.raises(ValueError):
        canonical_event_bytes(ORIGINATOR, 1, "t", b'{"a": "\\ud800"}')


def test_invalid_uuid_or_version_type_is_rejected() -> None:
    with pytest.raises(ValueError):
        canonical_event_bytes("not-a-uuid", 1, "t", b"{}")
    with pytest.raises(TypeError):
        canonical_event_bytes(ORIGINATOR, True, "t", b"{}")
    with pytest.raises(TypeError):
        canonical_event_bytes(ORIGINATOR, "1", "t", b"{}")  # type: ignore[arg-type]
