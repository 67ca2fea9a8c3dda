"""The composition: a following System keeps its views current and runs the scheduler."""

from __future__ import annotations

import time

from application.persistence.store import parse_url
from application.system import System
from tests.application.story import Story


def test_a_scheduling_system_records_an_expiry_in_the_background(store_url, clock):
    system = System(parse_url(store_url), clock=clock, follow=True)
    try:
        story = Story(system.app).register_models()
        story.issue_directive(expires_at=clock.now.replace(day=20))
        clock.advance(days=30)

        system.schedule(every=0.05)
        deadline = time.monotonic() + 10
        names: list[str] = []
        while time.monotonic() < deadline and "Expired" not in names:
            time.sleep(0.05)
            names = [type(e).__name__ for e in system.app.aggregate_events(story.directive_id)]

        assert names.count("Expired") == 1
    finally:
        system.close()
