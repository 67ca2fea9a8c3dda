"""The benchmark harness runs end to end on tiny sizes, so it cannot rot (no timing asserts)."""

from __future__ import annotations

import math
import shutil
import sqlite3
from pathlib import Path

import pytest

from application.projections.access import AccessView
from bench import access, commands, rebuild
from bench.__main__ import GROUPS, QUICK, Mode, histories, history_report, run, table
from bench.harness import BenchError, machine
from bench.history import events_store, probe_case
from tests.conftest import PG_ADMIN_URL, STORES

TINY = Mode("smoke", seconds=1, rounds=1, sizes=(300, 600), questions=20)


@pytest.fixture(scope="module")
def wrk_installed() -> None:
    if shutil.which("wrk") is None:
        pytest.fail("the benchmark harness needs wrk on PATH (Debian/Ubuntu: apt-get install wrk)")


def _stored_events(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def test_a_generated_history_holds_exactly_the_requested_number_of_events(tmp_path):
    history = events_store(tmp_path / "events.db", 450)

    assert history.events == 450
    assert _stored_events(tmp_path / "events.db") == 450
    assert history.models >= 2
    assert history.probe_positions[1] - history.probe_positions[0] + 1 == len(probe_case().events)


def test_a_rebuild_applies_every_event_and_reports_memory(tmp_path):
    events_store(tmp_path / "events.db", 350)
    views = rebuild.scratch_copy(tmp_path / "events.db", tmp_path / "views.db")

    result = rebuild.measure(views, batch=100)

    assert result.events == 350
    assert result.ratio > 0
    assert result.rss_peak_mb >= result.rss_start_mb > 0


def test_a_rebuild_of_named_views_applies_every_event_to_those_views_only(tmp_path):
    events_store(tmp_path / "events.db", 350)
    views = rebuild.scratch_copy(tmp_path / "events.db", tmp_path / "views.db")

    result = rebuild.measure(views, batch=100, processes=1, views=[AccessView.name])

    assert result.events == 350
    with sqlite3.connect(views) as conn:
        tracked = dict(conn.execute("SELECT application_name, notification_id FROM tracking"))
    assert {name for name in tracked if name.startswith("view:")} == {AccessView.name}
    assert tracked[AccessView.name] == 350


def test_a_rebuild_refuses_a_view_it_does_not_know(tmp_path):
    events_store(tmp_path / "events.db", 300)
    views = rebuild.scratch_copy(tmp_path / "events.db", tmp_path / "views.db")

    with pytest.raises(BenchError, match="no such views"):
        rebuild.measure(views, batch=100, processes=1, views=["view:nowhere"])


def test_a_mode_without_the_one_process_diagnostic_skips_only_that_rebuild(tmp_path):
    lean = Mode("lean", seconds=1, rounds=1, sizes=(300,), questions=20, one_process=False)

    report = history_report(histories(tmp_path, lean), lean, {"rebuild"})

    assert "one_process_rebuild_vs_raw_decode" not in report.ratios
    assert "one_process_rebuild_events_per_s" not in report.figures
    assert report.ratios["rebuild_vs_raw_decode"] > 0
    assert report.ratios["access_view_alone_vs_raw_decode"] > 0
    assert not (tmp_path / "views-one.db").exists()
    assert QUICK.one_process is False  # so that a quick run stays under three minutes


def test_a_mode_without_diagnostics_measures_every_target_and_only_the_no_views_diagnostic(
    tmp_path, wrk_installed
):
    lean = Mode(
        "lean",
        seconds=1,
        rounds=1,
        sizes=(300,),
        questions=20,
        one_process=False,
        diagnostics=False,
    )

    report = history_report(histories(tmp_path, lean), lean, {"rebuild"})
    report.merge(access.run(tmp_path, lean.seconds, lean.rounds, lean.diagnostics))
    report.merge(commands.run(tmp_path, lean.seconds, lean.rounds, None, lean.diagnostics))

    assert set(report.ratios) == {
        "rebuild_vs_raw_decode",
        "access_check_vs_bare_endpoint",
        "http_command_vs_stack_limit",
        "http_command_vs_raw_save",
        "no_views_command_vs_stack_limit",
    }
    assert all(math.isfinite(v) and v > 0 for v in report.ratios.values())
    assert not (tmp_path / "views-access.db").exists()
    assert not (tmp_path / "commands-diagnosis.db").exists()
    assert report.figures["access_check_failures"] == 0
    assert report.figures["no_views_command_failures"] == 0
    assert QUICK.diagnostics is False  # so that a quick run stays under three minutes


@pytest.mark.skipif("postgres" not in STORES, reason="the PostgreSQL store is not under test")
def test_on_postgresql_the_server_without_views_runs_with_the_diagnostics_only(
    tmp_path, wrk_installed
):
    full = commands.postgres_report(PG_ADMIN_URL, tmp_path / "full", 1, 1, diagnostics=True)
    lean = commands.postgres_report(PG_ADMIN_URL, tmp_path / "lean", 1, 1, diagnostics=False)

    assert set(full.ratios) == {
        "http_command_vs_stack_limit@postgres",
        "http_command_vs_raw_save@postgres",
        "no_views_command_vs_stack_limit@postgres",
    }
    assert all(math.isfinite(v) and v > 0 for v in full.ratios.values())
    assert full.figures["no_views_command_failures@postgres"] == 0
    assert full.figures["http_command_failures@postgres"] == 0
    assert set(lean.ratios) == {
        "http_command_vs_stack_limit@postgres",
        "http_command_vs_raw_save@postgres",
    }
    assert set(full.targets) == set(lean.targets) == {"http_command_vs_stack_limit@postgres"}


def test_the_whole_harness_reports_positive_ratios_and_its_targets(tmp_path, wrk_installed):
    report = run(TINY, set(GROUPS), tmp_path)

    for name in (
        "http_command_vs_stack_limit",
        "http_command_vs_raw_save",
        "no_views_command_vs_stack_limit",
        "access_check_vs_bare_endpoint",
        "rebuild_vs_raw_decode",
        "one_process_rebuild_vs_raw_decode",
        "access_view_alone_vs_raw_decode",
        "asof_latency_large_vs_small",
        "storage_vs_raw_library",
    ):
        value = report.ratios[name]
        assert math.isfinite(value) and value > 0, name
    assert set(report.passed()) == set(report.targets)
    assert [row["events"] for row in report.figures["scaling"]] == list(TINY.sizes)
    assert report.figures["http_command_failures"] == 0
    assert report.figures["no_views_command_failures"] == 0
    assert report.figures["access_check_failures"] == 0
    assert "rebuild_vs_raw_decode" in table(report, {"mode": "smoke", "machine": machine()})
