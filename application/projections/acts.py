"""What the access timeline folds: recorded facts, and a directive as amended up to a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from application.persistence.jsontext import Encoder
from application.projections.stamps import stamp
from domain.scope import Scope, Segment

PROVIDER_ACTS = ("Suspended", "Restored", "Retired")


@dataclass(slots=True)
class Fact:
    """One recorded event as the access timeline sees it (never changed once made).

    Not a frozen dataclass: a rebuild makes one per event, and a frozen class's `__init__`
    (each field set through `object.__setattr__`) takes about four times as long.
    """

    owner_id: str
    position: int
    effective_at: datetime
    name: str
    data: Mapping[str, Any]
    scope: Scope | None = None
    # `stamp(effective_at)` when it was at hand as text (a stored stamp, or the log's own
    # UTC time text); not part of the fact's value.
    stamped: str | None = field(default=None, compare=False, repr=False)

    @property
    def effective_stamp(self) -> str:
        """`stamp(effective_at)`."""
        return self.stamped if self.stamped is not None else stamp(self.effective_at)

    @property
    def order(self) -> tuple[datetime, int]:
        """Where the fact sits on the effective-time axis."""
        return (self.effective_at, self.position)


@dataclass
class DirectiveState:
    """One directive as amended up to some effective time."""

    directive_id: str
    reference: str
    authority: str
    issued_at: datetime
    model_ids: frozenset[str]
    scope: Scope
    expires_at: datetime | None
    positions: list[int]
    stay: Fact | None = None
    appeal: Fact | None = None
    ended: str | None = None
    _basis: tuple[str, ...] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def issued_by(cls, fact: Fact) -> DirectiveState:
        """The directive as its `Issued` event sets it up."""
        assert fact.scope is not None
        return cls(
            directive_id=fact.owner_id,
            reference=fact.data["reference"],
            authority=fact.data["authority"],
            issued_at=fact.effective_at,
            model_ids=frozenset(fact.data["model_ids"]),
            scope=fact.scope,
            expires_at=fact.data["expires_at"],
            positions=[fact.position],
        )

    def apply(self, fact: Fact) -> None:
        """Take one later event of the directive into account."""
        self._basis = None
        name = fact.name
        if name == "Amended":
            self.scope = fact.scope or self.scope
            if fact.data.get("model_ids") is not None:
                self.model_ids = frozenset(fact.data["model_ids"])
            if fact.data.get("expires_at") is not None:
                self.expires_at = fact.data["expires_at"]
            self.positions.append(fact.position)
        elif name == "Stayed":
            self.stay = fact
        elif name == "StayLifted":
            self.stay = None
            self.positions.append(fact.position)
        elif name in ("Rescinded", "Expired"):
            self.ended = self.ended or ("rescinded" if name == "Rescinded" else "expired")
        elif name == "AppealLodged":
            self.appeal = fact
        elif name == "AppealClosed":
            self.appeal = None

    def reaches(self, model_id: str, segment: Segment, at: datetime) -> bool:
        """In effect at `at` for this model and segment, unless stayed."""
        return (
            self.ended is None
            and self.issued_at <= at
            and (self.expires_at is None or at < self.expires_at)
            and model_id in self.model_ids
            and self.scope.covers(segment)
        )

    def state_at(self, at: datetime) -> str:
        """`pending`, `in_force`, `stayed`, `rescinded` or `expired` at `at`."""
        if self.ended is not None:
            return self.ended
        if self.expires_at is not None and at >= self.expires_at:
            return "expired"
        if at < self.issued_at:
            return "pending"
        return "stayed" if self.stay is not None else "in_force"

    def basis(self) -> tuple[str, ...]:
        """Why this directive counts, as JSON items: itself (or its stay) and an open appeal."""
        if self._basis is None:
            self._basis = self._explain()
        return self._basis

    def _explain(self) -> tuple[str, ...]:
        head = {"directive_id": self.directive_id, "reference": self.reference}
        items: list[dict[str, Any]] = []
        if self.stay is None:
            items.append(
                {
                    "kind": "directive",
                    **head,
                    "authority": self.authority,
                    "positions": list(self.positions),
                }
            )
        else:
            items.append(
                {
                    "kind": "stay",
                    **head,
                    "appeal_id": self.stay.data.get("appeal_id"),
                    "positions": [self.stay.position],
                }
            )
        if self.appeal is not None:
            items.append(
                {
                    "kind": "appeal",
                    **head,
                    "appeal_id": self.appeal.data.get("appeal_id"),
                    "positions": [self.appeal.position],
                }
            )
        return tuple(canonical(item) for item in items)


def act_basis(act: Fact) -> str:
    """The explanation a provider act gives, as one JSON item."""
    data = act.data
    return _act_basis(
        act.name,
        act.effective_at,
        data.get("reason"),
        data.get("directive_id"),
        data.get("appeal_id"),
        act.position,
    )


@lru_cache(maxsize=4096)
def _act_basis(
    name: str,
    effective_at: datetime,
    reason: str | None,
    directive_id: str | None,
    appeal_id: str | None,
    position: int,
) -> str:
    return canonical(
        {
            "kind": "provider_act",
            "event": name,
            "effective_at": stamp(effective_at),
            "reason": reason,
            "directive_id": directive_id,
            "appeal_id": appeal_id,
            "positions": [position],
        }
    )


# json.dumps(item, sort_keys=True, separators=(",", ":")), set up once, not per call.
_CANONICAL = Encoder(sort_keys=True)


def canonical(item: Any) -> str:
    """Canonical JSON: sorted keys, no spaces (so equal items are equal text)."""
    return _CANONICAL.encode(item)


def directive_at(facts: Sequence[Fact], at: datetime) -> DirectiveState:
    """A directive as amended up to effective time `at`, from its facts (`Issued` first)."""
    state = DirectiveState.issued_by(facts[0])
    for fact in sorted(facts[1:], key=lambda f: f.order):
        if fact.effective_at > at:
            break
        state.apply(fact)
    return state
