"""`regledger demo` records the reference story in an empty store and hands out tokens."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from application.context import CommandContext
from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.queries import Queries
from application.system import System
from domain.actor import Actor, Role
from interfaces.cli.main import app
from interfaces.settings import get_settings

runner = CliRunner()
ROLES = {"regulator", "provider", "stakeholder", "adjudicator", "auditor"}


@pytest.fixture
def configured(configured: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's settings, with the port the printed tour should name."""
    monkeypatch.setenv("REGLEDGER_PORT", "8123")
    get_settings.cache_clear()
    return configured


def opened(url: str) -> System:
    system = System(parse_url(url))
    system.runner.catch_up()
    return system


def test_demo_has_help():
    result = runner.invoke(app, ["demo", "--help"])

    assert result.exit_code == 0
    assert "--force" in result.output and "--json" in result.output


def test_demo_records_the_story_in_an_empty_store(configured):
    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 0, result.output
    assert "Recorded the reference story: 22 events" in result.stdout
    assert "http://127.0.0.1:8123/ui" in result.stdout
    assert "curl http://127.0.0.1:8123/v1/models/" in result.stdout
    system = opened(configured)
    try:
        names = [m.name for m in Queries.of(system).list_models().items]
        assert names == ["Fable 5", "Mythos 5"]
        assert system.app.max_position() == 22
    finally:
        system.close()


def test_demo_creates_a_principal_for_each_role_and_prints_working_tokens(configured):
    result = runner.invoke(app, ["demo", "--json"])

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {p["role"] for p in summary["principals"]} == ROLES
    system = opened(configured)
    try:
        store = PrincipalStore(system.app.db)
        for p in summary["principals"]:
            principal = store.authenticate(p["token"])
            assert principal is not None
            assert (principal.org, str(principal.role)) == (p["org"], p["role"])
    finally:
        system.close()


def test_demo_json_names_the_records_it_made(configured):
    summary = json.loads(runner.invoke(app, ["demo", "--json"]).stdout)

    assert summary["position"] == 22
    assert set(summary["ids"]) == {"fable_5", "mythos_5", "directive", "appeal"}
    assert summary["ui"] == "http://127.0.0.1:8123/ui"
    orgs = {p["org"] for p in summary["principals"]}
    assert {"us-bis", "anthropic", "adobe"} <= orgs


def test_demo_signs_a_tree_head_over_the_story(configured):
    runner.invoke(app, ["demo", "--json"])

    result = runner.invoke(app, ["tree-head", "--json"])

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tree_size"] == 22


def test_demo_refuses_a_store_that_holds_events(configured):
    assert runner.invoke(app, ["demo", "--json"]).exit_code == 0

    result = runner.invoke(app, ["demo"])

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: the store already holds 22 events; the demo needs an empty store (pass "
        "--force to record the story alongside them)"
    ]
    assert result.stdout == ""


def test_demo_with_force_records_the_story_beside_other_records(configured):
    system = System(parse_url(configured))
    provider = CommandContext(Actor(org="openai", role=Role.PROVIDER))
    system.app.register_model(provider, "Sonnet 1", "someone else's model")
    system.close()

    refused = runner.invoke(app, ["demo"])
    forced = runner.invoke(app, ["demo", "--force", "--json"])

    assert refused.exit_code == 1
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["position"] == 23


def test_demo_with_force_cannot_record_the_story_twice(configured):
    runner.invoke(app, ["demo", "--json"])

    result = runner.invoke(app, ["demo", "--force"])

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert "the story cannot be recorded here" in result.stderr
    assert "Traceback" not in result.output
