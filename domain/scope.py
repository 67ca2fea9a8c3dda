"""Scopes and segments: whom a restriction covers, and the algebra over them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import product
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from domain.iso3166 import ALPHA2

WILDCARD = "*"
_USER_CLASS = re.compile(r"^[a-z][a-z0-9_]{0,47}$")


def _check_user_class(value: str) -> str:
    if value != WILDCARD and not _USER_CLASS.match(value):
        raise ValueError(
            f"user class {value!r} must be '*' or lowercase letters, digits and '_' "
            "(starting with a letter, at most 48 characters)"
        )
    return value


def _check_jurisdiction(value: str) -> str:
    if value != WILDCARD and value not in ALPHA2:
        raise ValueError(f"jurisdiction {value!r} is not an ISO 3166-1 alpha-2 code or '*'")
    return value


UserClass = Annotated[
    str,
    Field(max_length=48, json_schema_extra={"pattern": r"^(\*|[a-z][a-z0-9_]{0,47})$"}),
    AfterValidator(_check_user_class),
]
Jurisdiction = Annotated[
    str,
    Field(max_length=2, json_schema_extra={"pattern": r"^(\*|[A-Z]{2})$"}),
    AfterValidator(_check_jurisdiction),
]


def _normalise(values: Iterable[str]) -> tuple[str, ...]:
    unique = set(values)
    return (WILDCARD,) if WILDCARD in unique else tuple(sorted(unique))


class Segment(BaseModel):
    """One concrete (user_class, jurisdiction) pair an access question is asked about.

    A `*` in a segment stands for "any value no scope mentions".
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_class: UserClass
    jurisdiction: Jurisdiction

    def __str__(self) -> str:
        return f"{self.user_class}/{self.jurisdiction}"


def _matches(values: tuple[str, ...], value: str) -> bool:
    return WILDCARD in values or value in values


class Scope(BaseModel):
    """Whom a restriction covers: user classes × jurisdictions (`*` for all)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_classes: Annotated[tuple[UserClass, ...], AfterValidator(_normalise)] = Field(
        max_length=64
    )
    jurisdictions: Annotated[tuple[Jurisdiction, ...], AfterValidator(_normalise)] = Field(
        max_length=250
    )

    @classmethod
    def everyone(cls) -> Scope:
        """The scope that covers every segment."""
        return cls(user_classes=(WILDCARD,), jurisdictions=(WILDCARD,))

    @classmethod
    def nobody(cls) -> Scope:
        """The empty scope (covers no segment)."""
        return cls(user_classes=(), jurisdictions=())

    @property
    def is_empty(self) -> bool:
        """True when the scope covers no segment."""
        return not self.user_classes or not self.jurisdictions

    def covers(self, segment: Segment) -> bool:
        """True when the segment falls inside this scope."""
        return _matches(self.user_classes, segment.user_class) and _matches(
            self.jurisdictions, segment.jurisdiction
        )

    def intersects(self, other: Scope) -> bool:
        """True when some concrete segment lies in both scopes."""
        return _axis_overlaps(self.user_classes, other.user_classes) and _axis_overlaps(
            self.jurisdictions, other.jurisdictions
        )

    def contains(self, other: Scope) -> bool:
        """True when every segment of `other` lies in this scope."""
        if other.is_empty:
            return True
        return all(_matches(self.user_classes, u) for u in other.user_classes) and all(
            _matches(self.jurisdictions, j) for j in other.jurisdictions
        )

    def segments(self) -> Iterator[Segment]:
        """The (user_class, jurisdiction) pairs this scope names, wildcards included."""
        for u, j in product(self.user_classes, self.jurisdictions):
            yield Segment(user_class=u, jurisdiction=j)

    def __str__(self) -> str:
        return f"{','.join(self.user_classes) or '∅'} × {','.join(self.jurisdictions) or '∅'}"


def _axis_overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    if not a or not b:
        return False
    return WILDCARD in a or WILDCARD in b or bool(set(a) & set(b))


def segment_grid(scopes: Iterable[Scope]) -> list[Segment]:
    """Every segment that distinguishes the given scopes: mentioned values plus `*`.

    Any concrete segment behaves exactly like its representative in this grid
    (see `representative`), so the grid is enough to describe all of them.
    """
    classes: set[str] = {WILDCARD}
    places: set[str] = {WILDCARD}
    for scope in scopes:
        classes.update(scope.user_classes)
        places.update(scope.jurisdictions)
    return [
        Segment(user_class=u, jurisdiction=j) for u, j in product(sorted(classes), sorted(places))
    ]


def representative(segment: Segment, classes: set[str], places: set[str]) -> Segment:
    """The grid segment that every scope treats exactly like `segment`."""
    u = segment.user_class if segment.user_class in classes else WILDCARD
    j = segment.jurisdiction if segment.jurisdiction in places else WILDCARD
    if (u, j) == (segment.user_class, segment.jurisdiction):
        return segment
    return Segment(user_class=u, jurisdiction=j)
