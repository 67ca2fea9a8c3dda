"""`regledger status` and `regledger history` on a store holding the reference story."""

from __future__ import annotations

import json
import uuid

import pytest
from rich.console import Console
from typer.testing import CliRunner

from application.context import CommandContext
from application.demo import StoryIds, load_story
from application.persistence.store import parse_url
from application.system import System
from domain.actor import Actor, Role
from interfaces.cli import readside
from interfaces.cli.main import app

runner = CliRunner()


@pytest.fixture
def configured(configured: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The CLI's settings, and a terminal wide enough for the tables."""
    monkeypatch.setattr(readside, "out", Console(width=160))
    return configured


@pytest.fixture
def story(configured: str) -> StoryIds:
    """The story recorded in the configured store (its views left for the command)."""
    system = System(parse_url(configured))
    try:
        return load_story(system.app)
    finally:
        system.close()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


def one_line_failure(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("command", ["status", "history"])
def test_read_commands_have_help(command):
    result = invoke(command, "--help")

    assert result.exit_code == 0
    assert "--json" in result.output


def test_status_by_name_prints_a_table_of_the_matrix(story):
    result = invoke("status", "Fable 5")

    assert result.exit_code == 0, result.output
    assert "Fable 5 (anthropic)" in result.stdout
    assert "as known at position 22" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "foreign_national/CN" in line)
    for cell in ("restricted", "suspended", "compliant", "BIS-ICTS-2026-0917 #3,#17"):
        assert cell in row


def test_status_accepts_the_id_and_provider_slash_name(story):
    by_id = invoke("status", str(story.mythos), "--json")
    by_slash = invoke("status", "anthropic/mythos 5", "--json")

    assert by_id.exit_code == by_slash.exit_code == 0
    assert json.loads(by_id.stdout)["model_id"] == json.loads(by_slash.stdout)["model_id"]


def test_status_json_answers_at_an_effective_time_and_a_position(story):
    result = invoke("status", "Fable 5", "--at", "2026-09-09", "--known-at", "8", "--json")

    assert result.exit_code == 0, result.output
    matrix = json.loads(result.stdout)
    assert matrix["position"] == 8
    assert matrix["at"].startswith("2026-09-09T00:00:00")
    by_segment = {(s["user_class"], s["jurisdiction"]): s for s in matrix["segments"]}
    assert set(by_segment) == {("*", "*"), ("foreign_national", "*")}
    assert by_segment[("foreign_national", "*")]["compliance"] == "non_compliant"


def test_status_prints_one_block_per_segment_on_a_narrow_terminal(story, monkeypatch):
    monkeypatch.setattr(readside, "out", Console(width=80))

    result = invoke("status", "Fable 5")

    assert result.exit_code == 0, result.output
    assert "foreign_national/CN: restricted, suspended, compliant since 2026-09-10" in result.stdout


def test_status_of_an_unknown_model_is_one_line(story):
    line = one_line_failure(invoke("status", "Haiku 9"))

    assert line == "error: no model is named 'Haiku 9' (give its id, its name or provider/name)"


def test_status_of_an_ambiguous_name_lists_the_choices(story, configured):
    system = System(parse_url(configured))
    other = CommandContext(Actor(org="openai", role=Role.PROVIDER))
    system.app.register_model(other, "Fable 5", "a namesake")
    system.close()

    line = one_line_failure(invoke("status", "Fable 5"))

    assert "several models are named 'Fable 5'" in line
    assert "anthropic/Fable 5" in line and "openai/Fable 5" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "tomorrow"), "--at must be a time"),
        (("--known-at", "later"), "--known-at must be a time"),
        (("--at", "2020-01-01"), "did not exist at 2020-01-01"),
    ],
)
def test_status_with_a_bad_time_is_one_line(story, args, message):
    assert message in one_line_failure(invoke("status", "Fable 5", *args))


def test_history_lists_an_aggregate_events_with_positions(story):
    result = invoke("history", str(story.directive))

    assert result.exit_code == 0, result.output
    assert f"directive {story.directive} (version 4)" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if "(regulator)" in line]
    assert [(row[0], row[1]) for row in rows] == [
        ("3", "Issued"),
        ("17", "Amended"),
        ("18", "AppealClosed"),
    ]


def test_history_json_redacts_confidential_submissions(story):
    result = invoke("history", str(story.appeal), "--json")

    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert record["kind"] == "appeal"
    secret = next(e for e in record["events"] if e["data"].get("confidential"))
    assert secret["redacted"] is True
    assert "title" not in secret["data"] and "summary" not in secret["data"]
    assert "Classified threat assessment" not in result.stdout
    letter = next(e for e in record["events"] if e["data"].get("kind") == "amicus_letter")
    assert len(letter["data"]["signatories"]) == 104
    assert [e["position"] for e in record["events"]] == sorted(
        e["position"] for e in record["events"]
    )


def test_history_table_withholds_confidential_content(story):
    result = invoke("history", str(story.appeal))

    assert result.exit_code == 0, result.output
    assert "Classified threat assessment" not in result.stdout
    text = " ".join(result.stdout.split())
    assert "content withheld (confidential)" in text
    assert "104 signatories" in text


def test_history_of_an_unknown_id_is_one_line(story):
    unknown = uuid.uuid4()

    assert one_line_failure(invoke("history", str(unknown))) == (
        f"error: nothing recorded under {unknown}"
    )


def test_history_of_something_that_is_not_an_id_is_one_line(story):
    line = one_line_failure(invoke("history", "Fable 5"))

    assert line.startswith("error: 'Fable 5' is not an id")
