"""The Directive aggregate on its own: states over time and the rules of its commands."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from domain.actor import SCHEDULER, Actor, Role
from domain.directive import Directive, DirectiveState
from domain.errors import (
    AppealAlreadyOpenError,
    DirectiveClosedError,
    DirectiveNotStayedError,
    EmptyAmendmentError,
    ExpiryBeforeEffectError,
    InvalidInputError,
    NotIssuerError,
    RuleViolationError,
)
from domain.scope import Scope

REGULATOR = Actor(org="us-bis", role=Role.REGULATOR)
T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
FOREIGN = Scope(user_classes=("foreign_national",), jurisdictions=("*",))
NARROW = Scope(user_classes=("foreign_national",), jurisdictions=("CN",))
MODELS = (uuid4(), uuid4())


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def issue(effective_at: datetime = T0, expires_at: datetime | None = None) -> Directive:
    return Directive(
        reference="BIS-2026-0042",
        regulator="us-bis",
        provider="anthropic",
        model_ids=MODELS,
        scope=FOREIGN,
        authority="ECRA",
        grounds="national security",
        actor=REGULATOR,
        effective_at=effective_at,
        expires_at=expires_at,
    )


# --- states ------------------------------------------------------------------------------------


def test_a_directive_is_pending_until_it_takes_effect():
    directive = issue(effective_at=days(3))
    assert directive.state(days(2)) == DirectiveState.PENDING
    assert directive.state(days(3)) == DirectiveState.IN_FORCE


def test_a_directive_expires_at_its_expiry_time_exactly_without_any_event():
    directive = issue(expires_at=days(30))
    assert directive.state(days(30) - timedelta(microseconds=1)) == DirectiveState.IN_FORCE
    assert directive.state(days(30)) == DirectiveState.EXPIRED
    assert directive.version == 1


def test_a_stay_pauses_and_its_lifting_resumes_the_directive():
    directive = issue()
    appeal_id = uuid4()
    directive.stay(REGULATOR, days(1), days(1), "pending appeal", appeal_id)
    assert directive.state(days(1)) == DirectiveState.STAYED
    directive.lift_stay(REGULATOR, days(2), days(2), "upheld", appeal_id)
    assert directive.state(days(2)) == DirectiveState.IN_FORCE


def test_rescission_is_terminal_and_ends_a_stay():
    directive = issue(expires_at=days(30))
    directive.stay(REGULATOR, days(1), days(1), "pending appeal", uuid4())
    directive.rescind(REGULATOR, days(2), days(2), "overturned")
    assert not directive.stayed
    assert directive.state(days(40)) == DirectiveState.RESCINDED


# --- rules -------------------------------------------------------------------------------------


def test_issuing_needs_a_scope_and_an_expiry_after_the_effect():
    with pytest.raises(InvalidInputError):
        Directive.check_issue(Scope.nobody(), T0, None)
    with pytest.raises(ExpiryBeforeEffectError):
        Directive.check_issue(FOREIGN, T0, T0)
    Directive.check_issue(FOREIGN, T0, days(1))


def test_the_directive_id_is_derived_from_its_reference_ignoring_case():
    assert Directive.create_id("BIS-2026-0042") == Directive.create_id("bis-2026-0042")
    assert issue().id == Directive.create_id("BIS-2026-0042")


def test_only_the_issuer_passes_the_issuer_check():
    directive = issue()
    directive.check_issuer(REGULATOR)
    with pytest.raises(NotIssuerError):
        directive.check_issuer(Actor(org="eu-ai-office", role=Role.REGULATOR))


def test_an_amendment_must_change_something():
    directive = issue()
    with pytest.raises(EmptyAmendmentError):
        directive.amend(REGULATOR, T0, T0, "same", scope=FOREIGN, model_ids=MODELS[::-1])
    directive.amend(REGULATOR, T0, T0, "narrower", scope=NARROW)
    assert directive.scope == NARROW


def test_an_amendment_cannot_empty_the_scope_or_the_models():
    directive = issue()
    with pytest.raises(InvalidInputError):
        directive.amend(REGULATOR, T0, T0, "nobody", scope=Scope.nobody())
    with pytest.raises(InvalidInputError):
        directive.amend(REGULATOR, T0, T0, "no models", model_ids=())


def test_an_amended_expiry_must_stay_after_the_effect():
    directive = issue(effective_at=days(1))
    with pytest.raises(ExpiryBeforeEffectError):
        directive.amend(REGULATOR, T0, T0, "expire", expires_at=days(1))


def test_only_a_stayed_directive_can_have_its_stay_lifted():
    with pytest.raises(DirectiveNotStayedError):
        issue().lift_stay(REGULATOR, T0, T0, "nothing to lift")


def test_a_stayed_directive_cannot_be_stayed_again():
    directive = issue()
    directive.stay(REGULATOR, T0, T0, "pending", uuid4())
    with pytest.raises(RuleViolationError):
        directive.stay(REGULATOR, T0, T0, "again", uuid4())


@pytest.mark.parametrize("close", ["rescind", "expire"])
def test_a_closed_directive_accepts_no_further_commands(close):
    directive = issue(expires_at=days(30))
    now = days(1)
    if close == "rescind":
        directive.rescind(REGULATOR, now, now, "done")
    else:
        now = days(31)
    for command in (
        lambda: directive.amend(REGULATOR, now, now, "wider", scope=Scope.everyone()),
        lambda: directive.rescind(REGULATOR, now, now, "again"),
        lambda: directive.stay(REGULATOR, now, now, "stay", uuid4()),
        lambda: directive.lodge_appeal(REGULATOR, now, now, uuid4()),
    ):
        with pytest.raises(DirectiveClosedError):
            command()


def test_one_appeal_is_open_at_a_time():
    directive = issue()
    first = uuid4()
    directive.lodge_appeal(REGULATOR, T0, T0, first)
    with pytest.raises(AppealAlreadyOpenError):
        directive.lodge_appeal(REGULATOR, T0, T0, uuid4())
    directive.close_appeal(REGULATOR, days(1), first, "withdrawn")
    directive.lodge_appeal(REGULATOR, days(2), days(2), uuid4())


# --- the scheduler's expiry record -------------------------------------------------------------


def test_expiry_is_recorded_only_once_the_time_has_passed():
    directive = issue(expires_at=days(30))
    with pytest.raises(RuleViolationError):
        directive.record_expiry(SCHEDULER, days(29))
    directive.record_expiry(SCHEDULER, days(31))
    expired = directive.collect_events()[-1]
    assert isinstance(expired, Directive.Expired)
    assert (expired.effective_at, expired.actor) == (days(30), SCHEDULER)
    with pytest.raises(DirectiveClosedError):
        directive.record_expiry(SCHEDULER, days(32))


def test_a_directive_without_expiry_never_expires():
    directive = issue()
    assert directive.state(days(10_000)) == DirectiveState.IN_FORCE
    with pytest.raises(RuleViolationError):
        directive.record_expiry(SCHEDULER, days(10_000))
