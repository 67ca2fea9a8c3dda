"""How the pages write times, scopes and segments, and read the "as of" parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.scope import WILDCARD, Scope

KnownAt = int | datetime | None


class BadParameter(ValueError):
    """A query parameter the pages cannot read; the message names it."""


def utc(moment: datetime) -> datetime:
    """The same instant in UTC (a naive time is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def when(moment: datetime | None) -> str:
    """`8 Sep 2026, 09:00 UTC`, or a dash for no time."""
    if moment is None:
        return "—"
    moment = utc(moment)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def day(moment: datetime | None) -> str:
    """`8 Sep 2026`."""
    if moment is None:
        return "—"
    moment = utc(moment)
    return f"{moment.day} {moment:%b %Y}"


def iso(moment: datetime | None) -> str:
    """RFC 3339 in UTC, for `<time datetime>` and machine-readable cells."""
    return "" if moment is None else utc(moment).isoformat()


def local_input(moment: datetime | None) -> str:
    """The value of a `datetime-local` input, in UTC to the minute."""
    return "" if moment is None else utc(moment).strftime("%Y-%m-%dT%H:%M")


def axis_value(value: str, any_label: str) -> str:
    """One side of a segment, the wildcard written out."""
    return any_label if value == WILDCARD else value


def segment_label(user_class: str, jurisdiction: str) -> str:
    """`foreign_national · CN`; `any class · anywhere` for the wildcard segment."""
    return f"{axis_value(user_class, 'any class')} · {axis_value(jurisdiction, 'anywhere')}"


def scope_label(scope: Scope | None) -> str:
    """`foreign_national in BY, CN, …`; `nobody` for an empty scope."""
    if scope is None:
        return "—"
    if scope.is_empty:
        return "nobody"
    classes = ", ".join(axis_value(u, "all users") for u in scope.user_classes)
    places = ", ".join(axis_value(j, "everywhere") for j in scope.jurisdictions)
    return f"{classes} in {places}" if places != "everywhere" else f"{classes}, everywhere"


def words(value: Any) -> str:
    """`over_compliant` → `over compliant`."""
    return str(value).replace("_", " ")


def parse_time(name: str, value: str | None) -> datetime | None:
    """An RFC 3339 time, a `datetime-local` value or a date; naive values are UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        raise BadParameter(
            f"{name} must be a date or time such as 2026-09-20 or 2026-09-20T12:00Z, not {value!r}"
        ) from None


def parse_known_at(value: str | None) -> KnownAt:
    """A log position (a whole number) or a recorded time."""
    if value is None or not value.strip():
        return None
    if value.strip().isdigit():
        return int(value.strip())
    try:
        return parse_time("known_at", value)
    except BadParameter:
        raise BadParameter(
            f"known_at must be a log position (a whole number) or a time, not {value!r}"
        ) from None


FILTERS = {
    "when": when,
    "day": day,
    "iso": iso,
    "local_input": local_input,
    "segment": lambda d: segment_label(d.user_class, d.jurisdiction),
    "scope": scope_label,
    "words": words,
}
