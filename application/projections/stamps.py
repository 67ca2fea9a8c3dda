"""Times as stored in the read side: fixed-width UTC text that sorts like the times it names."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=8192)
def stamp(value: datetime) -> str:
    """RFC 3339 text in UTC with microseconds, so that text order is time order."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def is_utc_micro_text(text: str) -> bool:
    """True when `text` is what `isoformat()` prints for a UTC time with microseconds.

    Such a text is also that time's `stamp`, and the form the log's own clock writes.
    """
    return (
        len(text) == 32
        and text[26:] == "+00:00"
        and text[10] == "T"
        and text[19] == "."
        and text[20:26] != "000000"
        and text[4] + text[7] + text[13] + text[16] == "--::"
    )


def stamp_or_none(value: datetime | None) -> str | None:
    """`stamp`, passing None through."""
    return None if value is None else stamp(value)


def unstamp(text: str) -> datetime:
    """The aware UTC datetime a stored stamp names."""
    return datetime.fromisoformat(text).astimezone(UTC)


def unstamp_or_none(text: str | None) -> datetime | None:
    """`unstamp`, passing None through."""
    return None if text is None else unstamp(text)
