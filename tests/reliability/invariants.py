"""What must hold of a stored event log after a crash: read straight from the store."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.service import Regledger
from application.system import System

APPEAL = "regledger.appeal:"
DIRECTIVE = "regledger.directive:"

# An appeal event and the directive event that must be recorded with it, in one transaction.
CONSEQUENCE_OF = {
    f"{APPEAL}Filed": f"{DIRECTIVE}AppealLodged",
    f"{APPEAL}StayGranted": f"{DIRECTIVE}Stayed",
    f"{APPEAL}Decided": f"{DIRECTIVE}AppealClosed",
    f"{APPEAL}Withdrawn": f"{DIRECTIVE}AppealClosed",
}


@dataclass(frozen=True)
class Ack:
    """An acknowledged command: what the server answered 2xx with."""

    command: str
    id: UUID
    version: int
    position: int


@dataclass(frozen=True)
class Entry:
    """One stored event with its log position."""

    position: int
    aggregate_id: UUID
    version: int
    topic: str
    event: Any

    @property
    def appeal_id(self) -> UUID | None:
        """The appeal that caused a directive event, if any."""
        return getattr(self.event, "appeal_id", None)


def read_log(app: Regledger) -> list[Entry]:
    """Every stored event, decoded, in position order."""
    entries: list[Entry] = []
    start = 1
    while batch := app.recorder.select_notifications(start=start, limit=1000):
        for n in batch:
            event = app.mapper.to_domain_event(n)
            entries.append(Entry(n.id, n.originator_id, n.originator_version, n.topic, event))
        start = batch[-1].id + 1
    return entries


def lost_acknowledgements(entries: list[Entry], acks: list[Ack]) -> list[str]:
    """Acknowledged commands whose events are not in the log, or not where they were reported.

    A command's response carries the position of its last event; the acknowledged aggregate
    version sits at or before it, in one unbroken run of positions.
    """
    at = {e.position for e in entries}
    position_of = {(e.aggregate_id, e.version): e.position for e in entries}
    problems = []
    for ack in acks:
        own = position_of.get((ack.id, ack.version))
        if own is None:
            problems.append(f"{ack} is not in the log")
        elif not own <= ack.position or not all(p in at for p in range(own, ack.position + 1)):
            problems.append(f"{ack}: its event is at position {own}")
    return problems


def version_gaps(entries: list[Entry]) -> list[str]:
    """Aggregates whose versions are not exactly 1..n."""
    versions: dict[UUID, list[int]] = defaultdict(list)
    for e in entries:
        versions[e.aggregate_id].append(e.version)
    return [
        f"{aggregate}: versions {sorted(found)}"
        for aggregate, found in versions.items()
        if sorted(found) != list(range(1, len(found) + 1))
    ]


def _run_after(entries: list[Entry], index: int, appeal_id: UUID) -> list[Entry]:
    """The directive events recorded right after entries[index] on behalf of an appeal."""
    run = []
    previous = entries[index].position
    for e in entries[index + 1 :]:
        if e.position != previous + 1 or not e.topic.startswith(DIRECTIVE):
            break
        if e.appeal_id != appeal_id:
            break
        run.append(e)
        previous = e.position
    return run


def half_recorded(entries: list[Entry]) -> list[str]:
    """Causes without their consequences, and consequences without their causes.

    One transaction writes its events at consecutive positions, the cause (the appeal's
    event) first; so each consequence must follow its cause with no other event between.
    """
    problems = []
    caused: set[int] = set()
    for i, e in enumerate(entries):
        wanted = CONSEQUENCE_OF.get(e.topic)
        if wanted is None:
            continue
        run = _run_after(entries, i, e.aggregate_id)
        caused.update(r.position for r in run)
        if not run or run[-1].topic != wanted:
            got = [r.topic for r in run]
            problems.append(f"{e.topic} at {e.position} is not followed by {wanted}: {got}")
    for e in entries:
        if e.topic.startswith(DIRECTIVE) and e.appeal_id is not None and e.position not in caused:
            problems.append(f"{e.topic} at {e.position} has no appeal event recorded with it")
    return problems


def view_positions(system: System) -> dict[str, int]:
    """Each view's tracked position."""
    return system.runner.positions()


def history_positions(system: System) -> list[int]:
    """The positions in the history view, in order, duplicates kept."""
    rows = system.app.db.fetchall("SELECT position FROM regledger_history_v2 ORDER BY position")
    return [int(r["position"]) for r in rows]
