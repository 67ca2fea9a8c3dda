"""SPEC §3 Model rules, through the application, on every store: refused, and nothing recorded."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import uuid4

import pytest

from application.service import Regledger
from domain.errors import (
    ConcurrencyError,
    InvalidInputError,
    ModelNameTakenError,
    ModelRetiredError,
    NotFoundError,
    NotOwnModelError,
    NotSuspendedError,
    NotYetRegisteredError,
    PermissionDeniedError,
    StaleVersionError,
)
from domain.scope import Scope
from tests.application.story import (
    ADJUDICATOR,
    AUDITOR,
    EVERYONE,
    FOREIGN_NATIONALS,
    NOBODY,
    OTHER_PROVIDER,
    PROVIDER,
    REGULATOR,
    STAKEHOLDER,
    UNVERIFIED_IN_CN,
    Story,
    ctx,
    refused,
)


@pytest.fixture
def story(app: Regledger) -> Story:
    """Fable 5 and Mythos 5 are registered."""
    return Story(app).register_models()


# --- registration ------------------------------------------------------------------------------


def test_a_provider_cannot_register_a_second_model_with_the_same_name(app, story):
    with refused(app, ModelNameTakenError, "model-name-taken"):
        app.register_model(ctx(PROVIDER), "Fable 5", "again")


@pytest.mark.parametrize("spelling", ["fable 5", "FABLE 5", "  Fable 5  "])
def test_model_names_are_unique_ignoring_case_and_surrounding_space(app, story, spelling):
    with refused(app, ModelNameTakenError, "model-name-taken"):
        app.register_model(ctx(PROVIDER), spelling, "again")


def test_a_retired_model_keeps_its_name_taken(app, story):
    app.retire_model(ctx(PROVIDER), story.fable, "End of life")
    with refused(app, ModelNameTakenError, "model-name-taken"):
        app.register_model(ctx(PROVIDER), "Fable 5", "again")


def test_another_provider_may_use_the_same_model_name(app, story):
    result = app.register_model(ctx(OTHER_PROVIDER), "Fable 5", "a namesake")
    assert result.id != story.fable
    assert app.get_model(result.id).provider == OTHER_PROVIDER.org


def test_a_registration_that_loses_the_race_for_a_name_is_refused_as_name_taken(
    app, story, monkeypatch
):
    # Both writers passed the existence check; the store's uniqueness decides.
    monkeypatch.setattr(app, "_exists", lambda _id: False)
    with refused(app, ModelNameTakenError, "model-name-taken"):
        app.register_model(ctx(PROVIDER), "FABLE 5", "raced")


def test_a_blank_model_name_is_refused(app):
    with refused(app, InvalidInputError, "invalid-input"):
        app.register_model(ctx(PROVIDER), "   ", "no name")


@pytest.mark.parametrize("actor", [REGULATOR, STAKEHOLDER, ADJUDICATOR, AUDITOR])
def test_only_a_provider_can_register_a_model(app, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.register_model(ctx(actor), "Fable 5", "not theirs to register")


# --- suspension and restoration ----------------------------------------------------------------


def test_restoring_a_scope_that_was_never_suspended_is_refused(app, story):
    with refused(app, NotSuspendedError, "restore-requires-suspension"):
        app.restore_model(ctx(PROVIDER), story.fable, EVERYONE, "nothing to restore")


def test_restoring_a_scope_disjoint_from_the_suspension_is_refused(app, story):
    app.suspend_model(ctx(PROVIDER), story.fable, UNVERIFIED_IN_CN, "comply")
    domestic = Scope(user_classes=("domestic",), jurisdictions=("US",))
    with refused(app, NotSuspendedError, "restore-requires-suspension"):
        app.restore_model(ctx(PROVIDER), story.fable, domestic, "not suspended there")


def test_restoring_a_scope_already_restored_is_refused(app, story):
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "comply")
    app.restore_model(ctx(PROVIDER), story.fable, EVERYONE, "back")
    with refused(app, NotSuspendedError, "restore-requires-suspension"):
        app.restore_model(ctx(PROVIDER), story.fable, EVERYONE, "back again")


def test_restoring_before_the_suspension_takes_effect_is_refused(app, story, clock):
    later = clock.now + timedelta(days=2)
    app.suspend_model(ctx(PROVIDER, effective_at=later), story.fable, EVERYONE, "planned")
    with refused(app, NotSuspendedError, "restore-requires-suspension"):
        app.restore_model(ctx(PROVIDER), story.fable, EVERYONE, "too early")


def test_restoring_part_of_a_blanket_suspension_is_accepted(app, story):
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "blanket shutdown")
    result = app.restore_model(ctx(PROVIDER), story.fable, FOREIGN_NATIONALS, "partial")
    assert result.version == 3


def test_suspending_an_empty_scope_is_refused(app, story):
    with refused(app, InvalidInputError, "invalid-input"):
        app.suspend_model(ctx(PROVIDER), story.fable, NOBODY, "nobody")


@pytest.mark.parametrize("actor", [REGULATOR, STAKEHOLDER, ADJUDICATOR, AUDITOR])
def test_only_a_provider_can_suspend_a_model(app, story, actor):
    with refused(app, PermissionDeniedError, "forbidden"):
        app.suspend_model(ctx(actor), story.fable, EVERYONE, "not theirs")


def test_a_provider_cannot_suspend_another_providers_model(app, story):
    with refused(app, NotOwnModelError, "not-own-model"):
        app.suspend_model(ctx(OTHER_PROVIDER), story.fable, EVERYONE, "not theirs")


def test_a_provider_cannot_restore_another_providers_model(app, story):
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "comply")
    with refused(app, NotOwnModelError, "not-own-model"):
        app.restore_model(ctx(OTHER_PROVIDER), story.fable, EVERYONE, "not theirs")


def test_a_suspension_cannot_cite_a_directive_addressed_to_another_provider(app, story):
    rival = app.register_model(ctx(OTHER_PROVIDER), "Rival", "").id
    directive = app.issue_directive(
        ctx(REGULATOR), "BIS-OTHER", OTHER_PROVIDER.org, [rival], EVERYONE, "ECRA", "grounds"
    )
    with refused(app, InvalidInputError, "invalid-input"):
        app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "cites", directive.id)


def test_suspending_an_unknown_model_is_refused_as_not_found(app, story):
    with refused(app, NotFoundError, "not-found"):
        app.suspend_model(ctx(PROVIDER), uuid4(), EVERYONE, "who?")


def test_a_directive_id_is_not_a_model_id(app, story):
    story.issue_directive()
    with refused(app, NotFoundError, "not-found"):
        app.suspend_model(ctx(PROVIDER), story.directive_id, EVERYONE, "wrong kind")


# --- effective time ----------------------------------------------------------------------------


def test_a_suspension_cannot_take_effect_before_the_model_was_registered(app, story, clock):
    before = clock.now - timedelta(seconds=1)
    with refused(app, NotYetRegisteredError, "before-registration"):
        app.suspend_model(ctx(PROVIDER, effective_at=before), story.fable, EVERYONE, "early")


def test_a_retirement_cannot_take_effect_before_the_model_was_registered(app, story, clock):
    before = clock.now - timedelta(days=1)
    with refused(app, NotYetRegisteredError, "before-registration"):
        app.retire_model(ctx(PROVIDER, effective_at=before), story.fable, "early")


def test_a_naive_effective_time_is_refused(app, story):
    naive = datetime(2026, 5, 2, 9, 0)
    with refused(app, InvalidInputError, "invalid-input"):
        app.suspend_model(ctx(PROVIDER, effective_at=naive), story.fable, EVERYONE, "naive")


# --- retirement --------------------------------------------------------------------------------


@pytest.fixture
def retired(app: Regledger, story: Story) -> Story:
    """Fable 5 is retired (after a suspension, so that a restore would otherwise apply)."""
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "comply")
    app.retire_model(ctx(PROVIDER), story.fable, "End of life")
    return story


def test_a_retired_model_cannot_be_suspended(app, retired):
    with refused(app, ModelRetiredError, "model-retired"):
        app.suspend_model(ctx(PROVIDER), retired.fable, FOREIGN_NATIONALS, "again")


def test_a_retired_model_cannot_be_restored(app, retired):
    with refused(app, ModelRetiredError, "model-retired"):
        app.restore_model(ctx(PROVIDER), retired.fable, EVERYONE, "back")


def test_a_retired_model_cannot_be_retired_again(app, retired):
    with refused(app, ModelRetiredError, "model-retired"):
        app.retire_model(ctx(PROVIDER), retired.fable, "twice")


def test_a_retired_model_cannot_be_named_in_a_new_directive(app, retired):
    with refused(app, ModelRetiredError, "model-retired"):
        retired.issue_directive()


def test_a_retired_model_cannot_be_added_to_a_directive_by_amendment(app, story):
    story.issue_directive(model_ids=(story.mythos,))
    app.retire_model(ctx(PROVIDER), story.fable, "End of life")
    with refused(app, ModelRetiredError, "model-retired"):
        app.amend_directive(ctx(REGULATOR), story.directive_id, "add", model_ids=story.models)


# --- preconditions and races -------------------------------------------------------------------


def test_a_command_with_a_stale_expected_version_is_refused(app, story):
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "comply")
    with refused(app, StaleVersionError, "stale-version"):
        app.restore_model(ctx(PROVIDER, expected_version=1), story.fable, EVERYONE, "back")


def test_a_command_with_the_current_expected_version_is_accepted(app, story):
    result = app.suspend_model(ctx(PROVIDER, expected_version=1), story.fable, EVERYONE, "ok")
    assert result.version == 2


def test_a_write_that_loses_a_race_is_refused_and_records_nothing(app, story, monkeypatch):
    stale = app.get_model(story.fable)
    app.suspend_model(ctx(PROVIDER), story.fable, EVERYONE, "the faster writer")
    # The slower writer decided on the state it read before the faster one saved.
    monkeypatch.setattr(app.repository, "get", lambda *_a, **_k: stale)
    with refused(app, ConcurrencyError, "concurrent-write"):
        app.suspend_model(ctx(PROVIDER), story.fable, FOREIGN_NATIONALS, "the slower writer")
