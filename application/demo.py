"""The reference story of the specification, as a sequence of commands with real dates."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.context import CommandContext, CommandResult
from application.service import Regledger
from domain.actor import Actor, Role
from domain.appeal import Outcome, Signatory, SubmissionKind
from domain.scope import Scope

BIS = Actor(org="us-bis", role=Role.REGULATOR)
ANTHROPIC = Actor(org="anthropic", role=Role.PROVIDER)
ADOBE = Actor(org="adobe", role=Role.STAKEHOLDER)
NVIDIA = Actor(org="nvidia", role=Role.STAKEHOLDER)

REFERENCE = "BIS-ICTS-2026-0917"
EVERYONE = Scope.everyone()
FOREIGN_NATIONALS = Scope(user_classes=("foreign_national",), jurisdictions=("*",))
AGREED = Scope(
    user_classes=("foreign_national",), jurisdictions=("BY", "CN", "IR", "KP", "RU", "VE")
)
PROPOSED = Scope(user_classes=("foreign_national",), jurisdictions=("CN", "IR", "KP", "RU"))

_AFFILIATIONS = (
    "Adobe",
    "Nvidia",
    "Cisco",
    "Cloudflare",
    "CrowdStrike",
    "Palo Alto Networks",
    "Okta",
    "Mandiant",
    "Trail of Bits",
    "Stanford University",
    "MIT CSAIL",
    "Carnegie Mellon University",
    "Rapid7",
    "SentinelOne",
    "Datadog",
    "Snowflake",
)
_GIVEN = (
    "Alex",
    "Sam",
    "Priya",
    "Jordan",
    "Mei",
    "Tomás",
    "Amara",
    "Lena",
    "Omar",
    "Kofi",
    "Hana",
    "Ravi",
    "Sofia",
)
_FAMILY = ("Chen", "Okafor", "Novak", "Haddad", "Ibarra", "Lindqvist", "Tanaka", "Moreau")


def signatories(count: int = 104) -> tuple[Signatory, ...]:
    """The joint letter's signers: security executives and researchers."""
    return tuple(
        Signatory(
            name=f"{_GIVEN[i % len(_GIVEN)]} {_FAMILY[(i // len(_GIVEN)) % len(_FAMILY)]}",
            affiliation=_AFFILIATIONS[i % len(_AFFILIATIONS)],
        )
        for i in range(count)
    )


def at(day: str, hour: int = 14) -> datetime:
    """A story date (2026) at a given UTC hour."""
    month, dom = (int(x) for x in day.split("-"))
    return datetime(2026, month, dom, hour, 0, tzinfo=UTC)


@dataclass
class StoryIds:
    """The ids the story creates, for tests and for what the demo prints."""

    fable: UUID | None = None
    mythos: UUID | None = None
    directive: UUID | None = None
    appeal: UUID | None = None
    last: CommandResult | None = None


Step = tuple[str, Callable[[Regledger, StoryIds], CommandResult]]


def _ctx(actor: Actor, when: datetime) -> CommandContext:
    return CommandContext(actor=actor, effective_at=when)


def steps() -> Iterator[Step]:
    """Each step of the story: a caption and the command that tells it."""
    yield (
        "anthropic registers Fable 5",
        lambda a, s: _set(
            s,
            "fable",
            a.register_model(
                _ctx(ANTHROPIC, at("06-02", 9)), "Fable 5", "General-purpose frontier model."
            ),
        ),
    )
    yield (
        "anthropic registers Mythos 5",
        lambda a, s: _set(
            s,
            "mythos",
            a.register_model(
                _ctx(ANTHROPIC, at("06-02", 9)),
                "Mythos 5",
                "Frontier model for long-horizon agents.",
            ),
        ),
    )
    yield (
        "us-bis orders both suspended for foreign nationals",
        lambda a, s: _set(
            s,
            "directive",
            a.issue_directive(
                _ctx(BIS, at("09-08", 9)),
                REFERENCE,
                "anthropic",
                [_id(s, "fable"), _id(s, "mythos")],
                FOREIGN_NATIONALS,
                "Export Administration Regulations, 15 CFR 744 (national-security end uses)",
                "Published jailbreak techniques could let foreign actors use the models for "
                "offensive cyber operations.",
            ),
        ),
    )
    for key in ("fable", "mythos"):
        yield f"anthropic suspends {key.title()} 5 for all users", _blanket(key)
    yield (
        "anthropic appeals and asks for a stay",
        lambda a, s: _set(
            s,
            "appeal",
            a.file_appeal(
                _ctx(ANTHROPIC, at("09-15")),
                _id(s, "directive"),
                "The alleged issue is limited and no different from risks in other frontier "
                "models; actions should be transparent, technically grounded and follow a "
                "clear process.",
                "Rescind the directive, or narrow it to a verified, selective restriction.",
                True,
            ),
        ),
    )
    yield (
        "anthropic files its red-team evidence",
        lambda a, s: a.add_submission(
            _ctx(ANTHROPIC, at("09-18")),
            _id(s, "appeal"),
            SubmissionKind.EVIDENCE,
            "Red-team assessment of the cited jailbreaks",
            "Independent evaluation: the techniques transfer to every frontier model tested.",
            (),
            False,
            hashlib.sha256(b"red-team assessment v3").hexdigest(),
        ),
    )
    yield (
        "104 security leaders file a joint letter",
        lambda a, s: a.add_submission(
            _ctx(ADOBE, at("09-22")),
            _id(s, "appeal"),
            SubmissionKind.AMICUS_LETTER,
            "Joint letter urging reversal",
            "More than 100 security executives and researchers urge the Bureau to reverse a "
            "blanket restriction that weakens defenders more than attackers.",
            signatories(),
            False,
        ),
    )
    yield (
        "us-bis answers in confidence",
        lambda a, s: a.add_submission(
            _ctx(BIS, at("09-25")),
            _id(s, "appeal"),
            SubmissionKind.RESPONSE,
            "Classified threat assessment (summary)",
            "Intelligence reporting on attempted use of the techniques by state actors.",
            (),
            True,
        ),
    )
    yield (
        "us-bis denies the stay",
        lambda a, s: a.rule_on_stay(
            _ctx(BIS, at("09-29")),
            _id(s, "appeal"),
            False,
            "The risk of harm outweighs the cost of a temporary restriction.",
        ),
    )
    yield (
        "anthropic proposes identity verification",
        lambda a, s: a.make_proposal(
            _ctx(ANTHROPIC, at("10-06")),
            _id(s, "appeal"),
            "Selective restriction with identity verification: foreign nationals in four "
            "countries of concern stay restricted; everyone else verifies identity.",
            PROPOSED,
        ),
    )
    yield (
        "us-bis rejects it",
        lambda a, s: a.reject_proposal(
            _ctx(BIS, at("10-13")),
            _id(s, "appeal"),
            1,
            "Two further countries under comprehensive sanctions must be covered.",
        ),
    )
    yield (
        "us-bis counter-proposes six countries",
        lambda a, s: a.make_proposal(
            _ctx(BIS, at("10-15")),
            _id(s, "appeal"),
            "Identity verification for all users; foreign nationals in six countries restricted.",
            AGREED,
        ),
    )
    yield (
        "anthropic accepts",
        lambda a, s: a.accept_proposal(_ctx(ANTHROPIC, at("10-20")), _id(s, "appeal"), 2),
    )
    yield (
        "us-bis settles the appeal on those terms",
        lambda a, s: a.decide_appeal(
            _ctx(BIS, at("10-27", 9)),
            _id(s, "appeal"),
            Outcome.SETTLED,
            "Settled on the negotiated terms of proposal 2.",
        ),
    )
    for key in ("fable", "mythos"):
        yield f"anthropic restores {key.title()} 5 for everyone", _restore(key)
        yield f"anthropic re-suspends {key.title()} 5 where still required", _narrow(key)


def _set(ids: StoryIds, name: str, result: CommandResult) -> CommandResult:
    setattr(ids, name, result.id)
    return result


def _id(ids: StoryIds, key: str) -> UUID:
    value: UUID | None = getattr(ids, key)
    if value is None:
        raise LookupError(f"the story has not recorded its {key} yet")
    return value


def _blanket(key: str) -> Callable[[Regledger, StoryIds], CommandResult]:
    return lambda a, s: a.suspend_model(
        _ctx(ANTHROPIC, at("09-10", 18)),
        _id(s, key),
        EVERYONE,
        "Complying with the directive by disabling the model for all users.",
        _id(s, "directive"),
    )


def _restore(key: str) -> Callable[[Regledger, StoryIds], CommandResult]:
    return lambda a, s: a.restore_model(
        _ctx(ANTHROPIC, at("10-28", 9)),
        _id(s, key),
        EVERYONE,
        "Restoring access under the settlement.",
        _id(s, "directive"),
        _id(s, "appeal"),
    )


def _narrow(key: str) -> Callable[[Regledger, StoryIds], CommandResult]:
    return lambda a, s: a.suspend_model(
        _ctx(ANTHROPIC, at("10-28", 9)),
        _id(s, key),
        AGREED,
        "Selective restriction required by the settlement.",
        _id(s, "directive"),
        _id(s, "appeal"),
    )


def load_story(app: Regledger, progress: Callable[[str], Any] | None = None) -> StoryIds:
    """Record the whole story; returns the ids it created."""
    ids = StoryIds()
    for caption, step in steps():
        ids.last = step(app, ids)
        if progress is not None:
            progress(caption)
    return ids
