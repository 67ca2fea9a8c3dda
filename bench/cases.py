"""One case of a generated history, written with the aggregates' own command methods.

A case is one provider's models (one to three), the directives a regulator issues against
them, the provider's compliance (sometimes wider than required), appeals with submissions,
stays and negotiation, decisions with their consequences, restorations, amendments,
expiries, back-dated acts, the provider's own maintenance and the odd retirement. Every
rule holds because every step is a command; a refused step records nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate

from application.service import apply_decision
from domain.actor import SCHEDULER, Actor, Role
from domain.appeal import Appeal, Outcome, Signatory, SubmissionKind
from domain.directive import Directive
from domain.errors import DomainError
from domain.model import Model
from domain.scope import Scope

PROVIDERS = (
    "anthropic",
    "openai",
    "mistral",
    "cohere",
    "aleph-alpha",
    "deepseek",
    "xai",
    "google",
    "meta",
    "ai21",
)
REGULATORS = ("us-bis", "eu-ai-office", "uk-dsit", "jp-meti", "ca-ised")
STAKEHOLDERS = ("adobe", "nvidia", "cisco", "cloudflare", "eff", "stanford")
CLASSES = ("foreign_national", "domestic", "enterprise", "government", "research", "minor")
PLACES = ("CN", "RU", "IR", "KP", "BY", "VE", "US", "FR", "DE", "GB", "IN", "JP", "BR", "SG")
EVERYONE = Scope.everyone()
SIGNERS = tuple(Signatory(name=f"Signer {i}", affiliation=STAKEHOLDERS[i % 6]) for i in range(60))


def random_scope(rng: random.Random) -> Scope:
    """A scope as regulators write them: a class or two, a handful of places, or `*`."""
    classes = ("*",) if rng.random() < 0.15 else tuple(rng.sample(CLASSES, rng.randint(1, 2)))
    places = ("*",) if rng.random() < 0.25 else tuple(rng.sample(PLACES, rng.randint(1, 5)))
    return Scope(user_classes=classes, jurisdictions=places)


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


@dataclass
class Case:
    """One case being written: its aggregates' new events, in the order they happened."""

    rng: random.Random
    label: str
    start: datetime
    events: list[Any] = field(default_factory=list)
    models: list[Model] = field(default_factory=list)

    def take(self, *aggregates: Aggregate) -> None:
        """Move the aggregates' pending events to the case's log."""
        for aggregate in aggregates:
            self.events.extend(aggregate.collect_events())

    def attempt(self, step: Callable[[], Any], *aggregates: Aggregate) -> bool:
        """Run one command; a refused one records nothing (and is simply not part of the case)."""
        try:
            step()
        except DomainError:
            for aggregate in aggregates:
                aggregate.collect_events()  # nothing is pending after a refusal; be sure
            return False
        self.take(*aggregates)
        return True


def write_case(case: Case) -> None:
    """Fill `case` with a provider's models and the directives, appeals and acts about them."""
    rng = case.rng
    provider = Actor(org=rng.choice(PROVIDERS), role=Role.PROVIDER)
    regulator = Actor(org=rng.choice(REGULATORS), role=Role.REGULATOR)
    t = case.start
    for i in range(rng.choice((1, 2, 2, 3))):
        model = Model(
            provider=provider.org,
            name=f"{case.label} model {i}",
            description="A frontier model.",
            actor=provider,
            effective_at=t - timedelta(days=rng.randint(0, 30)),
        )
        case.models.append(model)
        case.take(model)
    for d in range(rng.randint(4, 7)):
        t += _hours(rng.uniform(24, 24 * 12))
        t = _directive(case, provider, regulator, f"{regulator.org}/{case.label}/{d}", t)
    for model in case.models:
        t = _maintenance(case, provider, model, t)
        if rng.random() < 0.05:
            case.attempt(lambda m=model, t=t: m.retire(provider, t, "end of life"), model)


def _directive(
    case: Case, provider: Actor, regulator: Actor, reference: str, t: datetime
) -> datetime:
    rng = case.rng
    targets = rng.sample(case.models, rng.randint(1, len(case.models)))
    scope = random_scope(rng)
    expires = t + timedelta(days=rng.randint(20, 150)) if rng.random() < 0.35 else None
    directive = Directive(
        reference=reference,
        regulator=regulator.org,
        provider=provider.org,
        model_ids=tuple(m.id for m in targets),
        scope=scope,
        authority="statute §7",
        grounds="national security: documented jailbreak techniques",
        actor=regulator,
        effective_at=t,
        expires_at=expires,
    )
    case.take(directive)
    # Compliance: selective, or (like the reference story) everything, for everyone.
    complied = EVERYONE if rng.random() < 0.3 else scope
    for model in targets:
        when = t + _hours(rng.uniform(-12, 48))  # sometimes recorded as done ahead of time
        case.attempt(
            lambda m=model, w=when: m.suspend(
                provider, max(w, m.registered_at), complied, "complying", directive.id
            ),
            model,
        )
    if rng.random() < 0.3:
        t += _hours(rng.uniform(24, 24 * 7))
        case.attempt(
            lambda: directive.amend(regulator, t, t, "clarified scope", scope=random_scope(rng)),
            directive,
        )
    if rng.random() < 0.6:
        t = _appeal(case, provider, regulator, directive, t)
    t += _hours(rng.uniform(12, 24 * 5))
    for model in targets:
        back = t - _hours(rng.uniform(0, 24 * 4)) if rng.random() < 0.2 else t  # back-dated
        case.attempt(
            lambda m=model, b=back: m.restore(
                provider, max(b, m.registered_at), complied, "restored as decided", directive.id
            ),
            model,
        )
    if expires is not None and not directive.rescinded:
        case.attempt(lambda: directive.record_expiry(SCHEDULER, expires), directive)
    return t


def _appeal(
    case: Case, provider: Actor, regulator: Actor, directive: Directive, t: datetime
) -> datetime:
    rng = case.rng
    t += _hours(rng.uniform(24, 24 * 6))
    if directive.state(t) in ("rescinded", "expired"):
        return t
    appeal = Appeal(
        directive_id=directive.id,
        appellant=provider.org,
        regulator=regulator.org,
        grounds="the alleged issue is limited",
        requested_relief="reverse",
        stay_requested=rng.random() < 0.7,
        respond_by=t + timedelta(days=30),
        actor=provider,
        effective_at=t,
    )
    directive.lodge_appeal(provider, t, t, appeal.id)
    case.take(appeal, directive)
    for s in range(rng.randint(1, 6)):
        t += _hours(rng.uniform(2, 48))
        letter = rng.random() < 0.15
        who = Actor(org=rng.choice(STAKEHOLDERS), role=Role.STAKEHOLDER) if letter else provider
        kind = SubmissionKind.AMICUS_LETTER if letter else SubmissionKind.EVIDENCE
        signers = SIGNERS[: rng.randint(5, 60)] if letter else ()
        case.attempt(
            lambda w=who, k=kind, n=signers, s_=s, t=t: appeal.add_submission(
                w, t, k, f"submission {s_}", "grounds and evidence", n, rng.random() < 0.2
            ),
            appeal,
        )
    if appeal.stay_requested:
        t += _hours(rng.uniform(12, 72))
        granted = rng.random() < 0.5 and directive.state(t) not in ("rescinded", "expired")
        case.attempt(
            lambda: appeal.rule_on_stay(regulator, t, granted, "pending the appeal"), appeal
        )
        if granted and not directive.stayed:
            case.attempt(
                lambda: directive.stay(regulator, t, t, "stay granted", appeal.id), directive
            )
    if rng.random() < 0.08:
        t += _hours(rng.uniform(24, 96))
        _withdraw(case, provider, regulator, directive, appeal, t)
        return t
    accepted = _negotiate(case, provider, regulator, appeal, t)
    t += _hours(rng.uniform(24, 24 * 8))
    outcomes = [Outcome.UPHELD, Outcome.OVERTURNED, Outcome.MODIFIED]
    outcome = Outcome.SETTLED if accepted else rng.choice(outcomes)
    new_scope = random_scope(rng) if outcome == Outcome.MODIFIED else None

    def decide() -> None:
        scope = appeal.decide(regulator, t, outcome, "reasons given", new_scope)
        apply_decision(directive, regulator, t, t, appeal.id, outcome, scope)

    case.attempt(decide, appeal, directive)
    return t


def _negotiate(case: Case, provider: Actor, regulator: Actor, appeal: Appeal, t: datetime) -> bool:
    rng = case.rng
    sides = (provider, regulator)
    for n in range(rng.randint(0, 3)):
        t += _hours(rng.uniform(6, 72))
        by, other = sides[n % 2], sides[(n + 1) % 2]
        number = appeal.propose(by, t, f"terms, round {n + 1}", random_scope(rng))
        case.take(appeal)
        t += _hours(rng.uniform(6, 48))
        if rng.random() < 0.35:
            appeal.accept(other, t, number)
            case.take(appeal)
            return True
        appeal.reject(other, t, number, "not acceptable")
        case.take(appeal)
    return False


def _withdraw(
    case: Case, provider: Actor, regulator: Actor, directive: Directive, appeal: Appeal, t: datetime
) -> None:
    appeal.withdraw(provider, t, "settled out of the register")
    if directive.stayed and directive.state(t) not in ("rescinded", "expired"):
        directive.lift_stay(provider, t, t, "appeal withdrawn", appeal.id)
    directive.close_appeal(provider, t, appeal.id, "withdrawn")
    case.take(appeal, directive)


def _maintenance(case: Case, provider: Actor, model: Model, t: datetime) -> datetime:
    """The provider's own suspensions and restorations, over varied scopes."""
    rng = case.rng
    for _ in range(rng.randint(18, 40)):
        t += _hours(rng.uniform(6, 24 * 4))
        scope = random_scope(rng)
        when = t - _hours(rng.uniform(0, 24 * 10)) if rng.random() < 0.15 else t
        when = max(when, model.registered_at)
        case.attempt(lambda s=scope, w=when: model.suspend(provider, w, s, "maintenance"), model)
        t += _hours(rng.uniform(1, 24 * 3))
        case.attempt(lambda s=scope, t=t: model.restore(provider, t, s, "maintenance over"), model)
    return t


# --- writing a history of an exact size --------------------------------------------------------
