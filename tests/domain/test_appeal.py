"""The Appeal aggregate on its own: filing, stay, negotiation, decision, deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from pydantic import ValidationError

from domain.actor import SCHEDULER, Actor, Role
from domain.appeal import Appeal, AppealStatus, Outcome, Side, Signatory, SubmissionKind
from domain.errors import (
    AppealClosedError,
    InvalidInputError,
    NotIssuerError,
    NotLatestProposalError,
    NotPartyError,
    OutcomeNeedsScopeError,
    OutcomeTakesNoScopeError,
    OwnProposalError,
    PermissionDeniedError,
    ProposalAlreadyAcceptedError,
    RuleViolationError,
    SettlementNeedsAgreementError,
)
from domain.scope import Scope

PROVIDER = Actor(org="anthropic", role=Role.PROVIDER)
REGULATOR = Actor(org="us-bis", role=Role.REGULATOR)
ADJUDICATOR = Actor(org="us-cit", role=Role.ADJUDICATOR)
STAKEHOLDER = Actor(org="adobe", role=Role.STAKEHOLDER)
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
NARROW = Scope(user_classes=("foreign_national",), jurisdictions=("CN", "RU"))


def file(stay_requested: bool = True) -> Appeal:
    return Appeal(
        directive_id=uuid4(),
        appellant="anthropic",
        regulator="us-bis",
        grounds="limited issue",
        requested_relief="rescind",
        stay_requested=stay_requested,
        respond_by=T0 + timedelta(days=30),
        actor=PROVIDER,
        effective_at=T0,
    )


def test_a_filed_appeal_is_open_with_no_proposals():
    appeal = file()
    assert appeal.status == AppealStatus.FILED
    assert appeal.is_open
    assert appeal.latest_open_proposal() is None


def test_the_parties_are_the_appellant_and_the_issuing_regulator():
    appeal = file()
    assert appeal.side_of(PROVIDER) == Side.PROVIDER
    assert appeal.side_of(REGULATOR) == Side.REGULATOR
    for outsider in (
        STAKEHOLDER,
        ADJUDICATOR,
        Actor(org="openai", role=Role.PROVIDER),
        Actor(org="us-bis", role=Role.STAKEHOLDER),
    ):
        with pytest.raises(NotPartyError):
            appeal.side_of(outsider)


def test_proposals_are_numbered_and_a_new_one_supersedes_the_unanswered_one():
    appeal = file()
    assert appeal.propose(PROVIDER, T0, "selective", NARROW) == 1
    assert appeal.status == AppealStatus.NEGOTIATING
    assert appeal.propose(REGULATOR, T0, "counter", None) == 2
    assert [p.status for p in appeal.proposals] == ["superseded", "open"]
    with pytest.raises(NotLatestProposalError):
        appeal.accept(REGULATOR, T0, 1)


def test_only_the_other_party_answers_a_proposal():
    appeal = file()
    appeal.propose(PROVIDER, T0, "selective", NARROW)
    with pytest.raises(OwnProposalError):
        appeal.accept(PROVIDER, T0, 1)
    appeal.accept(REGULATOR, T0, 1)
    assert appeal.accepted_proposal().scope == NARROW


def test_after_an_acceptance_no_new_proposal_is_made():
    appeal = file()
    appeal.propose(REGULATOR, T0, "terms", NARROW)
    appeal.accept(PROVIDER, T0, 1)
    with pytest.raises(ProposalAlreadyAcceptedError):
        appeal.propose(PROVIDER, T0, "more", None)


def test_a_rejected_proposal_leaves_nothing_to_answer():
    appeal = file()
    appeal.propose(PROVIDER, T0, "terms", NARROW)
    appeal.reject(REGULATOR, T0, 1, "no")
    assert appeal.latest_open_proposal() is None
    with pytest.raises(NotLatestProposalError):
        appeal.reject(REGULATOR, T0, 1, "again")


def test_a_stay_is_ruled_on_by_the_issuer_or_an_adjudicator_once():
    appeal = file()
    with pytest.raises(PermissionDeniedError):
        appeal.rule_on_stay(PROVIDER, T0, True, "mine")
    with pytest.raises(NotIssuerError):
        appeal.rule_on_stay(Actor(org="eu-ai-office", role=Role.REGULATOR), T0, True, "x")
    appeal.rule_on_stay(ADJUDICATOR, T0, True, "pending review")
    assert appeal.stay == "granted"


def test_the_decision_returns_the_scope_the_directive_takes():
    assert file().decide(REGULATOR, T0, Outcome.UPHELD, "r", None) is None
    assert file().decide(REGULATOR, T0, Outcome.MODIFIED, "r", NARROW) == NARROW
    appeal = file()
    appeal.propose(PROVIDER, T0, "terms", NARROW)
    appeal.accept(REGULATOR, T0, 1)
    assert appeal.decide(ADJUDICATOR, T0, Outcome.SETTLED, "agreed", None) == NARROW
    assert (appeal.status, appeal.outcome) == (AppealStatus.DECIDED, Outcome.SETTLED)


def test_the_decision_rules_on_scopes():
    with pytest.raises(OutcomeNeedsScopeError):
        file().decide(REGULATOR, T0, Outcome.MODIFIED, "r", None)
    with pytest.raises(SettlementNeedsAgreementError):
        file().decide(REGULATOR, T0, Outcome.SETTLED, "r", None)
    with pytest.raises(OutcomeTakesNoScopeError):
        file().decide(REGULATOR, T0, Outcome.OVERTURNED, "r", NARROW)


def test_a_decided_or_withdrawn_appeal_is_closed():
    decided, withdrawn = file(), file()
    decided.decide(REGULATOR, T0, Outcome.UPHELD, "r", None)
    withdrawn.withdraw(PROVIDER, T0, "enough")
    assert withdrawn.status == AppealStatus.WITHDRAWN
    for appeal in (decided, withdrawn):
        with pytest.raises(AppealClosedError):
            appeal.propose(PROVIDER, T0, "late", None)


def test_a_submission_hash_must_be_a_sha256_hex_digest():
    appeal = file()
    with pytest.raises(InvalidInputError):
        appeal.add_submission(STAKEHOLDER, T0, SubmissionKind.EVIDENCE, "t", "s", (), False, "ABC")
    appeal.add_submission(STAKEHOLDER, T0, SubmissionKind.EVIDENCE, "t", "s", (), False, "0" * 64)
    assert appeal.submissions == 1


def test_a_signatory_needs_a_name():
    with pytest.raises(ValidationError):
        Signatory(name="", affiliation="Adobe")
    assert Signatory(name="Jane Doe").affiliation == ""


def test_a_lapsed_deadline_is_recorded_once_at_the_deadline():
    appeal = file()
    with pytest.raises(RuleViolationError):
        appeal.record_deadline_passed(SCHEDULER, T0 + timedelta(days=29))
    appeal.record_deadline_passed(SCHEDULER, T0 + timedelta(days=31))
    lapsed = appeal.collect_events()[-1]
    assert (lapsed.kind, lapsed.effective_at) == ("respond_by", appeal.respond_by)
    with pytest.raises(RuleViolationError):
        appeal.record_deadline_passed(SCHEDULER, T0 + timedelta(days=32))
