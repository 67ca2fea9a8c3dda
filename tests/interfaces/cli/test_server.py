"""`regledger worker --once` brings the projections up to the log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.context import CommandContext
from application.persistence.store import parse_url
from application.system import System
from domain.actor import Actor, Role
from interfaces.cli.main import app as cli
from interfaces.settings import get_settings

runner = CliRunner()


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """REGLEDGER_DATABASE_URL points at a fresh SQLite file."""
    value = f"sqlite:///{tmp_path}/worker.db"
    monkeypatch.setenv("REGLEDGER_DATABASE_URL", value)
    get_settings.cache_clear()
    yield value
    get_settings.cache_clear()


def test_worker_once_applies_every_recorded_event_and_exits(url: str) -> None:
    system = System(parse_url(url))
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    recorded = system.app.register_model(provider, "Fable 5", "frontier model").position
    system.close()

    result = runner.invoke(cli, ["worker", "--once"])

    reopened = System(parse_url(url))
    reached = reopened.runner.position()
    reopened.close()
    assert result.exit_code == 0, result.output
    assert reached == recorded
