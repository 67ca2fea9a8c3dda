"""The set-up-once encoder writes exactly what `json.JSONEncoder(...).encode` writes."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from application.persistence.jsontext import Encoder

SETTINGS = [
    {"sort_keys": True},
    {"sort_keys": True, "ensure_ascii": False, "allow_nan": False},
    {"sort_keys": False, "ensure_ascii": False, "separators": (", ", ": ")},
    {"sort_keys": True, "ensure_ascii": False, "default": str},
]

keys = st.one_of(st.text(max_size=8), st.integers(-5, 5), st.booleans(), st.none())
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),  # any code point, surrogates included
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
    reference = json.JSONEncoder(check_circular=False, **{"separators": (",", ":"), **options})

    assert _outcome(Encoder(**options).encode, value) == _outcome(reference.encode, value)


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
