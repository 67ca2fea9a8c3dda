"""Fixtures for the read side: a System on each store, its queries, and the story's actors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from application.context import CommandContext
from application.persistence.store import parse_url
from application.queries import Queries
from application.system import System
from domain.actor import Actor, Role
from domain.scope import Scope

ANTHROPIC = Actor(org="anthropic", role=Role.PROVIDER)
US_BIS = Actor(org="us-bis", role=Role.REGULATOR)
ADOBE = Actor(org="adobe", role=Role.STAKEHOLDER)


def day(month: int, d: int, hour: int = 0) -> datetime:
    """A UTC time in 2026."""
    return datetime(2026, month, d, hour, tzinfo=UTC)


def as_(actor: Actor, effective_at: datetime | None = None) -> CommandContext:
    """A command context for an actor, optionally back- or forward-dated."""
    return CommandContext(actor, effective_at=effective_at)


def scope(classes: list[str], places: list[str]) -> Scope:
    """A scope from two lists."""
    return Scope(user_classes=tuple(classes), jurisdictions=tuple(places))


@pytest.fixture
def system(store_url: str, clock) -> Iterator[System]:  # type: ignore[no-untyped-def]
    """A System on a fresh store of each kind, its views caught up by hand."""
    built = System(parse_url(store_url), clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def queries(system: System) -> Queries:
    """The read API of the system."""
    return Queries.of(system)
