"""The reference scenario as reusable steps: parties, scopes, and one builder per act.

Tests use these to reach a state (`Story(app).register_models().issue_directive()...`)
and `refused(...)` to check that a command is refused with a named rule and records nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.context import CommandContext, CommandResult
from application.service import Regledger
from domain.actor import Actor, Role
from domain.appeal import Outcome, Signatory, SubmissionKind
from domain.errors import DomainError
from domain.scope import Scope

# --- parties -----------------------------------------------------------------------------------

REGULATOR = Actor(org="us-bis", role=Role.REGULATOR)
OTHER_REGULATOR = Actor(org="eu-ai-office", role=Role.REGULATOR)
PROVIDER = Actor(org="anthropic", role=Role.PROVIDER)
OTHER_PROVIDER = Actor(org="openai", role=Role.PROVIDER)
STAKEHOLDER = Actor(org="adobe", role=Role.STAKEHOLDER)
ADJUDICATOR = Actor(org="us-cit", role=Role.ADJUDICATOR)
AUDITOR = Actor(org="audit-office", role=Role.AUDITOR)

# --- scopes ------------------------------------------------------------------------------------

EVERYONE = Scope.everyone()
NOBODY = Scope.nobody()
FOREIGN_NATIONALS = Scope(user_classes=("foreign_national",), jurisdictions=("*",))
COUNTRIES_OF_CONCERN = Scope(
    user_classes=("foreign_national",), jurisdictions=("CN", "IR", "KP", "RU")
)
UNVERIFIED_IN_CN = Scope(user_classes=("foreign_national",), jurisdictions=("CN",))

REFERENCE = "BIS-2026-0042"
AUTHORITY = "Export Control Reform Act of 2018, 50 U.S.C. 4813"
GROUNDS = (
    "Jailbreak techniques could enable offensive cyber operations by foreign actors "
    "(national-security concern)."
)


def ctx(
    actor: Actor, effective_at: datetime | None = None, expected_version: int | None = None
) -> CommandContext:
    """A command context for an actor."""
    return CommandContext(actor, effective_at=effective_at, expected_version=expected_version)


@contextmanager
def refused(app: Regledger, error: type[DomainError], rule: str) -> Iterator[None]:
    """The block is refused with exactly `error` (named `rule`) and the log does not grow."""
    assert error.rule == rule, f"{error.__name__} enforces {error.rule!r}, not {rule!r}"
    before = app.max_position()
    with pytest.raises(DomainError) as caught:
        yield
    raised = caught.value
    assert type(raised) is error, f"refused with {type(raised).__name__}: {raised}"
    assert raised.rule == rule
    assert app.max_position() == before, "a refused command recorded something"


class Story:
    """The reference story on one application; each step remembers the ids it made."""

    def __init__(self, app: Regledger) -> None:
        self.app = app
        self.fable: UUID | None = None
        self.mythos: UUID | None = None
        self.directive: UUID | None = None
        self.appeal: UUID | None = None

    @property
    def models(self) -> tuple[UUID, UUID]:
        """Fable 5 and Mythos 5 (registered first)."""
        assert self.fable is not None and self.mythos is not None, "register the models first"
        return self.fable, self.mythos

    @property
    def directive_id(self) -> UUID:
        assert self.directive is not None, "issue the directive first"
        return self.directive

    @property
    def appeal_id(self) -> UUID:
        assert self.appeal is not None, "file the appeal first"
        return self.appeal

    # --- the provider's models ---------------------------------------------------------------

    def register_models(self, effective_at: datetime | None = None) -> Story:
        """Anthropic registers Fable 5 and Mythos 5."""
        provider = ctx(PROVIDER, effective_at)
        self.fable = self.app.register_model(provider, "Fable 5", "Frontier model").id
        self.mythos = self.app.register_model(provider, "Mythos 5", "Frontier model").id
        return self

    def shut_down_everywhere(self) -> Story:
        """The provider over-complies: both models off for all users."""
        for model_id in self.models:
            self.app.suspend_model(
                ctx(PROVIDER), model_id, EVERYONE, "Comply with BIS order", self.directive
            )
        return self

    # --- the directive -----------------------------------------------------------------------

    def issue_directive(
        self,
        reference: str = REFERENCE,
        scope: Scope = FOREIGN_NATIONALS,
        model_ids: tuple[UUID, ...] | None = None,
        effective_at: datetime | None = None,
        expires_at: datetime | None = None,
    ) -> Story:
        """US-BIS orders both models suspended for foreign nationals."""
        result = self.app.issue_directive(
            ctx(REGULATOR, effective_at),
            reference=reference,
            provider=PROVIDER.org,
            model_ids=self.models if model_ids is None else model_ids,
            scope=scope,
            authority=AUTHORITY,
            grounds=GROUNDS,
            expires_at=expires_at,
        )
        self.directive = result.id
        return self

    # --- the appeal --------------------------------------------------------------------------

    def file_appeal(self, stay_requested: bool = True) -> Story:
        """Anthropic challenges the directive, asking for a stay."""
        result = self.app.file_appeal(
            ctx(PROVIDER),
            self.directive_id,
            grounds="The alleged issue is limited and not different from other frontier models.",
            requested_relief="Rescind the directive, or restrict selectively.",
            stay_requested=stay_requested,
        )
        self.appeal = result.id
        return self

    def add_amicus_letter(self, signers: int = 3) -> CommandResult:
        """Security executives urge reversal in a joint letter."""
        return self.app.add_submission(
            ctx(STAKEHOLDER),
            self.appeal_id,
            SubmissionKind.AMICUS_LETTER,
            "Joint letter urging reversal",
            "Security leaders ask for a transparent, technically grounded process.",
            [Signatory(name=f"Signer {n}", affiliation="Adobe") for n in range(signers)],
            confidential=False,
        )

    def rule_on_stay(self, granted: bool = True, by: Actor = REGULATOR) -> CommandResult:
        """The regulator (or an adjudicator) answers the stay request."""
        return self.app.rule_on_stay(ctx(by), self.appeal_id, granted, "Pending review")

    def propose(self, by: Actor = PROVIDER, scope: Scope | None = COUNTRIES_OF_CONCERN) -> int:
        """One party puts terms on the table; returns the proposal number."""
        result = self.app.make_proposal(
            ctx(by), self.appeal_id, "Selective restriction with identity verification", scope
        )
        return int(result.extra["proposal_no"])

    def accept(self, number: int, by: Actor = REGULATOR) -> CommandResult:
        """The other party agrees."""
        return self.app.accept_proposal(ctx(by), self.appeal_id, number)

    def reject(self, number: int, by: Actor = REGULATOR) -> CommandResult:
        """The other party turns the terms down."""
        return self.app.reject_proposal(ctx(by), self.appeal_id, number, "Not enough")

    def decide(
        self, outcome: Outcome, new_scope: Scope | None = None, by: Actor = REGULATOR
    ) -> CommandResult:
        """The appeal is decided."""
        return self.app.decide_appeal(
            ctx(by), self.appeal_id, outcome, f"Decision: {outcome}", new_scope
        )

    def withdraw(self, by: Actor = PROVIDER) -> CommandResult:
        """The appellant abandons the challenge."""
        return self.app.withdraw_appeal(ctx(by), self.appeal_id, "Settled out of the process")


def play_every_act(app: Regledger, clock: Any = None) -> Story:
    """Record at least one of every event a command can cause, over a few weeks of story.

    `clock` (a test clock with `advance(days=...)`) spreads the acts over time when given.
    """

    def later(days: float) -> None:
        if clock is not None:
            clock.advance(days=days)

    story = Story(app).register_models()
    legacy = app.register_model(ctx(PROVIDER), "Legacy 4", "Older model").id
    app.retire_model(ctx(PROVIDER), legacy, "End of life → superseded")
    later(1)
    story.issue_directive(expires_at=app.clock() + timedelta(days=180))
    later(1)
    story.shut_down_everywhere()
    domestic_us = Scope(user_classes=("domestic",), jurisdictions=("US",))
    app.restore_model(ctx(PROVIDER), story.models[0], domestic_us, "Domestic users are fine")
    later(2)
    story.file_appeal(stay_requested=True)
    app.add_submission(
        ctx(STAKEHOLDER),
        story.appeal_id,
        SubmissionKind.AMICUS_LETTER,
        "Joint letter urging reversal",
        "Security leaders ask for a transparent, technically grounded process.",
        [
            Signatory(name="José Müller", affiliation="Adobe"),
            Signatory(name="Jane Doe", affiliation="Nvidia"),
        ],
        confidential=False,
        document_sha256="ab" * 32,
    )
    story.rule_on_stay(granted=True)
    later(7)
    story.reject(story.propose(by=PROVIDER, scope=UNVERIFIED_IN_CN), by=REGULATOR)
    later(3)
    story.accept(story.propose(by=REGULATOR, scope=COUNTRIES_OF_CONCERN), by=PROVIDER)
    later(5)
    story.decide(Outcome.SETTLED)

    second = Story(app)
    second.fable, second.mythos = story.models
    second.issue_directive(reference="BIS-2026-0043", model_ids=(story.models[1],))
    second.file_appeal(stay_requested=True)
    second.rule_on_stay(granted=False)
    second.withdraw()
    app.amend_directive(
        ctx(REGULATOR),
        second.directive_id,
        "Sunset clause",
        expires_at=app.clock() + timedelta(days=60),
    )
    later(1)
    app.rescind_directive(ctx(REGULATOR), second.directive_id, "Superseded by BIS-2026-0042")
    return story
