"""Principals: who may call the API, as one organisation in one role holding a bearer token."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from pydantic import ValidationError

from application.context import Clock, utc_now
from application.persistence.database import Database
from application.persistence.recorders import PRINCIPALS_TABLE
from domain.actor import Actor, Role
from domain.errors import InvalidInputError, NotFoundError

TABLE = PRINCIPALS_TABLE
TOKEN_PREFIX = "rl_"
GRANTABLE_ROLES = tuple(r for r in Role if r != Role.SYSTEM)
_MAX_TOKEN_LENGTH = 200
IDENTITIES = 4096  # tokens whose principal a store keeps in memory (see `identify`)

CREATE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    "id TEXT PRIMARY KEY, "
    "org TEXT NOT NULL, "
    "role TEXT NOT NULL, "
    "token_hash TEXT NOT NULL UNIQUE, "
    "created_at TEXT NOT NULL, "
    "revoked_at TEXT)",
]


def token_hash(token: str) -> str:
    """The only form in which a token is stored: its SHA-256, hex encoded."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class Principal:
    """A credential holder: one organisation in one role."""

    id: str
    org: str
    role: Role
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def actor(self) -> Actor:
        """How the principal appears on the events it causes."""
        return Actor(org=self.org, role=self.role)

    @property
    def active(self) -> bool:
        """True until revoked."""
        return self.revoked_at is None


def _principal(row: object) -> Principal:
    revoked = row["revoked_at"]  # type: ignore[index]
    return Principal(
        id=row["id"],  # type: ignore[index]
        org=row["org"],  # type: ignore[index]
        role=Role(row["role"]),  # type: ignore[index]
        created_at=datetime.fromisoformat(row["created_at"]),  # type: ignore[index]
        revoked_at=datetime.fromisoformat(revoked) if revoked else None,
    )


def _actor(org: str, role: str) -> Actor:
    if role not in {str(r) for r in GRANTABLE_ROLES}:
        allowed = ", ".join(str(r) for r in GRANTABLE_ROLES)
        raise InvalidInputError(f"role {role!r} is not one of {allowed}", field="role")
    try:
        return Actor(org=org, role=Role(role))
    except ValidationError as e:
        message = e.errors()[0]["msg"].removeprefix("Value error, ")
        raise InvalidInputError(message, field="org") from None


class PrincipalStore:
    """Principals and their token hashes, in the same database as the events."""

    def __init__(self, db: Database, clock: Clock = utc_now) -> None:
        self.db = db
        self.local = db.is_local  # a lookup callers need not move off their thread
        self.clock = clock
        db.create(CREATE)
        # Token hash -> the principal found holding it, active, when last looked up. Who a
        # token names never changes; only whether it is still active, which `identify`'s
        # callers check where they act.
        self._identities: OrderedDict[str, Principal] = OrderedDict()
        self._identities_lock = threading.Lock()

    def add(self, org: str, role: str) -> tuple[Principal, str]:
        """Create a principal; returns it with its token (shown once, never stored)."""
        actor = _actor(org, str(role))
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        principal = Principal(str(uuid4()), actor.org, actor.role, self.clock())
        self.db.execute(
            f"INSERT INTO {TABLE} (id, org, role, token_hash, created_at, revoked_at) "
            "VALUES (?, ?, ?, ?, ?, NULL)",
            (
                principal.id,
                principal.org,
                str(principal.role),
                token_hash(token),
                principal.created_at.isoformat(),
            ),
        )
        return principal, token

    def list_principals(self) -> list[Principal]:
        """Every principal, revoked ones included, oldest first."""
        rows = self.db.fetchall(f"SELECT * FROM {TABLE} ORDER BY created_at, id")
        return [_principal(r) for r in rows]

    def get(self, principal_id: str) -> Principal:
        """One principal by id."""
        row = self.db.fetchone(f"SELECT * FROM {TABLE} WHERE id = ?", (principal_id,))
        if row is None:
            raise NotFoundError(f"no principal {principal_id}", field="id")
        return _principal(row)

    def revoke(self, principal_id: str) -> Principal:
        """Revoke a principal's token at once; revoking twice changes nothing."""
        principal = self.get(principal_id)
        if not principal.active:
            return principal
        now = self.clock()
        self.db.execute(
            f"UPDATE {TABLE} SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (now.isoformat(), principal_id),
        )
        with self._identities_lock:
            for digest in [d for d, p in self._identities.items() if p.id == principal_id]:
                del self._identities[digest]
        return self.get(principal_id)

    def authenticate(self, token: str) -> Principal | None:
        """The active principal holding this token, or None (looked up on every call)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        row = self.db.read_single(  # hot: every authenticated request
            f"SELECT * FROM {TABLE} WHERE token_hash = ? AND revoked_at IS NULL", (digest,)
        )
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            self.forget(digest)
            return None
        return _principal(row)

    def identify(self, token: str) -> tuple[Principal, str | None] | None:
        """The principal holding `token`, with the token's hash while it is still to check.

        A token this store has found active before is answered from memory, with its hash:
        the caller must find it active again before it acts or answers (in the transaction
        that records a command, see `CallerCheck`, or by `authenticate`). Any other token is
        looked up now: None when unknown or revoked, else its principal and no hash, since
        it has just been checked. Only a store that is not local (PostgreSQL) is worth it:
        there the lookup is a round trip of its own.
        """
        if not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
            return None
        digest = token_hash(token)
        with self._identities_lock:
            known = self._identities.get(digest)
            if known is not None:
                self._identities.move_to_end(digest)
                return known, digest
        principal = self.authenticate(token)
        if principal is None:
            return None
        with self._identities_lock:
            self._identities[digest] = principal
            while len(self._identities) > IDENTITIES:
                self._identities.popitem(last=False)
        return principal, None

    def forget(self, digest: str) -> None:
        """Stop answering the token of this hash from memory (found revoked or unknown)."""
        with self._identities_lock:
            self._identities.pop(digest, None)
