"""Fixtures for the read side: a System on each store, its queries, and the story's actors."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from application.context import CommandContext
from application.persistence.database import Database
from application.persistence.store import parse_url
from application.projections.base import View
from application.projections.registry import default_views
from application.projections.runner import ProjectionRunner
from application.queries import Queries
from application.service import Regledger
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


def view_digests(db: Database, views: Iterable[View]) -> dict[str, str]:
    """Each view's digest in `db`, by name."""
    return {v.name: v.digest(db) for v in views}


def rebuilt_digests(  # type: ignore[no-untyped-def]
    system: System, scratch: Path, clock, names: Collection[str] | None = None
) -> dict[str, str]:
    """The default views (those `names`d) rebuilt from `system`'s log in a fresh SQLite
    store at `scratch`, in one process, by name: each one's digest."""
    store = Regledger(parse_url(f"sqlite:///{scratch}"), clock=clock)
    views = [v for v in default_views() if names is None or v.name in names]
    try:
        ProjectionRunner(
            system.app.recorder,
            system.app.mapper,
            store.db,
            store.factory.tracking_recorder(),
            views,
        ).catch_up()
        return view_digests(store.db, views)
    finally:
        store.close()


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
