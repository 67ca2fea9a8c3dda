"""SPEC §3 Consequences: recorded with their cause in one transaction, carrying the appeal id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest

from application.service import Regledger
from domain.appeal import Outcome
from domain.directive import Directive, DirectiveState
from domain.errors import ConcurrencyError
from domain.scope import Scope
from tests.application.story import (
    ADJUDICATOR,
    COUNTRIES_OF_CONCERN,
    FOREIGN_NATIONALS,
    NOBODY,
    PROVIDER,
    REGULATOR,
    UNVERIFIED_IN_CN,
    Story,
    ctx,
    refused,
)


@dataclass(frozen=True)
class Logged:
    """One event as the log holds it."""

    position: int
    originator_id: UUID
    name: str
    event: Any


def logged_since(app: Regledger, position: int) -> list[Logged]:
    """The events recorded after a log position, in log order."""
    notifications = app.recorder.select_notifications(position + 1, limit=100)
    return [
        Logged(n.id, n.originator_id, n.topic.rpartition(":")[2], app.mapper.to_domain_event(n))
        for n in notifications
    ]


def assert_one_transaction(logged: list[Logged], last_position: int) -> None:
    """The events sit next to each other in the log, ending at the command's position."""
    positions = [e.position for e in logged]
    assert positions == list(range(positions[0], positions[0] + len(positions)))
    assert positions[-1] == last_position


@pytest.fixture
def filed(app: Regledger) -> Story:
    """The directive is in force, the provider shut both models down and appealed for a stay."""
    story = Story(app).register_models().issue_directive().shut_down_everywhere()
    return story.file_appeal(stay_requested=True)


@pytest.fixture
def stayed(filed: Story) -> Story:
    """The regulator granted the stay."""
    filed.rule_on_stay(granted=True)
    return filed


def directive_state(app: Regledger, story: Story) -> DirectiveState:
    return app.get_directive(story.directive_id).state(app.clock())


# --- the stay ----------------------------------------------------------------------------------


def test_granting_a_stay_stays_the_directive_in_the_same_transaction(app, filed):
    before = app.max_position()
    result = filed.rule_on_stay(granted=True)
    logged = logged_since(app, before)
    assert [(e.originator_id, e.name) for e in logged] == [
        (filed.appeal_id, "StayGranted"),
        (filed.directive_id, "Stayed"),
    ]
    assert logged[1].event.appeal_id == filed.appeal_id
    assert_one_transaction(logged, result.position)
    assert directive_state(app, filed) == DirectiveState.STAYED


def test_an_adjudicators_stay_stays_the_directive_too(app, filed):
    filed.rule_on_stay(granted=True, by=ADJUDICATOR)
    assert directive_state(app, filed) == DirectiveState.STAYED


def test_denying_a_stay_leaves_the_directive_in_force(app, filed):
    before = app.max_position()
    filed.rule_on_stay(granted=False)
    assert [e.name for e in logged_since(app, before)] == ["StayDenied"]
    assert directive_state(app, filed) == DirectiveState.IN_FORCE


def test_a_stay_whose_directive_cannot_be_saved_is_not_recorded_either(app, filed, monkeypatch):
    stale = app.get_directive(filed.directive_id)
    app.amend_directive(ctx(REGULATOR), filed.directive_id, "narrower", COUNTRIES_OF_CONCERN)
    load = app._load

    def load_stale_directive(cls: type, aggregate_id: UUID, what: str) -> Any:
        return stale if cls is Directive else load(cls, aggregate_id, what)

    monkeypatch.setattr(app, "_load", load_stale_directive)
    appeal_version = app.get_appeal(filed.appeal_id).version
    with refused(app, ConcurrencyError, "concurrent-write"):
        filed.rule_on_stay(granted=True)
    assert app.get_appeal(filed.appeal_id).version == appeal_version


# --- decisions ---------------------------------------------------------------------------------


def test_overturning_rescinds_the_directive_in_the_same_transaction(app, stayed):
    before = app.max_position()
    result = stayed.decide(Outcome.OVERTURNED)
    logged = logged_since(app, before)
    assert [(e.originator_id, e.name) for e in logged] == [
        (stayed.appeal_id, "Decided"),
        (stayed.directive_id, "Rescinded"),
        (stayed.directive_id, "AppealClosed"),
    ]
    assert logged[1].event.appeal_id == stayed.appeal_id
    assert logged[2].event.appeal_id == stayed.appeal_id
    assert logged[2].event.outcome == "overturned"
    assert_one_transaction(logged, result.position)
    assert directive_state(app, stayed) == DirectiveState.RESCINDED


def test_a_modified_decision_amends_the_directive_to_the_new_scope(app, filed):
    before = app.max_position()
    result = filed.decide(Outcome.MODIFIED, new_scope=UNVERIFIED_IN_CN)
    logged = logged_since(app, before)
    assert [e.name for e in logged] == ["Decided", "Amended", "AppealClosed"]
    amended = logged[1].event
    assert (amended.scope, amended.appeal_id) == (UNVERIFIED_IN_CN, filed.appeal_id)
    assert_one_transaction(logged, result.position)
    directive = app.get_directive(filed.directive_id)
    assert directive.scope == UNVERIFIED_IN_CN
    assert directive.state(app.clock()) == DirectiveState.IN_FORCE


def test_a_modified_decision_on_a_stayed_directive_lifts_the_stay_and_amends(app, stayed):
    before = app.max_position()
    stayed.decide(Outcome.MODIFIED, new_scope=UNVERIFIED_IN_CN)
    logged = logged_since(app, before)
    assert [e.name for e in logged] == ["Decided", "StayLifted", "Amended", "AppealClosed"]
    assert {e.event.appeal_id for e in logged[1:]} == {stayed.appeal_id}
    assert directive_state(app, stayed) == DirectiveState.IN_FORCE


def test_a_modified_decision_to_an_empty_scope_rescinds_the_directive(app, stayed):
    before = app.max_position()
    result = stayed.decide(Outcome.MODIFIED, new_scope=NOBODY)
    logged = logged_since(app, before)
    assert [e.name for e in logged] == ["Decided", "Rescinded", "AppealClosed"]
    assert logged[1].event.appeal_id == stayed.appeal_id
    assert_one_transaction(logged, result.position)
    assert directive_state(app, stayed) == DirectiveState.RESCINDED


def test_a_settlement_amends_the_directive_to_the_accepted_proposals_scope(app, stayed):
    stayed.reject(stayed.propose(by=PROVIDER, scope=UNVERIFIED_IN_CN), by=REGULATOR)
    stayed.accept(stayed.propose(by=REGULATOR, scope=COUNTRIES_OF_CONCERN), by=PROVIDER)
    before = app.max_position()
    result = stayed.decide(Outcome.SETTLED)
    logged = logged_since(app, before)
    assert [e.name for e in logged] == ["Decided", "StayLifted", "Amended", "AppealClosed"]
    assert logged[0].event.new_scope == COUNTRIES_OF_CONCERN
    assert (logged[2].event.scope, logged[2].event.appeal_id) == (
        COUNTRIES_OF_CONCERN,
        stayed.appeal_id,
    )
    assert_one_transaction(logged, result.position)
    assert app.get_directive(stayed.directive_id).scope == COUNTRIES_OF_CONCERN


def test_a_settlement_naming_the_agreed_scope_is_accepted(app, filed):
    filed.accept(filed.propose(by=PROVIDER, scope=COUNTRIES_OF_CONCERN), by=REGULATOR)
    filed.decide(Outcome.SETTLED, new_scope=COUNTRIES_OF_CONCERN)
    assert app.get_directive(filed.directive_id).scope == COUNTRIES_OF_CONCERN


def test_a_settlement_on_an_empty_agreed_scope_rescinds_the_directive(app, filed):
    filed.accept(filed.propose(by=REGULATOR, scope=Scope.nobody()), by=PROVIDER)
    before = app.max_position()
    filed.decide(Outcome.SETTLED)
    assert [e.name for e in logged_since(app, before)] == ["Decided", "Rescinded", "AppealClosed"]


def test_upholding_lifts_the_stay_in_the_same_transaction(app, stayed):
    before = app.max_position()
    result = stayed.decide(Outcome.UPHELD)
    logged = logged_since(app, before)
    assert [(e.originator_id, e.name) for e in logged] == [
        (stayed.appeal_id, "Decided"),
        (stayed.directive_id, "StayLifted"),
        (stayed.directive_id, "AppealClosed"),
    ]
    assert logged[1].event.appeal_id == stayed.appeal_id
    assert_one_transaction(logged, result.position)
    directive = app.get_directive(stayed.directive_id)
    assert directive.state(app.clock()) == DirectiveState.IN_FORCE
    assert directive.scope == FOREIGN_NATIONALS


def test_upholding_without_a_stay_only_closes_the_appeal_on_the_directive(app, filed):
    before = app.max_position()
    filed.decide(Outcome.UPHELD)
    assert [e.name for e in logged_since(app, before)] == ["Decided", "AppealClosed"]


def test_withdrawing_lifts_the_stay_in_the_same_transaction(app, stayed):
    before = app.max_position()
    result = stayed.withdraw()
    logged = logged_since(app, before)
    assert [(e.originator_id, e.name) for e in logged] == [
        (stayed.appeal_id, "Withdrawn"),
        (stayed.directive_id, "StayLifted"),
        (stayed.directive_id, "AppealClosed"),
    ]
    assert logged[1].event.appeal_id == stayed.appeal_id
    assert logged[2].event.outcome == "withdrawn"
    assert_one_transaction(logged, result.position)
    assert directive_state(app, stayed) == DirectiveState.IN_FORCE


def test_a_decision_on_a_directive_rescinded_meanwhile_only_closes_the_appeal(app, filed):
    app.rescind_directive(ctx(REGULATOR), filed.directive_id, "Concerns addressed")
    before = app.max_position()
    filed.decide(Outcome.OVERTURNED)
    assert [e.name for e in logged_since(app, before)] == ["Decided", "AppealClosed"]


# --- the provider acts for itself --------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "new_scope"),
    [
        (Outcome.OVERTURNED, None),
        (Outcome.MODIFIED, UNVERIFIED_IN_CN),
        (Outcome.UPHELD, None),
    ],
)
def test_a_decision_records_nothing_on_the_models(app, stayed, outcome, new_scope):
    versions = [app.get_model(m).version for m in stayed.models]
    before = app.max_position()
    stayed.decide(outcome, new_scope=new_scope)
    assert {e.originator_id for e in logged_since(app, before)} == {
        stayed.appeal_id,
        stayed.directive_id,
    }
    assert [app.get_model(m).version for m in stayed.models] == versions


def test_a_granted_stay_records_nothing_on_the_models(app, filed):
    versions = [app.get_model(m).version for m in filed.models]
    filed.rule_on_stay(granted=True)
    assert [app.get_model(m).version for m in filed.models] == versions


def test_the_provider_restores_access_itself_citing_the_appeal(app, stayed):
    stayed.decide(Outcome.OVERTURNED)
    result = app.restore_model(
        ctx(PROVIDER),
        stayed.fable,
        Scope.everyone(),
        "Directive overturned",
        stayed.directive,
        stayed.appeal,
    )
    restored = app.aggregate_events(stayed.fable)[-1]
    assert (restored.directive_id, restored.appeal_id) == (stayed.directive_id, stayed.appeal_id)
    assert result.position == app.max_position()
