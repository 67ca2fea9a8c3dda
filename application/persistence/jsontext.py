"""`json.JSONEncoder(...).encode`, with the C encoder built once instead of on every call.

`JSONEncoder.encode` builds a new C encoder (and a float formatter, and a dict of markers
for cycle checks) each time it is called; on the small values written per event or per
request that set-up costs about as much as the encoding. `Encoder` builds it once, with
the same settings, and so writes the same text. Values here are made of plain data and
never hold a cycle, so no markers are kept (a cycle would end in `RecursionError` rather
than `ValueError`).
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
        if isinstance(value, str):
            return self._text(value)  # type: ignore[no-any-return]
        if self._encode is None:
            return self.reference.encode(value)
        return "".join(self._encode(value, 0))
