"""The decision cache answers questions about now exactly as the views would, and only then."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from application.persistence.store import parse_url
from application.queries import Queries
from application.queries import cache as cache_module
from application.queries.cache import DecisionCache
from application.queries.views import AccessDecision, BasisItem
from application.system import System
from domain.errors import DomainError
from domain.scope import Segment
from tests.application.readside.test_access_property import (
    ASKED_CLASSES,
    ASKED_PLACES,
    START,
    Driver,
)
from tests.conftest import FakeClock

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)
MODEL = uuid.uuid4()


def _decision(at: datetime, position: int, valid_until: datetime | None) -> AccessDecision:
    segment = Segment(user_class="*", jurisdiction="*")
    return AccessDecision(
        model_id=MODEL,
        user_class="*",
        jurisdiction="*",
        representative=segment,
        at=at,
        allowed=True,
        legal_status="unrestricted",
        operational_status="available",
        compliance="compliant",
        since=at - timedelta(days=1),
        basis=[],
        valid_until=valid_until,
        position=position,
    )


KEY = (MODEL, "*", "*")


def test_a_stored_decision_answers_later_moments_before_it_stops_holding() -> None:
    cache = DecisionCache()
    stored = _decision(T0, 7, T0 + timedelta(hours=2))
    cache.put(KEY, stored)
    later = T0 + timedelta(hours=1)
    hit = cache.get(KEY, 7, later)
    assert hit is not None
    assert hit.at == later  # moved to the moment asked
    assert hit.model_dump(exclude={"at"}) == stored.model_dump(exclude={"at"})


def test_a_stored_decision_is_not_used_once_the_views_moved_on() -> None:
    cache = DecisionCache()
    cache.put(KEY, _decision(T0, 7, None))
    assert cache.get(KEY, 8, T0) is None
    assert cache.get(KEY, 6, T0) is None
    assert cache.get(KEY, 7, T0) is not None


def test_a_stored_decision_is_not_used_at_or_after_its_valid_until_nor_before_its_moment() -> None:
    cache = DecisionCache()
    until = T0 + timedelta(hours=2)
    cache.put(KEY, _decision(T0, 7, until))
    assert cache.get(KEY, 7, until) is None
    assert cache.get(KEY, 7, until + timedelta(days=1)) is None
    assert cache.get(KEY, 7, T0 - timedelta(microseconds=1)) is None  # a clock set back
    assert cache.get(KEY, 7, until - timedelta(microseconds=1)) is not None


def test_the_cache_is_bounded_and_drops_the_oldest_entry_first() -> None:
    cache = DecisionCache(maxsize=3)
    keys = [(MODEL, "*", place) for place in ("CN", "FR", "US", "DE")]
    for key in keys:
        cache.put(key, _decision(T0, 1, None))
    assert len(cache) == 3
    assert cache.get(keys[0], 1, T0) is None
    assert all(cache.get(key, 1, T0) is not None for key in keys[1:])


@given(
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)),
    until=st.one_of(st.none(), st.just(timedelta(days=500))),
)
def test_a_hit_as_json_is_the_moved_decisions_own_json(
    later: timedelta, until: timedelta | None
) -> None:
    cache = DecisionCache()
    cache.put(KEY, _decision(T0, 7, None if until is None else T0 + until))
    now = T0 + later

    text = cache.get_json(KEY, 7, now)

    hit = cache.get(KEY, 7, now)
    assert hit is not None and text == hit.model_dump_json()
    assert cache.get_json(KEY, 8, now) is None
    assert cache.get_json(KEY, 7, T0 - timedelta(microseconds=1)) is None


def test_a_reason_that_reads_like_the_gap_does_not_move_where_at_goes() -> None:
    cache = DecisionCache()
    reason = '"at":"0001-01-01T00:00:00Z", "at": "0001-01-01T00:00:00Z"'
    item = BasisItem(kind="provider_act", positions=[3], reason=reason)
    stored = _decision(T0, 7, None).model_copy(update={"basis": [item]})
    cache.put(KEY, stored)
    later = T0 + timedelta(hours=1, microseconds=5)

    text = cache.get_json(KEY, 7, later)

    assert text == stored.model_copy(update={"at": later}).model_dump_json()


def test_without_one_place_for_at_a_hit_is_answered_the_long_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache_module, "json_around_at", lambda decision: None)
    cache = DecisionCache()
    stored = _decision(T0, 7, None)
    cache.put(KEY, stored)
    later = T0 + timedelta(hours=1, microseconds=5)

    assert cache.get_json(KEY, 7, later) == cache.get_json(KEY, 7, later)
    assert (
        cache.get_json(KEY, 7, later) == stored.model_copy(update={"at": later}).model_dump_json()
    )


def _fresh(queries: Queries, model_id: uuid.UUID, segment: Segment) -> AccessDecision | str:
    try:
        return queries.access_decision(model_id, segment.user_class, segment.jurisdiction)
    except DomainError as e:
        return e.rule


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_cached_answers_about_now_equal_the_views_answers_as_time_and_the_log_move(
    data: st.DataObject,
) -> None:
    clock = FakeClock(START)
    system = System(parse_url(f"memory://c{uuid.uuid4().hex}"), clock=clock)
    try:
        driver = Driver(system, clock, data)
        cached = Queries.of(system)
        uncached = Queries(system.app.db, system.runner, clock)
        assert cached.decisions is system.decisions and uncached.decisions is None
        driver.register()
        for _ in range(data.draw(st.integers(5, 20))):
            driver.step()
            if data.draw(st.booleans()):
                system.runner.run_once()  # the views move by a batch, or not at all
            clock.advance(hours=data.draw(st.sampled_from([0, 1, 5, 30, 24 * 9])))
            for _ in range(3):
                model_id = data.draw(st.sampled_from(driver.models))
                segment = Segment(
                    user_class=data.draw(st.sampled_from(ASKED_CLASSES)),
                    jurisdiction=data.draw(st.sampled_from(ASKED_PLACES)),
                )
                fresh = _fresh(uncached, model_id, segment)
                assert _fresh(cached, model_id, segment) == fresh
                if isinstance(fresh, AccessDecision):  # and the hot read's JSON, hit or not
                    asked = (model_id, segment.user_class, segment.jurisdiction)
                    assert cached.access_decision_json(*asked) == fresh.model_dump_json()
        system.runner.catch_up()
        model_id, segment = driver.models[0], Segment(user_class="*", jurisdiction="*")
        first = _fresh(cached, model_id, segment)
        hits = system.decisions.hits
        assert _fresh(cached, model_id, segment) == first
        assert system.decisions.hits == hits + (1 if isinstance(first, AccessDecision) else 0)
    finally:
        system.close()
