"""The runner applies each event to the views exactly once, across restarts."""

from __future__ import annotations

import pytest

from application.context import CommandContext
from application.persistence.store import parse_url
from application.system import System
from domain.actor import Actor

PROVIDER = CommandContext(Actor(org="anthropic", role="provider"))


def _history_positions(system: System) -> list[int]:
    rows = system.app.db.fetchall("SELECT position FROM regledger_history ORDER BY position")
    return [r["position"] for r in rows]


def test_history_view_holds_each_event_once_after_a_restart(store_url, clock):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    system = System(parse_url(store_url), clock=clock)
    first = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
    system.runner.catch_up()
    system.close()

    restarted = System(parse_url(store_url), clock=clock)
    second = restarted.app.register_model(PROVIDER, "Mythos 5", "frontier model")
    restarted.runner.catch_up()
    assert _history_positions(restarted) == [first.position, second.position]
    assert restarted.runner.position() == second.position
    restarted.close()


def test_wait_for_returns_once_the_background_runner_reaches_the_position(store_url, clock):
    system = System(parse_url(store_url), clock=clock, follow=True)
    try:
        result = system.app.register_model(PROVIDER, "Fable 5", "frontier model")
        assert system.runner.wait_for(result.position, timeout=5) >= result.position
        assert _history_positions(system) == [result.position]
    finally:
        system.close()
