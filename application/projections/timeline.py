"""The access timeline of one model: a pure fold of its recorded facts over effective time.

Every act applies on the effective-time axis in (effective_at, log position) order. A
directive's `Issued` event is its base; each later event of the directive changes it from
that event's own effective time (never before the directive's own effective time). The
fold therefore has one property the projection relies on: a fact effective at `t` changes
no answer for a time before `t`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from itertools import product

from application.projections.acts import PROVIDER_ACTS, DirectiveState, Fact, act_basis
from domain.scope import WILDCARD, Segment

RESTRICTED, UNRESTRICTED = "restricted", "unrestricted"
AVAILABLE, SUSPENDED = "available", "suspended"
COMPLIANT, OVER_COMPLIANT, NON_COMPLIANT = "compliant", "over_compliant", "non_compliant"


def compliance_of(legal: str, operational: str) -> str:
    """What the provider's act means against the law for one segment."""
    if legal == RESTRICTED and operational == AVAILABLE:
        return NON_COMPLIANT
    if legal == UNRESTRICTED and operational == SUSPENDED:
        return OVER_COMPLIANT
    return COMPLIANT


@dataclass
class ModelFacts:
    """Everything recorded so far that bears on one model's access."""

    model_id: str
    registered: Fact
    acts: list[Fact] = field(default_factory=list)
    directives: dict[str, list[Fact]] = field(default_factory=dict)
    classes: set[str] = field(default_factory=lambda: {WILDCARD})
    places: set[str] = field(default_factory=lambda: {WILDCARD})

    def grid(self) -> list[Segment]:
        """Mentioned user classes and jurisdictions, plus `*`, crossed."""
        return list(_grid(tuple(sorted(self.classes)), tuple(sorted(self.places))))


@lru_cache(maxsize=1024)
def _grid(classes: tuple[str, ...], places: tuple[str, ...]) -> tuple[Segment, ...]:
    return tuple(Segment(user_class=u, jurisdiction=j) for u, j in product(classes, places))


@dataclass
class Interval:
    """One stretch of effective time over which a segment's decision does not change."""

    valid_from: datetime
    valid_to: datetime | None
    legal: str
    operational: str
    compliance: str
    since: datetime
    basis: tuple[str, ...]

    def same_decision(self, legal: str, operational: str, basis: tuple[str, ...]) -> bool:
        """True when nothing an access decision reports would differ."""
        return (self.legal, self.operational, self.basis) == (legal, operational, basis)

    def basis_json(self) -> str:
        """The basis as one canonical JSON list."""
        return "[" + ",".join(self.basis) + "]"


def timeline(
    facts: ModelFacts,
    segments: Sequence[Segment],
    start: datetime,
    carry: Mapping[Segment, Interval] | None = None,
) -> dict[Segment, list[Interval]]:
    """Each segment's intervals from `start` on (from registration if `start` is earlier).

    `carry` holds, per segment, the interval in force just before `start`; it is
    extended when the decision at `start` is the same, and ends at `start` otherwise.
    """
    start = max(start, facts.registered.effective_at)
    return _Sweep(facts, segments, start, carry or {}).run()


class _Sweep:
    def __init__(
        self,
        facts: ModelFacts,
        segments: Sequence[Segment],
        start: datetime,
        carry: Mapping[Segment, Interval],
    ) -> None:
        self.model_id = facts.model_id
        self.segments = list(segments)
        self.start = start
        self.directives = sorted(
            (DirectiveState.issued_by(fs[0]) for fs in facts.directives.values() if fs),
            key=lambda d: d.positions[0],
        )
        self.by_id = {d.directive_id: d for d in self.directives}
        self.events = sorted(
            [f for fs in facts.directives.values() for f in fs[1:]] + list(facts.acts),
            key=lambda f: f.order,
        )
        self.points = _breakpoints(facts, self.events, start)
        self.acts: list[Fact] = []
        self.retired: Fact | None = None
        self.current: dict[Segment, Fact | None] = {}
        self.out: dict[Segment, list[Interval]] = {}
        for segment in self.segments:
            prior = carry.get(segment)
            self.out[segment] = [] if prior is None else [_reopen(prior)]

    def run(self) -> dict[Segment, list[Interval]]:
        i = self._fold_until(0, self.start, track=False)
        for segment in self.segments:
            self.current[segment] = _last_covering(self.acts, segment)
        for point in self.points:
            i = self._fold_until(i, point, track=True)
            for segment in self.segments:
                self._record(segment, point)
        return self.out

    def _fold_until(self, i: int, point: datetime, track: bool) -> int:
        while i < len(self.events) and self.events[i].effective_at <= point:
            fact = self.events[i]
            if fact.name in PROVIDER_ACTS:
                self._act(fact, track)
            else:
                self.by_id[fact.owner_id].apply(fact)
            i += 1
        return i

    def _act(self, fact: Fact, track: bool) -> None:
        if fact.name == "Retired":
            self.retired = fact
            return
        self.acts.append(fact)
        if track:
            assert fact.scope is not None
            for segment in self.segments:
                if fact.scope.covers(segment):
                    self.current[segment] = fact

    def _decide(self, segment: Segment, at: datetime) -> tuple[str, str, tuple[str, ...]]:
        basis: list[str] = []
        legal = UNRESTRICTED
        for directive in self.directives:
            if directive.reaches(self.model_id, segment, at):
                if directive.stay is None:
                    legal = RESTRICTED
                basis.extend(directive.basis())
        act = self.retired or self.current[segment]
        operational = AVAILABLE
        if act is not None:
            operational = AVAILABLE if act.name == "Restored" else SUSPENDED
            basis.append(act_basis(act))
        return legal, operational, tuple(basis)

    def _record(self, segment: Segment, point: datetime) -> None:
        legal, operational, basis = self._decide(segment, point)
        intervals = self.out[segment]
        last = intervals[-1] if intervals else None
        if last is not None and last.same_decision(legal, operational, basis):
            return
        since = point
        if last is not None:
            last.valid_to = point
            if (last.legal, last.operational) == (legal, operational):
                since = last.since
        intervals.append(
            Interval(
                point, None, legal, operational, compliance_of(legal, operational), since, basis
            )
        )


def _reopen(prior: Interval) -> Interval:
    return Interval(
        prior.valid_from,
        None,
        prior.legal,
        prior.operational,
        prior.compliance,
        prior.since,
        prior.basis,
    )


def _last_covering(acts: Sequence[Fact], segment: Segment) -> Fact | None:
    for act in reversed(acts):
        assert act.scope is not None
        if act.scope.covers(segment):
            return act
    return None


def _breakpoints(facts: ModelFacts, events: Sequence[Fact], start: datetime) -> list[datetime]:
    """Every effective time from `start` on at which some decision may change."""
    points = {start}
    for fs in facts.directives.values():
        for fact in fs:
            points.add(fact.effective_at)
            if fact.data.get("expires_at") is not None:
                points.add(fact.data["expires_at"])
    points.update(e.effective_at for e in events)
    return sorted(p for p in points if p >= start)
