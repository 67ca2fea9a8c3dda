"""Principals on events: one organisation slug in one role."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from domain.actor import SCHEDULER, Actor, Role


def test_an_actor_is_an_organisation_in_a_role():
    actor = Actor(org="us-bis", role=Role.REGULATOR)
    assert (actor.org, actor.role) == ("us-bis", Role.REGULATOR)
    assert str(actor) == "us-bis (regulator)"


def test_roles_are_read_from_their_names():
    assert Actor(org="anthropic", role="provider").role is Role.PROVIDER
    assert {r.value for r in Role} >= {
        "regulator",
        "provider",
        "stakeholder",
        "adjudicator",
        "auditor",
    }


def test_an_unknown_role_is_refused():
    with pytest.raises(ValidationError):
        Actor(org="anthropic", role="owner")


@pytest.mark.parametrize("org", ["us-bis", "anthropic", "a", "3m", "x" * 63])
def test_organisations_are_lowercase_slugs(org):
    assert Actor(org=org, role=Role.STAKEHOLDER).org == org


@pytest.mark.parametrize("org", ["US-BIS", "us_bis", "-bis", "", "x" * 64, "us bis", "bis/"])
def test_anything_else_is_not_an_organisation(org):
    with pytest.raises(ValidationError):
        Actor(org=org, role=Role.STAKEHOLDER)


def test_actors_are_immutable_values():
    actor = Actor(org="adobe", role=Role.STAKEHOLDER)
    assert actor == Actor(org="adobe", role="stakeholder")
    assert hash(actor) == hash(Actor(org="adobe", role="stakeholder"))
    with pytest.raises(ValidationError):
        actor.org = "nvidia"  # type: ignore[misc]


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError):
        Actor.model_validate({"org": "adobe", "role": "stakeholder", "name": "x"})


def test_the_scheduler_acts_as_the_system():
    assert SCHEDULER.role is Role.SYSTEM
