"""The DomainError tree: every refusal names the rule it enforces."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """A command was refused; nothing was recorded."""

    rule: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "Command refused"

    def __init__(self, detail: str, **context: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.context = context

    def __init_subclass__(cls, rule: str | None = None, title: str | None = None, **kw: Any):
        super().__init_subclass__(**kw)
        if rule is not None:
            cls.rule = rule
        if title is not None:
            cls.title = title


class NotFoundError(DomainError, rule="not-found", title="Not found"):
    """The thing asked about does not exist (at the time asked)."""


class PermissionDeniedError(DomainError, rule="forbidden", title="Not permitted"):
    """The acting principal may not do this."""


class InvalidInputError(DomainError, rule="invalid-input", title="Invalid input"):
    """A value is well-formed but not acceptable (e.g. an empty scope)."""


class RuleViolationError(DomainError, rule="rule-violation", title="Rule violated"):
    """A business rule forbids the command in the current state."""


class ConcurrencyError(RuleViolationError, rule="concurrent-write", title="Lost a write race"):
    """Another command changed the same aggregate first."""


class StaleVersionError(DomainError, rule="stale-version", title="Precondition failed"):
    """The caller's expected version (If-Match) is not the current one."""


# --- Model rules -----------------------------------------------------------------------------


class ModelNameTakenError(RuleViolationError, rule="model-name-taken", title="Model name taken"):
    """One model per (provider, name)."""


class ModelRetiredError(RuleViolationError, rule="model-retired", title="Model is retired"):
    """A retired model accepts no further commands."""


class NotSuspendedError(
    RuleViolationError, rule="restore-requires-suspension", title="Nothing to restore"
):
    """Restoring a scope that is not suspended is refused."""


class NotYetRegisteredError(
    RuleViolationError, rule="before-registration", title="Before the model existed"
):
    """An act cannot take effect before the model's registration."""


# --- Directive rules -------------------------------------------------------------------------


class DuplicateReferenceError(
    RuleViolationError, rule="directive-reference-taken", title="Docket reference taken"
):
    """A directive's reference is unique."""


class ModelNotOfProviderError(
    RuleViolationError, rule="model-not-of-provider", title="Model not of this provider"
):
    """Every model of a directive must exist and belong to its provider."""


class ExpiryBeforeEffectError(
    RuleViolationError, rule="expiry-after-effect", title="Expiry before effect"
):
    """expires_at must be later than effective_at."""


class DirectiveClosedError(
    RuleViolationError, rule="directive-closed", title="Directive is closed"
):
    """A rescinded or expired directive accepts no further commands."""


class DirectiveNotStayedError(
    RuleViolationError, rule="directive-not-stayed", title="Directive is not stayed"
):
    """Only a stayed directive can have its stay lifted."""


class NotIssuerError(PermissionDeniedError, rule="not-issuer", title="Not the issuing regulator"):
    """Only the issuing regulator may amend, rescind or decide."""


class NotAddresseeError(
    PermissionDeniedError, rule="not-addressee", title="Not the addressed provider"
):
    """Only the provider a directive is addressed to may appeal it."""


class NotOwnModelError(PermissionDeniedError, rule="not-own-model", title="Not your model"):
    """Providers act only on their own models."""


class EmptyAmendmentError(
    InvalidInputError, rule="amendment-changes-nothing", title="Amendment changes nothing"
):
    """An amendment must change the scope, the models or the expiry."""


# --- Appeal rules ----------------------------------------------------------------------------


class AppealAlreadyOpenError(
    RuleViolationError, rule="one-open-appeal-per-directive", title="Appeal already open"
):
    """One open appeal per directive."""


class AppealClosedError(RuleViolationError, rule="appeal-closed", title="Appeal is closed"):
    """A decided or withdrawn appeal accepts no further commands."""


class StayNotRequestedError(
    RuleViolationError, rule="stay-not-requested", title="No stay was requested"
):
    """A stay can only be granted or denied when one was requested."""


class StayAlreadyDecidedError(
    RuleViolationError, rule="stay-already-decided", title="Stay already decided"
):
    """A stay request is answered once."""


class NotPartyError(PermissionDeniedError, rule="not-a-party", title="Not a party"):
    """Only the provider and the regulator of the case negotiate."""


class OwnProposalError(RuleViolationError, rule="answer-by-other-party", title="Own proposal"):
    """Only the other party may accept or reject a proposal."""


class NotLatestProposalError(
    RuleViolationError, rule="latest-open-proposal-only", title="Not the latest open proposal"
):
    """Only the latest open proposal can be answered."""


class ProposalAlreadyAcceptedError(
    RuleViolationError, rule="proposal-already-accepted", title="Terms already agreed"
):
    """After a proposal is accepted, the case awaits its decision."""


class OutcomeNeedsScopeError(
    RuleViolationError, rule="modified-needs-new-scope", title="Modified outcome needs a scope"
):
    """A `modified` decision needs `new_scope`."""


class OutcomeTakesNoScopeError(
    RuleViolationError, rule="new-scope-only-when-modified", title="Outcome takes no scope"
):
    """Only a `modified` decision names `new_scope` (`settled` takes the agreed one)."""


class SettlementNeedsAgreementError(
    RuleViolationError, rule="settled-needs-accepted-proposal", title="No accepted proposal"
):
    """A `settled` decision needs an accepted proposal and takes its scope."""


class NotAppellantError(PermissionDeniedError, rule="not-appellant", title="Not the appellant"):
    """Only the appellant may withdraw."""
