"""Shared pieces of every event: topics are stable strings, never module paths."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.errors import InvalidInputError

NAMESPACE = uuid5(NAMESPACE_URL, "https://regledger.invalid/ids")


def topic(aggregate: str, event: str) -> str:
    """The stable stored topic of an event class."""
    return f"regledger.{aggregate}:{event}"


def stable_id(kind: str, key: str) -> UUID:
    """A deterministic id, so that uniqueness is enforced by the store itself."""
    return uuid5(NAMESPACE, f"{kind}/{key.strip().casefold()}")


def aware(value: datetime, field: str = "effective_at") -> datetime:
    """Refuse naive datetimes and normalise to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(f"{field} must carry a UTC offset", field=field)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise InvalidInputError(f"{field} is out of range", field=field) from None
