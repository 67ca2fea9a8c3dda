"""SPEC §3 Directive rules, through the application, on every store: refused, nothing recorded."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from application.service import Regledger
from domain.directive import DirectiveState
from domain.errors import (
    DirectiveClosedError,
    DuplicateReferenceError,
    EmptyAmendmentError,
    ExpiryBeforeEffectError,
    InvalidInputError,
    ModelNotOfProviderError,
    NotFoundError,
    NotIssuerError,
    PermissionDeniedError,
    StaleVersionError,
)
from tests.application.story import (
    ADJUDICATOR,
    AUDITOR,
    COUNTRIES_OF_CONCERN,
    EVERYONE,
    FOREIGN_NATIONALS,
    NOBODY,
    OTHER_PROVIDER,
    OTHER_REGULATOR,
    PROVIDER,
    REFERENCE,
    REGULATOR,
    STAKEHOLDER,
    Story,
    ctx,
    refused,
)


@pytest.fixture
def story(app: Regledger) -> Story:
    """Fable 5 and Mythos 5 are registered."""
    return Story(app).register_models()


@pytest.fixture
def issued(story: Story) -> Story:
    """US-BIS has ordered both models suspended for foreign nationals."""
    return story.issue_directive()


# --- issuing -----------------------------------------------------------------------------------


def test_a_docket_reference_cannot_be_used_twice(app, issued):
    with refused(app, DuplicateReferenceError, "directive-reference-taken"):
        issued.issue_directive(scope=EVERYONE)


def test_docket_references_are_unique_ignoring_case(app, issued):
    with refused(app, DuplicateReferenceError, "directive-reference-taken"):
        issued.issue_directive(reference=REFERENCE.lower())


def test_a_reference_taken_by_another_regulator_is_refused_too(app, issued):
    with refused(app, DuplicateReferenceError, "directive-reference-taken"):
        app.issue_directive(
            ctx(OTHER_REGULATOR), REFERENCE, PROVIDER.org, issued.models, EVERYONE, "AI Act", "g"
        )


def test_an_issue_that_loses_the_race_for_a_reference_is_refused_as_taken(app, issued, monkeypatch):
    # Both writers passed the existence check; the store's uniqueness decides.
    monkeypatch.setattr(app, "_exists", lambda _id: False)
    with refused(app, DuplicateReferenceError, "directive-reference-taken"):
        issued.issue_directive()


def test_a_directive_cannot_name_a_model_of_another_provider(app, story):
    rival = app.register_model(ctx(OTHER_PROVIDER), "Rival", "").id
    with refused(app, ModelNotOfProviderError, "model-not-of-provider"):
        story.issue_directive(model_ids=(story.fable, rival))


def test_a_directive_cannot_name_an_unknown_model(app, story):
    with refused(app, ModelNotOfProviderError, "model-not-of-provider"):
        story.issue_directive(model_ids=(story.fable, uuid4()))


def test_a_directive_must_name_at_least_one_model(app, story):
    with refused(app, InvalidInputError, "invalid-input"):
        story.issue_directive(model_ids=())


def test_a_directive_must_cover_someone(app, story):
    with refused(app, InvalidInputError, "invalid-input"):
        story.issue_directive(scope=NOBODY)


def test_a_blank_reference_is_refused(app, story):
    with refused(app, InvalidInputError, "invalid-input"):
        story.issue_directive(reference="  ")


def test_a_directive_cannot_expire_when_it_takes_effect(app, story, clock):
    with refused(app, ExpiryBeforeEffectError, "expiry-after-effect"):
        story.issue_directive(effective_at=clock.now, expires_at=clock.now)


def test_a_directive_cannot_expire_before_it_takes_effect(app, story, clock):
    starts = clock.now + timedelta(days=5)
    with refused(app, ExpiryBeforeEffectError, "expiry-after-effect"):
        story.issue_directive(effective_at=starts, expires_at=starts - timedelta(days=1))


def test_a_directive_expiring_after_it_takes_effect_is_accepted(app, story, clock):
    story.issue_directive(expires_at=clock.now + timedelta(days=90))
    directive = app.get_directive(story.directive_id)
    assert directive.state(clock.now) == DirectiveState.IN_FORCE


@pytest.mark.parametrize("actor", [PROVIDER, STAKEHOLDER, ADJUDICATOR, AUDITOR])
def test_only_a_regulator_can_issue_a_directive(app, story, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.issue_directive(
            ctx(actor), "SELF-1", PROVIDER.org, story.models, EVERYONE, "none", "none"
        )


# --- amending and rescinding -------------------------------------------------------------------


def test_another_regulator_cannot_amend_the_directive(app, issued):
    with refused(app, NotIssuerError, "not-issuer"):
        app.amend_directive(ctx(OTHER_REGULATOR), issued.directive_id, "wider", scope=EVERYONE)


def test_another_regulator_cannot_rescind_the_directive(app, issued):
    with refused(app, NotIssuerError, "not-issuer"):
        app.rescind_directive(ctx(OTHER_REGULATOR), issued.directive_id, "not theirs")


@pytest.mark.parametrize("actor", [PROVIDER, STAKEHOLDER, ADJUDICATOR])
def test_only_a_regulator_can_amend_a_directive(app, issued, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.amend_directive(ctx(actor), issued.directive_id, "narrower", COUNTRIES_OF_CONCERN)


@pytest.mark.parametrize("actor", [PROVIDER, STAKEHOLDER, ADJUDICATOR])
def test_only_a_regulator_can_rescind_a_directive(app, issued, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.rescind_directive(ctx(actor), issued.directive_id, "please")


def test_an_amendment_that_changes_nothing_is_refused(app, issued):
    with refused(app, EmptyAmendmentError, "amendment-changes-nothing"):
        app.amend_directive(ctx(REGULATOR), issued.directive_id, "no change")


def test_an_amendment_to_the_same_scope_and_models_is_refused(app, issued):
    with refused(app, EmptyAmendmentError, "amendment-changes-nothing"):
        app.amend_directive(
            ctx(REGULATOR),
            issued.directive_id,
            "same again",
            scope=FOREIGN_NATIONALS,
            model_ids=tuple(reversed(issued.models)),
        )


def test_an_amendment_to_an_empty_scope_is_refused(app, issued):
    with refused(app, InvalidInputError, "invalid-input"):
        app.amend_directive(ctx(REGULATOR), issued.directive_id, "nobody", scope=NOBODY)


def test_an_amendment_to_no_models_is_refused(app, issued):
    with refused(app, InvalidInputError, "invalid-input"):
        app.amend_directive(ctx(REGULATOR), issued.directive_id, "none", model_ids=())


def test_an_amendment_cannot_add_a_model_of_another_provider(app, issued):
    rival = app.register_model(ctx(OTHER_PROVIDER), "Rival", "").id
    with refused(app, ModelNotOfProviderError, "model-not-of-provider"):
        app.amend_directive(
            ctx(REGULATOR), issued.directive_id, "add", model_ids=(*issued.models, rival)
        )


def test_an_amendment_cannot_move_expiry_to_or_before_the_effective_time(app, issued, clock):
    with refused(app, ExpiryBeforeEffectError, "expiry-after-effect"):
        app.amend_directive(ctx(REGULATOR), issued.directive_id, "expire", expires_at=clock.now)


def test_amending_an_unknown_directive_is_refused_as_not_found(app, issued):
    with refused(app, NotFoundError, "not-found"):
        app.amend_directive(ctx(REGULATOR), uuid4(), "who?", scope=EVERYONE)


def test_an_amendment_with_a_stale_expected_version_is_refused(app, issued):
    app.amend_directive(ctx(REGULATOR), issued.directive_id, "narrower", COUNTRIES_OF_CONCERN)
    with refused(app, StaleVersionError, "stale-version"):
        app.amend_directive(
            ctx(REGULATOR, expected_version=1), issued.directive_id, "wider", EVERYONE
        )


# --- closed directives -------------------------------------------------------------------------


@pytest.fixture
def rescinded(app: Regledger, issued: Story) -> Story:
    """The directive was rescinded by its issuer."""
    app.rescind_directive(ctx(REGULATOR), issued.directive_id, "Concerns addressed")
    return issued


@pytest.fixture
def expired(app: Regledger, story: Story, clock) -> Story:
    """The directive expired by time alone: no event says so."""
    story.issue_directive(expires_at=clock.now + timedelta(days=30))
    clock.advance(days=30)
    return story


def test_a_rescinded_directive_cannot_be_amended(app, rescinded):
    with refused(app, DirectiveClosedError, "directive-closed"):
        app.amend_directive(ctx(REGULATOR), rescinded.directive_id, "wider", scope=EVERYONE)


def test_a_rescinded_directive_cannot_be_rescinded_again(app, rescinded):
    with refused(app, DirectiveClosedError, "directive-closed"):
        app.rescind_directive(ctx(REGULATOR), rescinded.directive_id, "twice")


def test_a_rescinded_directive_cannot_be_appealed(app, rescinded):
    with refused(app, DirectiveClosedError, "directive-closed"):
        rescinded.file_appeal()


def test_an_expired_directive_cannot_be_amended_even_before_expiry_is_recorded(app, expired):
    with refused(app, DirectiveClosedError, "directive-closed"):
        app.amend_directive(
            ctx(REGULATOR), expired.directive_id, "extend", expires_at=app.clock() + timedelta(1)
        )


def test_an_expired_directive_cannot_be_rescinded(app, expired):
    with refused(app, DirectiveClosedError, "directive-closed"):
        app.rescind_directive(ctx(REGULATOR), expired.directive_id, "too late")


def test_an_expired_directive_cannot_be_appealed(app, expired):
    with refused(app, DirectiveClosedError, "directive-closed"):
        expired.file_appeal()


def test_a_directive_is_still_open_one_second_before_it_expires(app, story, clock):
    story.issue_directive(expires_at=clock.now + timedelta(days=30))
    clock.advance(days=30, seconds=-1)
    result = app.rescind_directive(ctx(REGULATOR), story.directive_id, "in time")
    assert result.version == 2
