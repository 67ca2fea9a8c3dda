"""How event state becomes stored bytes: sorted, compact JSON with typed value objects."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import (
    DatetimeAsISO,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)
from pydantic import BaseModel

from application.persistence.jsontext import Encoder
from domain.actor import Actor
from domain.appeal import Signatory
from domain.scope import Scope, Segment


class PydanticAsDict(Transcoding):
    """Stores a frozen pydantic value object as its JSON-mode dump under a stable name."""

    def __init__(self, cls: type[BaseModel], name: str) -> None:
        self.model = cls
        self.type = cls
        self.name = name

    def encode(self, obj: BaseModel) -> dict[str, Any]:
        return obj.model_dump(mode="json")

    def decode(self, data: dict[str, Any]) -> BaseModel:
        return self.model.model_validate(data)


VALUE_OBJECTS: dict[str, type[BaseModel]] = {
    "scope": Scope,
    "segment": Segment,
    "actor": Actor,
    "signatory": Signatory,
}


class RegledgerTranscoder(JSONTranscoder):
    """JSON transcoder whose output is canonical: sorted keys, no spaces, UTF-8."""

    def __init__(self) -> None:
        super().__init__()
        # The library calls `self.encoder.encode(obj)`: the same text, set up once.
        self.encoder = Encoder(  # type: ignore[assignment]
            default=self._encode_obj,
            ensure_ascii=False,
            sort_keys=True,
        )
        self.register(UUIDAsHex())
        self.register(DatetimeAsISO())
        for name, cls in VALUE_OBJECTS.items():
            self.register(PydanticAsDict(cls, name))

    def decode(self, data: bytes) -> Any:
        """Decode, turning JSON arrays back into the tuples events hold."""
        return arrays_as_tuples(super().decode(data))


def arrays_as_tuples(value: Any) -> Any:
    """A decoded JSON value with every array, at any depth, turned into a tuple."""
    if isinstance(value, list):
        return tuple(arrays_as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: arrays_as_tuples(v) for k, v in value.items()}
    return value
