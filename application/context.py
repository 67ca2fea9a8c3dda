"""What every command carries in, and what it hands back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.actor import Actor
from domain.events import aware

if TYPE_CHECKING:
    from application.persistence.recorders import CallerCheck

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Idempotency:
    """An Idempotency-Key presented with a command, and a hash of its request."""

    key: str
    request_hash: str


@dataclass(frozen=True)
class CommandContext:
    """Who acts, when it takes effect, and the caller's preconditions."""

    actor: Actor
    effective_at: datetime | None = None
    expected_version: int | None = None
    idempotency: Idempotency | None = None
    principal_id: str = ""
    # The caller's token, to be found still active where the command is recorded (a token
    # known from an earlier lookup, not looked up for this command).
    caller_check: CallerCheck | None = None

    def effective(self, now: datetime) -> datetime:
        """The command's effective time: as given (made UTC), or now."""
        return aware(self.effective_at) if self.effective_at is not None else now


@dataclass(frozen=True)
class CommandResult:
    """The acknowledgement of a command: aggregate, its new version, the log position."""

    id: UUID
    version: int
    position: int
    extra: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "id": str(self.id),
            "version": self.version,
            "position": self.position,
            **self.extra,
        }
