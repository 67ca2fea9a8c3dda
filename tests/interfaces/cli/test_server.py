"""`regledger serve` and `regledger worker`, and what every command shares."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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


def test_worker_once_in_two_processes_brings_every_view_to_the_log(url: str) -> None:
    system = System(parse_url(url))
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    for name in ("Fable 5", "Mythos 5", "Opus 5"):
        recorded = system.app.register_model(provider, name, "frontier model").position
    system.close()

    result = runner.invoke(cli, ["worker", "--once", "--processes", "2"])

    reopened = System(parse_url(url))
    positions = reopened.runner.positions()
    reopened.close()
    assert result.exit_code == 0, result.output
    assert f"applied {recorded} events; projections at {recorded}" in result.output
    assert set(positions.values()) == {recorded}


def test_the_installed_command_catches_up_in_two_processes(url: str) -> None:
    system = System(parse_url(url))
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    recorded = system.app.register_model(provider, "Fable 5", "frontier model").position
    system.close()
    command = Path(sys.executable).with_name("regledger")

    done = subprocess.run(
        [str(command), "worker", "--once", "--processes", "2"],
        env={**os.environ, "REGLEDGER_DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert f"projections at {recorded}" in done.stderr
    reopened = System(parse_url(url))
    positions = reopened.runner.positions()
    reopened.close()
    assert set(positions.values()) == {recorded}


def test_worker_refuses_processes_without_once(url: str) -> None:
    result = runner.invoke(cli, ["worker", "--processes", "2"])

    assert result.exit_code != 0
    assert "--processes applies only with --once" in result.output


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_binds_where_asked_and_answers(url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "REGLEDGER_DATABASE_URL": url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "interfaces.cli.main",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        answer = None
        deadline = time.monotonic() + 30
        while answer is None and time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            except httpx.HTTPError:
                time.sleep(0.1)
        assert answer is not None, "the server never answered"
        assert answer.status_code == 200
        assert answer.json()["items"] == []
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_runs_uvicorn_on_the_c_parser_writing_answers_whole(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn
    from uvicorn.importer import import_from_string
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    asked: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: asked.update(kwargs, app=app))

    result = runner.invoke(cli, ["serve", "--port", "0"])

    assert result.exit_code == 0, result.output
    assert asked["app"] == "interfaces.api.app:app_from_settings"
    assert asked["http"] == "interfaces.api.protocol:HttpProtocol"
    assert asked["access_log"] is False
    # uvicorn loads it by that name, and it is its protocol on httptools (installed with
    # the project), not the pure-Python h11.
    protocol = import_from_string(str(asked["http"]))
    assert issubclass(protocol, HttpToolsProtocol)


@pytest.mark.parametrize("command", [["serve"], ["worker", "--once"], ["status", "x"]])
def test_an_unsupported_database_url_fails_with_one_clear_line(
    command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGLEDGER_DATABASE_URL", "mysql://root@localhost/regledger")
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, command)
    finally:
        get_settings.cache_clear()

    assert result.exit_code != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "unsupported database URL" in lines[0]


@pytest.mark.parametrize(
    "command",
    [
        "serve",
        "worker",
        "demo",
        "status",
        "history",
        "replay",
        "verify",
        "export",
        "import",
        "tree-head",
        "principal",
    ],
)
def test_every_command_explains_itself(command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])

    assert result.exit_code == 0
    assert "Usage:" in result.output
