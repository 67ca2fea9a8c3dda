"""JSON text as `json` reads and writes it, faster: `loads`, and `Encoder`.

`loads` reads JSON with orjson where orjson gives the values `json.loads` gives, and with
`json` everywhere else (see its docstring).

`Encoder` is `json.JSONEncoder(...).encode`, with the C encoder built once instead of on
every call: `JSONEncoder.encode` builds a new C encoder (and a float formatter, and a dict
of markers for cycle checks) each time it is called; on the small values written per event
or per request that set-up costs about as much as the encoding. `Encoder` builds it once, with
the same settings, and so writes the same text. Values here are made of plain data and
never hold a cycle, so no markers are kept (a cycle would end in `RecursionError` rather
than `ValueError`).

An `Encoder` made with `plain=True` hands a value made only of JSON's own types (no floats)
to orjson, and keeps the text only where it is `json`'s text (see `Encoder._by_orjson`). For
an event's state orjson writes in an eighth of `json`'s time; the check that the state holds
no float costs about three times orjson's writing, so the whole is about twice as fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from typing import Any

import orjson

# A run of 19 digits may be an integer beyond 64 bits, which orjson reads as a float where
# `json` keeps it exact (every integer of 18 digits or fewer lies within orjson's range,
# [-2**63, 2**64 - 1]). It is found as a run of zeros once every digit is written as a zero
# and everything else as an `x`: a scan in C, a fifth of a parse (a regular expression
# takes as long as the parse).
_DIGITS_AS_ZEROS = bytes(0x30 if 0x30 <= b <= 0x39 else 0x78 for b in range(256))
_LONG_DIGITS = b"0" * 19

# The types orjson writes exactly as `json` does, when keys are sorted and separators compact.
# Floats are not among them: orjson writes `1e-05` as `0.00001`.
_SCALARS = frozenset({str, int, bool, type(None)})


def _plain(value: Any) -> bool:
    """True when `value` holds only dicts, lists, tuples, text, integers, booleans and None."""
    t = type(value)
    if t is dict:
        items: Any = value.values()
    elif t is list or t is tuple:
        items = value
    else:
        return t in _SCALARS
    for v in items:
        t = type(v)
        if t not in _SCALARS and not ((t is dict or t is list or t is tuple) and _plain(v)):
            return False
    return True


def loads(data: bytes) -> Any:
    """`json.loads(data.decode("utf-8"))`: the same values, or the same error.

    orjson parses the text, in about half the time, wherever it gives the same values. It
    refuses what only `json` reads (`NaN`, infinities, lone surrogates) and what neither
    reads (text that is not UTF-8 JSON): such text goes to `json`, which reads it or raises
    its own error. So does text holding a run of 19 digits (see `_DIGITS_AS_ZEROS`).
    """
    if _LONG_DIGITS not in data.translate(_DIGITS_AS_ZEROS):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data.decode("utf-8"))


class Encoder:
    """`json.JSONEncoder(**settings, check_circular=False).encode`, set up once."""

    def __init__(
        self,
        *,
        sort_keys: bool = False,
        separators: tuple[str, str] = (",", ":"),
        ensure_ascii: bool = True,
        allow_nan: bool = True,
        default: Callable[[Any], Any] | None = None,
        plain: bool = False,
    ) -> None:
        self.reference = json.JSONEncoder(
            sort_keys=sort_keys,
            separators=separators,
            ensure_ascii=ensure_ascii,
            allow_nan=allow_nan,
            check_circular=False,
            default=default,
        )
        self._text = encode_basestring_ascii if ensure_ascii else encode_basestring
        self._orjson = plain and separators == (",", ":")
        self._options = orjson.OPT_SORT_KEYS if sort_keys else 0
        self._ascii = ensure_ascii
        item_separator, key_separator = separators
        self._encode = (
            None
            if c_make_encoder is None
            else c_make_encoder(
                None,
                self.reference.default,
                self._text,
                None,
                key_separator,
                item_separator,
                sort_keys,
                False,
                allow_nan,
            )
        )

    def encode(self, value: Any) -> str:
        """The JSON text `json.JSONEncoder(...).encode(value)` gives."""
        fast = self._by_orjson(value) if self._orjson else None
        return fast.decode() if fast is not None else self._by_json(value)

    def encode_bytes(self, value: Any) -> bytes:
        """`encode(value)` as UTF-8 (raising `UnicodeEncodeError`, a `ValueError`, as it does)."""
        fast = self._by_orjson(value) if self._orjson else None
        return fast if fast is not None else self._by_json(value).encode()

    def _by_json(self, value: Any) -> str:
        """`json`'s text of `value`, from the C encoder built once."""
        if isinstance(value, str):
            return self._text(value)  # type: ignore[no-any-return]
        if self._encode is None:
            return self.reference.encode(value)
        return "".join(self._encode(value, 0))

    def _by_orjson(self, value: Any) -> bytes | None:
        """orjson's text of a plain value where it is `json`'s text, else None.

        Asked only by an encoder made with `plain=True`, and never for a lone text
        (`json`'s C function writes it directly). Sorted by code point and compact, orjson writes
        text, integers, booleans and None as `json` does with `ensure_ascii=False`, and
        refuses what `json` would write otherwise or refuse (an integer beyond 64 bits, a
        key that is not text, a lone surrogate). With `ensure_ascii`, `json` escapes every
        character outside ASCII and DEL too: text holding either is left to `json`.
        """
        if isinstance(value, str):
            return None
        try:
            if not _plain(value):
                return None
            text = orjson.dumps(value, option=self._options)
        except (orjson.JSONEncodeError, RecursionError):
            return None
        if self._ascii and (not text.isascii() or b"\x7f" in text):
            return None
        return text
