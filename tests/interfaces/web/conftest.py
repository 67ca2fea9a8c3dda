"""The pages on a fresh store of each kind, with the reference story recorded in it."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning

from application.demo import StoryIds, load_story
from application.ledger.signing import load_or_create_key
from application.persistence.store import parse_url
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.conftest import FakeClock

with warnings.catch_warnings():
    # Starlette nudges towards `httpx2`; the project's dev dependency is `httpx`.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

AFTER_THE_STORY = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
SIGN_EVERY = 5


@pytest.fixture
def clock() -> FakeClock:
    """A clock set after the story's last act (28 Oct 2026)."""
    return FakeClock(AFTER_THE_STORY)


@pytest.fixture
def system(store_url: str, clock: FakeClock, tmp_path: Path) -> Iterator[System]:
    """A signing system on a fresh store of each kind."""
    built = System(
        parse_url(store_url),
        clock=clock,
        signing_key=load_or_create_key(tmp_path / "keys" / "ledger.pem"),
        tree_head_every=SIGN_EVERY,
    )
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def story(system: System) -> StoryIds:
    """The reference story, recorded and projected."""
    ids = load_story(system.app)
    system.runner.catch_up()
    return ids


@pytest.fixture
def client(store_url: str, system: System) -> Iterator[TestClient]:
    """A client of the whole app (API and pages), its lifespan running."""
    settings = Settings(database_url=store_url, run_projections=False)
    with TestClient(create_app(settings, system)) as test_client:
        yield test_client


def svg_of(html: str) -> str:
    """The timeline chart's SVG element, as served."""
    found = re.search(r"<svg id=\"timeline\".*?</svg>", html, re.S)
    assert found is not None, "the page has no timeline chart"
    return found.group(0)


def rows_of(svg: str) -> int:
    """How many rows the chart draws."""
    found = re.search(r'data-rows="(\d+)"', svg)
    assert found is not None
    return int(found.group(1))
