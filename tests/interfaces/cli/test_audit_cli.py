"""`regledger replay|verify|export|import|tree-head` on a configured store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from application.ledger.signing import load_or_create_key
from interfaces.cli.main import app
from interfaces.settings import get_settings
from tests.application.audit.conftest import signed_system, tell_story
from tests.application.audit.tamper import Tamper
from tests.conftest import FakeClock

runner = CliRunner()


@pytest.fixture
def configured(configured: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's settings, with a tree head signed every four events."""
    monkeypatch.setenv("REGLEDGER_TREE_HEAD_EVERY", "4")
    get_settings.cache_clear()
    return configured


@pytest.fixture
def told(configured: str, tmp_path: Path, clock: FakeClock) -> str:
    """The story recorded in the configured store, its views caught up."""
    system = signed_system(configured, clock, load_or_create_key(tmp_path / "keys" / "ledger.pem"))
    try:
        tell_story(system, clock)
    finally:
        system.close()
    return configured


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def use_store(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGLEDGER_DATABASE_URL", url)
    get_settings.cache_clear()


@pytest.mark.parametrize("command", ["replay", "verify", "export", "import", "tree-head"])
def test_every_audit_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_verify_passes_on_an_untouched_store(told):
    result = invoke("verify")
    assert result.exit_code == 0, result.output
    assert "verified 16 events and 4 signed tree heads" in result.stdout


def test_verify_fails_naming_the_first_bad_position(told):
    from application.persistence.store import parse_url
    from application.service import Regledger

    application = Regledger(parse_url(told))
    Tamper(application).change_one_byte(9)
    application.close()
    result = invoke("verify")
    assert result.exit_code == 1
    assert "first bad position 9" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_replay_shows_matching_digests(told):
    result = invoke("replay")
    assert result.exit_code == 0, result.output
    assert "every view matches its replay" in result.stdout


def test_tree_head_prints_the_latest_signed_head_as_json(told):
    result = invoke("tree-head", "--json")
    assert result.exit_code == 0, result.output
    head = json.loads(result.stdout)
    assert head["tree_size"] == 16
    assert set(head) == {"tree_size", "root_hash", "timestamp", "key_id", "signature", "public_key"}


def test_tree_head_without_any_signed_head_fails_with_one_line(configured):
    result = invoke("tree-head")
    assert result.exit_code == 1
    assert "no tree head has been signed yet" in result.stderr


def test_tree_head_can_sign_on_demand(configured, clock, tmp_path):
    result = invoke("tree-head", "--sign", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["tree_size"] == 0


def test_export_then_import_into_an_empty_store_then_verify(told, tmp_path, monkeypatch):
    path = tmp_path / "log.ndjson"
    exported = invoke("export", str(path))
    assert exported.exit_code == 0, exported.output
    assert "exported 16 events" in exported.stdout
    use_store(f"sqlite:///{tmp_path}/copy.db", monkeypatch)
    imported = invoke("import", str(path))
    assert imported.exit_code == 0, imported.output
    assert "imported 16 events" in imported.stdout
    assert invoke("verify").exit_code == 0


def test_import_into_a_store_with_events_is_refused(told, tmp_path):
    path = tmp_path / "log.ndjson"
    assert invoke("export", str(path)).exit_code == 0
    result = invoke("import", str(path))
    assert result.exit_code == 1
    assert "not empty" in result.stderr


def test_a_truncated_export_is_refused_with_one_line(told, tmp_path, monkeypatch):
    path = tmp_path / "log.ndjson"
    assert invoke("export", str(path)).exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    use_store(f"sqlite:///{tmp_path}/copy.db", monkeypatch)
    result = invoke("import", str(path))
    assert result.exit_code == 1
    assert "truncated" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_import_of_a_missing_file_fails_cleanly(configured, tmp_path):
    result = invoke("import", str(tmp_path / "nowhere.ndjson"))
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_an_unsafe_key_file_is_one_clear_line(told, tmp_path):
    (tmp_path / "keys" / "ledger.pem").chmod(0o644)
    result = invoke("export", str(tmp_path / "log.ndjson"))
    assert result.exit_code == 1
    assert "chmod 600" in result.stderr
