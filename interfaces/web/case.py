"""A directive's or an appeal's record as the public pages show it: confidential filings withheld.

The pages speak to anonymous readers, so a confidential submission shows only that it
exists: its kind, who filed it and when. Its title, summary, signatories and document hash
never reach a template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from application.service import Regledger
from domain.actor import Actor
from domain.appeal import Signatory
from domain.scope import Scope
from domain.visibility import event_fields
from interfaces.web.formatting import scope_label, when, words


@dataclass(frozen=True)
class Entry:
    """One recorded event, as a line of the record."""

    position: int
    version: int
    type: str
    actor: Actor | None
    effective_at: datetime | None
    recorded_at: datetime
    details: str


@dataclass
class Answer:
    """How the other party answered a proposal."""

    verdict: str
    actor: Actor
    at: datetime
    reason: str = ""


@dataclass
class ThreadItem:
    """One numbered proposal of the negotiation, with its answer if any."""

    number: int
    side: str
    actor: Actor
    at: datetime
    terms: str
    scope: Scope | None
    status: str = "open"
    answer: Answer | None = None


@dataclass(frozen=True)
class Filing:
    """One submission; `withheld` filings carry no content."""

    number: int
    kind: str
    submitter: Actor
    at: datetime
    withheld: bool
    title: str = ""
    summary: str = ""
    signatories: tuple[Signatory, ...] = ()
    document_sha256: str | None = None


@dataclass(frozen=True)
class Ruling:
    """A stay ruling, a decision or a withdrawal."""

    what: str
    actor: Actor
    at: datetime
    reason: str
    scope: Scope | None = None


@dataclass
class CaseFile:
    """An appeal's public record."""

    grounds: str
    requested_relief: str
    stay_requested: bool
    thread: list[ThreadItem] = field(default_factory=list)
    filings: list[Filing] = field(default_factory=list)
    stay: Ruling | None = None
    decision: Ruling | None = None
    withdrawal: Ruling | None = None
    record: list[Entry] = field(default_factory=list)


def _detail(value: Any) -> str:
    if isinstance(value, Scope):
        return scope_label(value)
    if isinstance(value, datetime):
        return when(value)
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def entry(event: Any, position: int) -> Entry:
    """An event as a line of the record, confidential fields left out."""
    own, withheld = event_fields(event, redact=True)  # the pages are anonymous
    fields = {k: v for k, v in own.items() if k != "confidential" and v not in (None, ())}
    if withheld:
        fields["content"] = "confidential submission (withheld)"
    if "signatories" in fields:
        fields["signatories"] = f"{len(fields['signatories'])} signatories"
    details = "; ".join(f"{words(k)}: {_detail(v)}" for k, v in fields.items())
    return Entry(
        position=position,
        version=event.originator_version,
        type=type(event).__name__,
        actor=getattr(event, "actor", None),
        effective_at=getattr(event, "effective_at", None),
        recorded_at=event.timestamp,
        details=details,
    )


def record(app: Regledger, aggregate_id: UUID) -> tuple[list[Any], list[Entry]]:
    """An aggregate's events, and the same as lines of its public record."""
    positions = app.aggregate_positions(aggregate_id)
    events = [e for e in app.aggregate_events(aggregate_id) if e.originator_version in positions]
    return events, [entry(e, positions[e.originator_version]) for e in events]


def _filing(event: Any) -> Filing:
    if event.confidential:
        return Filing(event.number, event.kind, event.actor, event.effective_at, withheld=True)
    return Filing(
        event.number,
        event.kind,
        event.actor,
        event.effective_at,
        withheld=False,
        title=event.title,
        summary=event.summary,
        signatories=tuple(event.signatories),
        document_sha256=event.document_sha256,
    )


def _apply(case: CaseFile, event: Any, proposals: dict[int, ThreadItem]) -> None:
    name = type(event).__name__
    if name == "SubmissionAdded":
        case.filings.append(_filing(event))
    elif name == "ProposalMade":
        item = ThreadItem(
            event.number,
            str(event.actor.role),
            event.actor,
            event.effective_at,
            event.terms,
            event.proposed_scope,
        )
        proposals[event.number] = item
        case.thread.append(item)
    elif name in ("ProposalAccepted", "ProposalRejected"):
        verdict = "accepted" if name == "ProposalAccepted" else "rejected"
        answer = Answer(verdict, event.actor, event.effective_at, getattr(event, "reason", ""))
        proposals[event.number].answer = answer
    elif name in ("StayGranted", "StayDenied"):
        what = "stay granted" if name == "StayGranted" else "stay denied"
        case.stay = Ruling(what, event.actor, event.effective_at, event.reason)
    elif name == "Decided":
        case.decision = Ruling(
            f"decided: {event.outcome}",
            event.actor,
            event.effective_at,
            event.reasons,
            event.new_scope,
        )
    elif name == "Withdrawn":
        case.withdrawal = Ruling("withdrawn", event.actor, event.effective_at, event.reason)


def case_file(app: Regledger, appeal_id: UUID) -> CaseFile:
    """The appeal's grounds, negotiation thread, filings and rulings, in recorded order."""
    events, lines = record(app, appeal_id)
    filed = events[0]
    case = CaseFile(filed.grounds, filed.requested_relief, filed.stay_requested, record=lines)
    proposals: dict[int, ThreadItem] = {}
    for event in events[1:]:
        _apply(case, event, proposals)
    statuses = {p.number: p.status for p in app.get_appeal(appeal_id).proposals}
    for item in case.thread:
        item.status = statuses.get(item.number, item.status)
    return case
