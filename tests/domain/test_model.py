"""The Model aggregate on its own: the provider's acts on an effective timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.actor import Actor, Role
from domain.errors import (
    InvalidInputError,
    ModelRetiredError,
    NotSuspendedError,
    NotYetRegisteredError,
)
from domain.model import Model
from domain.scope import Scope, Segment

PROVIDER = Actor(org="anthropic", role=Role.PROVIDER)
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
EVERYONE = Scope.everyone()
FOREIGN = Scope(user_classes=("foreign_national",), jurisdictions=("*",))
FOREIGN_IN_FR = Segment(user_class="foreign_national", jurisdiction="FR")
DOMESTIC_IN_US = Segment(user_class="domestic", jurisdiction="US")


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


@pytest.fixture
def model() -> Model:
    return Model(
        provider="anthropic",
        name="Fable 5",
        description="Frontier model",
        actor=PROVIDER,
        effective_at=T0,
    )


def test_a_registered_model_is_available_everywhere(model):
    assert (model.provider, model.name, model.registered_at) == ("anthropic", "Fable 5", T0)
    assert not model.retired
    assert not model.operational_suspended(DOMESTIC_IN_US, days(10))
    assert not model.suspended_within(EVERYONE, days(10))


def test_the_model_id_is_derived_from_provider_and_name_ignoring_case():
    assert Model.create_id("anthropic", "Fable 5") == Model.create_id("anthropic", "fable 5 ")
    assert Model.create_id("anthropic", "Fable 5") != Model.create_id("openai", "Fable 5")


def test_a_suspension_applies_from_its_effective_time(model):
    model.suspend(PROVIDER, days(2), FOREIGN, "comply")
    assert not model.operational_suspended(FOREIGN_IN_FR, days(1))
    assert model.operational_suspended(FOREIGN_IN_FR, days(2))
    assert not model.operational_suspended(DOMESTIC_IN_US, days(3))


def test_a_later_restoration_overrides_the_suspension_where_it_applies(model):
    model.suspend(PROVIDER, days(1), EVERYONE, "blanket shutdown")
    model.restore(PROVIDER, days(5), Scope(user_classes=("domestic",), jurisdictions=("*",)), "ok")
    assert model.operational_suspended(DOMESTIC_IN_US, days(4))
    assert not model.operational_suspended(DOMESTIC_IN_US, days(5))
    assert model.operational_suspended(FOREIGN_IN_FR, days(5))


def test_a_back_dated_act_takes_its_place_on_the_effective_timeline(model):
    model.suspend(PROVIDER, days(5), EVERYONE, "recorded first, effective later")
    model.restore(PROVIDER, days(6), EVERYONE, "back")
    model.suspend(PROVIDER, days(2), FOREIGN, "recorded later, effective earlier")
    assert model.operational_suspended(FOREIGN_IN_FR, days(3))
    assert not model.operational_suspended(DOMESTIC_IN_US, days(3))
    assert not model.operational_suspended(FOREIGN_IN_FR, days(6))


def test_acts_with_the_same_effective_time_apply_in_recorded_order(model):
    model.suspend(PROVIDER, days(1), EVERYONE, "off")
    model.restore(PROVIDER, days(1), EVERYONE, "on again at the same instant")
    assert not model.operational_suspended(DOMESTIC_IN_US, days(1))


def test_restoring_requires_something_suspended_within_the_scope(model):
    model.suspend(PROVIDER, days(1), FOREIGN, "comply")
    domestic = Scope(user_classes=("domestic",), jurisdictions=("US",))
    with pytest.raises(NotSuspendedError):
        model.restore(PROVIDER, days(2), domestic, "not suspended")
    model.restore(PROVIDER, days(2), EVERYONE, "partly suspended is enough")
    assert model.version == 3


def test_an_act_needs_a_non_empty_scope(model):
    with pytest.raises(InvalidInputError):
        model.suspend(PROVIDER, days(1), Scope.nobody(), "nobody")


def test_an_act_cannot_take_effect_before_registration(model):
    with pytest.raises(NotYetRegisteredError):
        model.suspend(PROVIDER, days(-1), EVERYONE, "too early")


def test_a_retired_model_refuses_every_act(model):
    model.suspend(PROVIDER, days(1), EVERYONE, "off")
    model.retire(PROVIDER, days(2), "end of life")
    assert model.retired
    for act in (
        lambda: model.suspend(PROVIDER, days(3), FOREIGN, "again"),
        lambda: model.restore(PROVIDER, days(3), EVERYONE, "back"),
        lambda: model.retire(PROVIDER, days(3), "twice"),
    ):
        with pytest.raises(ModelRetiredError):
            act()


def test_the_events_carry_actor_effective_time_and_links(model):
    from uuid import uuid4

    directive_id, appeal_id = uuid4(), uuid4()
    model.suspend(PROVIDER, days(1), EVERYONE, "comply", directive_id)
    model.restore(PROVIDER, days(2), EVERYONE, "overturned", directive_id, appeal_id)
    registered, suspended, restored = model.collect_events()
    assert isinstance(registered, Model.Registered)
    assert (suspended.actor, suspended.effective_at, suspended.directive_id) == (
        PROVIDER,
        days(1),
        directive_id,
    )
    assert suspended.appeal_id is None
    assert (restored.scope, restored.appeal_id) == (EVERYONE, appeal_id)
