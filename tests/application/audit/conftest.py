"""A composed system on each store, its ledger signing every few events, and the story in it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.ledger.signing import load_or_create_key
from application.persistence.store import parse_url
from application.projections.ledger import enable_signing
from application.system import System
from domain.appeal import Outcome
from tests.application.story import Story
from tests.conftest import FakeClock

EVERY = 4  # a tree head every 4 events: the story crosses several


@pytest.fixture
def signing_key(tmp_path: Path) -> Ed25519PrivateKey:
    """The ledger key, created on first use with mode 0600."""
    return load_or_create_key(tmp_path / "keys" / "ledger.pem")


def signed_system(url: str, clock: FakeClock, key: Ed25519PrivateKey) -> System:
    """A system whose ledger signs a head every EVERY events."""
    system = System(parse_url(url), clock=clock)
    enable_signing(system.views, key, EVERY, clock)
    return system


@pytest.fixture
def system(store_url: str, clock: FakeClock, signing_key: Ed25519PrivateKey) -> Iterator[System]:
    """A signing system on a fresh store of each kind."""
    composed = signed_system(store_url, clock, signing_key)
    try:
        yield composed
    finally:
        composed.close()


def tell_story(system: System, clock: FakeClock) -> Story:
    """The reference story up to a settlement, with its views caught up."""
    story = Story(system.app).register_models()
    clock.advance(days=2)
    story.issue_directive()
    clock.advance(hours=6)
    story.shut_down_everywhere().file_appeal()
    clock.advance(days=3)
    story.add_amicus_letter(signers=120)
    story.rule_on_stay()
    clock.advance(days=7)
    number = story.propose()
    story.accept(number)
    clock.advance(days=4)
    story.decide(Outcome.SETTLED)
    system.runner.catch_up()
    return story


@pytest.fixture
def story(system: System, clock: FakeClock) -> Story:
    """The story told in `system`."""
    return tell_story(system, clock)
