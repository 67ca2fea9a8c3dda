"""SPEC §3 Appeal rules, through the application, on every store: refused, nothing recorded."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from application.service import Regledger
from domain.appeal import AppealStatus, Outcome, SubmissionKind
from domain.errors import (
    AppealAlreadyOpenError,
    AppealClosedError,
    DirectiveClosedError,
    InvalidInputError,
    NotAddresseeError,
    NotAppellantError,
    NotFoundError,
    NotIssuerError,
    NotLatestProposalError,
    NotPartyError,
    OutcomeNeedsScopeError,
    OutcomeTakesNoScopeError,
    OwnProposalError,
    PermissionDeniedError,
    ProposalAlreadyAcceptedError,
    SettlementNeedsAgreementError,
    StaleVersionError,
    StayAlreadyDecidedError,
    StayNotRequestedError,
)
from tests.application.story import (
    ADJUDICATOR,
    AUDITOR,
    COUNTRIES_OF_CONCERN,
    OTHER_PROVIDER,
    OTHER_REGULATOR,
    PROVIDER,
    REGULATOR,
    STAKEHOLDER,
    UNVERIFIED_IN_CN,
    Story,
    ctx,
    refused,
)


@pytest.fixture
def issued(app: Regledger) -> Story:
    """Both models are registered and the directive is in force."""
    return Story(app).register_models().issue_directive()


@pytest.fixture
def filed(issued: Story) -> Story:
    """Anthropic has appealed and asked for a stay."""
    return issued.file_appeal(stay_requested=True)


@pytest.fixture
def negotiating(filed: Story) -> Story:
    """Anthropic proposed selective restriction (proposal 1)."""
    filed.propose(by=PROVIDER)
    return filed


# --- filing ------------------------------------------------------------------------------------


def test_a_provider_not_addressed_by_the_directive_cannot_appeal_it(app, issued):
    with refused(app, NotAddresseeError, "not-addressee"):
        app.file_appeal(ctx(OTHER_PROVIDER), issued.directive_id, "g", "r", False)


@pytest.mark.parametrize("actor", [REGULATOR, STAKEHOLDER, ADJUDICATOR, AUDITOR])
def test_only_a_provider_can_file_an_appeal(app, issued, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.file_appeal(ctx(actor), issued.directive_id, "g", "r", False)


def test_a_second_appeal_while_one_is_open_is_refused(app, filed):
    with refused(app, AppealAlreadyOpenError, "one-open-appeal-per-directive"):
        filed.file_appeal(stay_requested=False)


def test_a_new_appeal_may_follow_a_withdrawn_one(app, filed):
    first = filed.appeal_id
    filed.withdraw()
    filed.file_appeal(stay_requested=False)
    assert filed.appeal_id != first


def test_a_pending_directive_can_be_appealed(app, clock):
    story = Story(app).register_models()
    story.issue_directive(effective_at=clock.now + timedelta(days=7))
    story.file_appeal()
    assert app.get_appeal(story.appeal_id).status == AppealStatus.FILED


def test_a_directive_rescinded_after_the_filing_cannot_be_appealed_again(app, filed):
    filed.withdraw()
    app.rescind_directive(ctx(REGULATOR), filed.directive_id, "Concerns addressed")
    with refused(app, DirectiveClosedError, "directive-closed"):
        filed.file_appeal()


def test_appealing_an_unknown_directive_is_refused_as_not_found(app, issued):
    with refused(app, NotFoundError, "not-found"):
        app.file_appeal(ctx(PROVIDER), uuid4(), "g", "r", False)


def test_a_filing_with_a_stale_directive_version_is_refused(app, issued):
    with refused(app, StaleVersionError, "stale-version"):
        app.file_appeal(ctx(PROVIDER, expected_version=7), issued.directive_id, "g", "r", True)


# --- the stay ----------------------------------------------------------------------------------


def test_a_stay_cannot_be_granted_when_none_was_requested(app, issued):
    issued.file_appeal(stay_requested=False)
    with refused(app, StayNotRequestedError, "stay-not-requested"):
        issued.rule_on_stay(granted=True)


def test_a_stay_cannot_be_denied_when_none_was_requested(app, issued):
    issued.file_appeal(stay_requested=False)
    with refused(app, StayNotRequestedError, "stay-not-requested"):
        issued.rule_on_stay(granted=False)


def test_a_stay_request_is_answered_only_once(app, filed):
    filed.rule_on_stay(granted=False)
    with refused(app, StayAlreadyDecidedError, "stay-already-decided"):
        filed.rule_on_stay(granted=True, by=ADJUDICATOR)


def test_a_granted_stay_cannot_be_granted_twice(app, filed):
    filed.rule_on_stay(granted=True)
    with refused(app, StayAlreadyDecidedError, "stay-already-decided"):
        filed.rule_on_stay(granted=True)


@pytest.mark.parametrize("actor", [PROVIDER, STAKEHOLDER, AUDITOR])
def test_only_a_regulator_or_adjudicator_can_rule_on_a_stay(app, filed, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        filed.rule_on_stay(granted=True, by=actor)


def test_another_regulator_cannot_rule_on_the_stay(app, filed):
    with refused(app, NotIssuerError, "not-issuer"):
        filed.rule_on_stay(granted=True, by=OTHER_REGULATOR)


def test_an_adjudicator_can_grant_the_stay(app, filed):
    filed.rule_on_stay(granted=True, by=ADJUDICATOR)
    assert app.get_appeal(filed.appeal_id).stay == "granted"


def test_a_stay_cannot_be_granted_once_the_directive_expired(app, clock):
    story = Story(app).register_models()
    story.issue_directive(expires_at=clock.now + timedelta(days=10)).file_appeal()
    clock.advance(days=11)
    with refused(app, DirectiveClosedError, "directive-closed"):
        story.rule_on_stay(granted=True)


# --- negotiation -------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [STAKEHOLDER, OTHER_PROVIDER, OTHER_REGULATOR, ADJUDICATOR])
def test_a_non_party_cannot_make_a_proposal(app, filed, actor):
    with refused(app, NotPartyError, "not-a-party"):
        filed.propose(by=actor)


@pytest.mark.parametrize("actor", [STAKEHOLDER, OTHER_PROVIDER, OTHER_REGULATOR, ADJUDICATOR])
def test_a_non_party_cannot_accept_a_proposal(app, negotiating, actor):
    with refused(app, NotPartyError, "not-a-party"):
        negotiating.accept(1, by=actor)


def test_a_party_cannot_accept_its_own_proposal(app, negotiating):
    with refused(app, OwnProposalError, "answer-by-other-party"):
        negotiating.accept(1, by=PROVIDER)


def test_a_party_cannot_reject_its_own_proposal(app, negotiating):
    with refused(app, OwnProposalError, "answer-by-other-party"):
        negotiating.reject(1, by=PROVIDER)


def test_a_superseded_proposal_cannot_be_accepted(app, negotiating):
    assert negotiating.propose(by=REGULATOR) == 2
    with refused(app, NotLatestProposalError, "latest-open-proposal-only"):
        negotiating.accept(1, by=REGULATOR)


def test_a_rejected_proposal_cannot_then_be_accepted(app, negotiating):
    negotiating.reject(1, by=REGULATOR)
    with refused(app, NotLatestProposalError, "latest-open-proposal-only"):
        negotiating.accept(1, by=REGULATOR)


def test_an_accepted_proposal_cannot_be_accepted_again(app, negotiating):
    negotiating.accept(1, by=REGULATOR)
    with refused(app, NotLatestProposalError, "latest-open-proposal-only"):
        negotiating.accept(1, by=REGULATOR)


def test_a_proposal_that_does_not_exist_cannot_be_answered(app, negotiating):
    with refused(app, NotLatestProposalError, "latest-open-proposal-only"):
        negotiating.reject(2, by=REGULATOR)


def test_no_proposal_can_be_made_after_one_was_accepted(app, negotiating):
    negotiating.accept(1, by=REGULATOR)
    with refused(app, ProposalAlreadyAcceptedError, "proposal-already-accepted"):
        negotiating.propose(by=REGULATOR)


def test_the_latest_proposal_of_the_other_party_can_be_accepted(app, negotiating):
    negotiating.reject(1, by=REGULATOR)
    assert negotiating.propose(by=REGULATOR) == 2
    negotiating.accept(2, by=PROVIDER)
    assert app.get_appeal(negotiating.appeal_id).accepted_proposal().number == 2


# --- the decision ------------------------------------------------------------------------------


def test_a_modified_outcome_needs_a_new_scope(app, filed):
    with refused(app, OutcomeNeedsScopeError, "modified-needs-new-scope"):
        filed.decide(Outcome.MODIFIED, new_scope=None)


def test_a_settlement_needs_an_accepted_proposal(app, negotiating):
    with refused(app, SettlementNeedsAgreementError, "settled-needs-accepted-proposal"):
        negotiating.decide(Outcome.SETTLED)


def test_a_settlement_after_a_rejected_proposal_is_refused(app, negotiating):
    negotiating.reject(1, by=REGULATOR)
    with refused(app, SettlementNeedsAgreementError, "settled-needs-accepted-proposal"):
        negotiating.decide(Outcome.SETTLED)


@pytest.mark.parametrize("outcome", [Outcome.UPHELD, Outcome.OVERTURNED])
def test_only_a_modified_outcome_names_a_new_scope(app, filed, outcome):
    with refused(app, OutcomeTakesNoScopeError, "new-scope-only-when-modified"):
        filed.decide(outcome, new_scope=COUNTRIES_OF_CONCERN)


def test_a_settlement_cannot_name_a_scope_other_than_the_agreed_one(app, negotiating):
    negotiating.accept(1, by=REGULATOR)
    with refused(app, OutcomeTakesNoScopeError, "new-scope-only-when-modified"):
        negotiating.decide(Outcome.SETTLED, new_scope=UNVERIFIED_IN_CN)


@pytest.mark.parametrize("actor", [PROVIDER, STAKEHOLDER, AUDITOR])
def test_only_the_regulator_or_an_adjudicator_can_decide(app, filed, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        filed.decide(Outcome.OVERTURNED, by=actor)


def test_another_regulator_cannot_decide_the_appeal(app, filed):
    with refused(app, NotIssuerError, "not-issuer"):
        filed.decide(Outcome.UPHELD, by=OTHER_REGULATOR)


def test_an_adjudicator_can_decide_the_appeal(app, filed):
    filed.decide(Outcome.UPHELD, by=ADJUDICATOR)
    assert app.get_appeal(filed.appeal_id).status == AppealStatus.DECIDED


# --- withdrawal --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [REGULATOR, OTHER_PROVIDER, STAKEHOLDER, ADJUDICATOR])
def test_only_the_appellant_can_withdraw(app, filed, actor):
    with refused(app, NotAppellantError, "not-appellant"):
        filed.withdraw(by=actor)


# --- closed appeals ----------------------------------------------------------------------------


@pytest.fixture(params=["decided", "withdrawn"])
def closed(request: pytest.FixtureRequest, negotiating: Story) -> Story:
    """The appeal was decided (upheld) or withdrawn."""
    if request.param == "decided":
        negotiating.decide(Outcome.UPHELD)
    else:
        negotiating.withdraw()
    return negotiating


def test_a_closed_appeal_takes_no_submission(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.add_amicus_letter()


def test_a_closed_appeal_takes_no_stay_ruling(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.rule_on_stay(granted=True)


def test_a_closed_appeal_takes_no_proposal(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.propose(by=REGULATOR)


def test_a_closed_appeal_takes_no_acceptance(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.accept(1, by=REGULATOR)


def test_a_closed_appeal_takes_no_rejection(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.reject(1, by=REGULATOR)


def test_a_closed_appeal_takes_no_second_decision(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.decide(Outcome.OVERTURNED)


def test_a_closed_appeal_cannot_be_withdrawn(app, closed):
    with refused(app, AppealClosedError, "appeal-closed"):
        closed.withdraw()


# --- preconditions -----------------------------------------------------------------------------


def test_an_appeal_command_with_a_stale_expected_version_is_refused(app, negotiating):
    with refused(app, StaleVersionError, "stale-version"):
        app.accept_proposal(ctx(REGULATOR, expected_version=1), negotiating.appeal_id, 1)


def test_an_unknown_appeal_is_refused_as_not_found(app, filed):
    with refused(app, NotFoundError, "not-found"):
        app.add_submission(
            ctx(STAKEHOLDER), uuid4(), SubmissionKind.EVIDENCE, "t", "s", [], confidential=False
        )


def test_a_malformed_document_hash_is_refused(app, filed):
    with refused(app, InvalidInputError, "invalid-input"):
        app.add_submission(
            ctx(PROVIDER),
            filed.appeal_id,
            SubmissionKind.EVIDENCE,
            "Red-team report",
            "Summary",
            [],
            confidential=True,
            document_sha256="not-a-hash",
        )


def test_any_principal_may_add_a_submission_to_an_open_appeal(app, filed):
    result = filed.add_amicus_letter(signers=120)
    assert result.extra["number"] == 1
