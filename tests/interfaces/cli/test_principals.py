"""`regledger principal add|list|revoke` against a SQLite file named by the environment."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.exceptions import StarletteDeprecationWarning
from typer.testing import CliRunner

from interfaces.api.app import create_app
from interfaces.cli.main import app as cli
from interfaces.settings import get_settings

with warnings.catch_warnings():
    # Starlette nudges towards `httpx2`; the project's dev dependency is `httpx`.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

runner = CliRunner()
TOKEN = re.compile(r"rl_[A-Za-z0-9_-]{43}")


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """REGLEDGER_DATABASE_URL points at a fresh SQLite file."""
    path = tmp_path / "cli.db"
    monkeypatch.setenv("REGLEDGER_DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _add(org: str = "anthropic", role: str = "provider") -> str:
    result = runner.invoke(cli, ["principal", "add", "--org", org, "--role", role])
    assert result.exit_code == 0, result.output
    return result.stdout


def _listed() -> list[dict[str, str | None]]:
    result = runner.invoke(cli, ["principal", "list", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_add_prints_the_new_token_alone_on_stdout(db_file: Path) -> None:
    stdout = _add()

    assert TOKEN.fullmatch(stdout.strip())
    assert stdout.count("\n") == 1


def test_only_the_tokens_sha256_is_stored(db_file: Path) -> None:
    token = _add().strip()

    with sqlite3.connect(db_file) as conn:
        rows = conn.execute("SELECT * FROM regledger_principals").fetchall()

    assert token not in repr(rows)
    assert hashlib.sha256(token.encode()).hexdigest() in repr(rows)


def test_list_as_json_shows_each_principal_without_its_token(db_file: Path) -> None:
    token = _add("us-bis", "regulator").strip()

    [listed] = _listed()

    assert listed["org"] == "us-bis"
    assert listed["role"] == "regulator"
    assert listed["revoked_at"] is None
    assert token not in json.dumps(listed)


def test_list_as_a_table_shows_the_full_id(db_file: Path) -> None:
    _add()
    [listed] = _listed()

    result = runner.invoke(cli, ["principal", "list"], env={"COLUMNS": "80"})

    assert str(listed["id"]) in result.stdout
    assert "provider" in result.stdout


def test_add_refuses_an_unknown_role_with_one_line(db_file: Path) -> None:
    result = runner.invoke(cli, ["principal", "add", "--org", "acme", "--role", "king"])

    assert result.exit_code != 0
    assert result.stdout == ""
    assert "role 'king'" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_add_refuses_an_organisation_that_is_not_a_slug(db_file: Path) -> None:
    result = runner.invoke(cli, ["principal", "add", "--org", "Acme Corp", "--role", "provider"])

    assert result.exit_code != 0
    assert "slug" in result.stderr


def test_revoke_marks_the_principal_revoked(db_file: Path) -> None:
    _add()
    [listed] = _listed()

    result = runner.invoke(cli, ["principal", "revoke", str(listed["id"])])

    assert result.exit_code == 0
    assert _listed()[0]["revoked_at"] is not None


def test_revoking_an_unknown_principal_fails(db_file: Path) -> None:
    result = runner.invoke(cli, ["principal", "revoke", "no-such-id"])

    assert result.exit_code != 0
    assert "no principal no-such-id" in result.stderr


def test_a_token_is_accepted_by_the_api_until_it_is_revoked(db_file: Path) -> None:
    token = _add().strip()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(get_settings())) as client:
        before = client.post("/v1/models", json={"name": "Fable 5"}, headers=headers)
        runner.invoke(cli, ["principal", "revoke", str(_listed()[0]["id"])])

        after = client.post("/v1/models", json={"name": "Mythos 5"}, headers=headers)

    assert before.status_code == 201
    assert after.status_code == 401
