"""Replay rebuilds every view from the event log alone and reproduces the live digests."""

from __future__ import annotations

import pytest

from application.audit.errors import ScratchStoreError
from application.audit.replay import replay
from application.projections.history import HistoryView
from tests.application.story import PROVIDER, ctx


def test_replaying_the_story_reproduces_every_live_view(system, story):
    report = replay(system)
    assert report.ok
    assert report.first_difference is None
    live = {v.name: v.digest(system.app.db) for v in system.views}
    assert {d.name: d.replayed for d in report.views} == live
    assert {d.position for d in report.views} == {system.app.max_position()}


def test_a_view_row_changed_in_the_live_store_is_named_by_replay(system, story):
    system.app.db.execute("UPDATE regledger_history_v2 SET type='Forged' WHERE position=3")
    report = replay(system)
    assert not report.ok
    assert [d.name for d in report.views if not d.matches] == [HistoryView.name]
    assert report.first_difference is not None
    assert f"{HistoryView.name}: row 2 differs" in report.first_difference


def test_a_lagging_view_is_compared_at_the_position_it_has_reached(system, story):
    reached = system.runner.position()
    system.app.register_model(ctx(PROVIDER), "Haiku 5", "Small model")
    report = replay(system)
    assert report.ok
    assert {d.position for d in report.views} == {reached}


def test_replay_reports_progress_up_to_the_number_of_events(system, story):
    seen: list[tuple[str, int, int]] = []
    replay(system, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert seen[-1] == ("replay", system.app.max_position(), system.app.max_position())


def test_replay_into_a_scratch_store_that_is_not_empty_is_refused(system, story, tmp_path):
    scratch = f"sqlite:///{tmp_path}/scratch.db"
    assert replay(system, scratch).ok
    with pytest.raises(ScratchStoreError):
        replay(system, scratch)


def test_replaying_an_empty_log_matches_empty_views(system):
    assert replay(system).ok
