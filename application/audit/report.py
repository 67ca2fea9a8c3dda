"""What a verification found: problems, each with its kind and log position."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from application.audit.replay import ReplayReport

MAX_PROBLEMS = 50
EXACT = frozenset({"modified", "deleted", "inserted"})  # kinds that pinpoint one event


@dataclass(frozen=True)
class Problem:
    """One discrepancy: what kind, where in the log (if known), and a sentence about it."""

    kind: str
    position: int | None
    detail: str

    def __str__(self) -> str:
        return self.detail if self.position is None else f"position {self.position}: {self.detail}"


@dataclass
class VerifyReport:
    """The outcome of `verify`."""

    events_checked: int = 0
    ledger_size: int = 0
    heads_checked: int = 0
    pending: int = 0
    problems: list[Problem] = field(default_factory=list)
    more_problems: int = 0
    replay: ReplayReport | None = None

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.problems

    @property
    def first_problem(self) -> Problem | None:
        """The problem at the first bad position (else the first one found)."""
        position = self.first_bad_position
        at = [p for p in self.problems if p.position == position]
        ranked = [p for p in at if p.kind in EXACT] + at + self.problems
        return ranked[0] if ranked else None

    @property
    def first_bad_position(self) -> int | None:
        """The earliest position found to differ; else where a failing tree head's range starts."""
        exact = [p.position for p in self.problems if p.kind in EXACT and p.position is not None]
        bounds = [p.position for p in self.problems if p.position is not None]
        return min(exact or bounds, default=None)

    def add(self, kind: str, position: int | None, detail: str) -> None:
        """Record a problem (the first MAX_PROBLEMS are kept, the rest counted)."""
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(kind, position, detail))
        else:
            self.more_problems += 1

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "first_bad_position": self.first_bad_position,
            "events_checked": self.events_checked,
            "ledger_size": self.ledger_size,
            "heads_checked": self.heads_checked,
            "pending": self.pending,
            "problems": [p.__dict__ for p in self.problems],
            "more_problems": self.more_problems,
            "replay": None if self.replay is None else self.replay.as_dict(),
        }
