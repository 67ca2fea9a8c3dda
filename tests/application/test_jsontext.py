"""`loads` reads what `json.loads` reads; the set-up-once encoder writes what `json` writes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from uuid import UUID

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.persistence import jsontext
from application.persistence.jsontext import Encoder, loads

SETTINGS = [
    {"sort_keys": True},
    {"sort_keys": True, "ensure_ascii": False, "allow_nan": False},
    {"sort_keys": False, "ensure_ascii": False, "separators": (", ", ": ")},
    {"sort_keys": True, "ensure_ascii": False, "default": str},
    {"sort_keys": True, "plain": True},
    {"sort_keys": True, "ensure_ascii": False, "allow_nan": False, "plain": True},
    {"sort_keys": False, "plain": True},
    {"sort_keys": True, "ensure_ascii": False, "separators": (", ", ": "), "plain": True},
]

keys = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none())
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),  # any code point, surrogates included
    st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12),  # ASCII, DEL included
    st.sampled_from([UUID(int=7), datetime(2026, 5, 3, 12, tzinfo=UTC)]),  # only `default`
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=20,
)


def _outcome(encode, value):  # noqa: ANN001, ANN202 - either encoder's result or error type
    try:
        return encode(value)
    except (TypeError, ValueError) as e:
        return type(e)


@pytest.mark.parametrize("options", SETTINGS, ids=range(len(SETTINGS)))
@settings(max_examples=300, deadline=None)
@given(value=values)
def test_the_text_or_the_error_is_the_reference_encoders(options, value):
    json_options = {k: v for k, v in options.items() if k != "plain"}
    reference = json.JSONEncoder(check_circular=False, **{"separators": (",", ":"), **json_options})
    encoder = Encoder(**options)

    assert _outcome(encoder.encode, value) == _outcome(reference.encode, value)
    assert _outcome(encoder.encode_bytes, value) == _outcome(
        lambda v: reference.encode(v).encode(), value
    )


def test_a_plain_encoder_hands_plain_values_to_orjson_and_keeps_json_s_text(monkeypatch):
    written: list[object] = []
    dumps = orjson.dumps

    def spy(value: object, **kwargs: object) -> bytes:
        written.append(value)
        return dumps(value, **kwargs)

    monkeypatch.setattr(jsontext.orjson, "dumps", spy)
    canonical = Encoder(sort_keys=True, ensure_ascii=False, plain=True)
    ascii_only = Encoder(sort_keys=True, plain=True)
    state = {"b": [1, True, None, ("t", "é")], "a": {"z": "\x7f", "y": 2**64 - 1}}

    assert canonical.encode_bytes(state) == (
        '{"a":{"y":18446744073709551615,"z":"\x7f"},"b":[1,true,null,["t","é"]]}'.encode()
    )
    assert written == [state]
    # Text outside ASCII, and DEL, are escaped by `json` alone; floats are written by `json`
    # alone (orjson writes 1e-05 as 0.00001).
    assert ascii_only.encode(state) == json.dumps(state, sort_keys=True, separators=(",", ":"))
    assert ascii_only.encode({"a": "\x7f"}) == '{"a":"\\u007f"}'
    written.clear()
    assert canonical.encode({"f": 1e-05}) == '{"f":1e-05}'
    assert canonical.encode([2**64]) == "[18446744073709551616]"
    assert written == [[2**64]]  # tried, refused by orjson, written by `json`
    written.clear()
    assert canonical.encode_bytes([2**64]) == b"[18446744073709551616]"
    assert written == [[2**64]]  # tried once, not again on the way to `json`


def test_examples_the_views_write():
    payload = {"scope": {"user_classes": ["minor"], "jurisdictions": ["FR", "DE"]}, "reason": "é"}

    assert Encoder(sort_keys=True).encode(payload) == (
        '{"reason":"\\u00e9","scope":{"jurisdictions":["FR","DE"],"user_classes":["minor"]}}'
    )
    assert Encoder(sort_keys=True, ensure_ascii=False).encode(payload).startswith('{"reason":"é"')
    assert Encoder(default=str, separators=(", ", ": ")).encode({"a": UUID(int=1)}) == (
        '{"a": "00000000-0000-0000-0000-000000000001"}'
    )


def test_out_of_range_floats_and_unknown_objects_are_refused_as_before():
    with pytest.raises(ValueError, match="Out of range float"):
        Encoder(allow_nan=False).encode({"x": math.inf})
    with pytest.raises(TypeError, match="not JSON serializable"):
        Encoder().encode([object()])
    assert Encoder().encode(math.nan) == "NaN"
    assert Encoder().encode("plain") == '"plain"'


def _typed(value: object) -> object:
    """A value with every scalar's type beside it (so 1 and 1.0, or nan and nan, compare)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),  # any code point, surrogates included
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(json_values, st.booleans())
def test_loads_reads_what_json_reads(value, ascii_only):
    # Whatever text `json` writes (non-ASCII literal or escaped, lone surrogates, NaN,
    # integers beyond 64 bits), `loads` reads what `json.loads` reads.
    text = json.dumps(value, ensure_ascii=ascii_only)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate written literally makes no UTF-8 text at all
    assert _typed(loads(data)) == _typed(json.loads(text))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'{"n":18446744073709551616}', {"n": 2**64}),
        (b'{"n":-9223372036854775809}', {"n": -(2**63) - 1}),
        (b'{"n":123456789012345678901234567890}', {"n": 123456789012345678901234567890}),
        (b'{"n":[18446744073709551615,-9223372036854775808]}', {"n": [2**64 - 1, -(2**63)]}),
        (b'{"t":"\\ud800"}', {"t": "\ud800"}),
    ],
)
def test_integers_beyond_64_bits_and_lone_surrogates_read_exactly(data, expected):
    # orjson alone reads the first three as floats, and refuses the lone surrogate.
    assert _typed(loads(data)) == _typed(expected)


def test_what_only_json_reads_is_read_as_json_reads_it():
    value = loads(b'{"x":[NaN,Infinity,-Infinity,1e400]}')
    assert math.isnan(value["x"][0])
    assert value["x"][1:] == [math.inf, -math.inf, math.inf]


@pytest.mark.parametrize(
    "data", [b'{"a":"\xff"}', '{"a":"é"}'.encode("latin-1"), b"\xef\xbb\xbf{}", b"{not json", b""]
)
def test_what_is_no_utf8_json_raises_the_error_json_raises(data):
    with pytest.raises(ValueError) as refused:
        loads(data)
    with pytest.raises(type(refused.value)):
        json.loads(data.decode("utf-8"))
