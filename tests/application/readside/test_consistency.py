"""Read-your-writes, and views that survive a restart mid-stream without double-applying."""

from __future__ import annotations

import pytest

from application.persistence.store import parse_url
from application.projections.access import AccessView
from application.projections.base import View
from application.projections.catalog import CatalogView
from application.projections.history import HistoryView
from application.projections.registry import default_views
from application.projections.runner import ProjectionRunner, ProjectionTimeoutError
from application.queries import Queries
from application.service import Regledger
from application.system import System
from tests.application.readside.conftest import ANTHROPIC, as_
from tests.application.readside.test_story import tell

READ_SIDE = (HistoryView.name, CatalogView.name, AccessView.name)


def test_a_query_with_min_position_sees_the_callers_write(store_url, clock):
    system = System(parse_url(store_url), clock=clock, follow=True)
    try:
        model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m")
        decision = Queries.of(system).access_decision(
            model.id, "domestic", "US", min_position=model.position
        )
        assert decision.position >= model.position
    finally:
        system.close()


def test_a_query_waiting_for_a_position_never_reached_times_out(system):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m")
    queries = Queries.of(system, wait_timeout=0.05)

    with pytest.raises(ProjectionTimeoutError):
        queries.access_decision(model.id, "domestic", "US", min_position=model.position + 100)


def _read_side(views: list[View]) -> list[View]:
    return [v for v in views if v.name in READ_SIDE]


def _digests(db, views) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {v.name: v.digest(db) for v in views}


def test_views_resumed_after_a_restart_equal_a_fresh_rebuild(store_url, clock, tmp_path):
    if store_url.startswith("memory://"):
        pytest.skip("the in-memory store does not outlive its process")
    story = System(parse_url(store_url), clock=clock)
    tell(story, clock, catch_up=False)
    story.runner.batch_size = 3
    story.runner.run_once()
    story.runner.run_once()
    story.close()

    restarted = System(parse_url(store_url), clock=clock)
    restarted.runner.catch_up()
    live = _digests(restarted.app.db, _read_side(restarted.views))

    scratch = Regledger(parse_url(f"sqlite:///{tmp_path}/scratch.db"), clock=clock)
    views = _read_side(default_views())
    rebuild = ProjectionRunner(
        restarted.app.recorder,
        restarted.app.mapper,
        scratch.db,
        scratch.factory.tracking_recorder(),
        views,
        batch_size=1000,
    )
    rebuild.catch_up()
    try:
        assert _digests(scratch.db, views) == live
        assert restarted.runner.position() == restarted.app.max_position()
    finally:
        scratch.close()
        restarted.close()
