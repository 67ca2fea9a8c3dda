"""Who may read the confidential parts of a case."""

from __future__ import annotations

from typing import Any

from domain.actor import Actor, Role

PRIVILEGED_ROLES = frozenset({Role.ADJUDICATOR, Role.AUDITOR})


def sees_confidential(
    viewer: Actor | None, appellant: str, regulator: str, submitter: Actor | None = None
) -> bool:
    """The parties, adjudicators, auditors and the submitter itself see confidential filings."""
    if viewer is None:
        return False
    if viewer.role in PRIVILEGED_ROLES or viewer == submitter:
        return True
    if viewer.role == Role.PROVIDER and viewer.org == appellant:
        return True
    return viewer.role == Role.REGULATOR and viewer.org == regulator


# What every event carries besides its own fields: shown beside them, not among them.
ENVELOPE_FIELDS = frozenset(
    {
        "originator_id",
        "originator_version",
        "originator_topic",
        "timestamp",
        "actor",
        "effective_at",
    }
)
# The content of a confidential filing, withheld from those who may not see it.
CONFIDENTIAL_FIELDS = frozenset({"title", "summary", "signatories", "document_sha256"})


def event_fields(event: object, redact: bool) -> tuple[dict[str, Any], bool]:
    """An event's own fields, a confidential filing's content left out when `redact`.

    The second value tells whether anything was left out.
    """
    fields = {k: v for k, v in vars(event).items() if k not in ENVELOPE_FIELDS}
    hidden = redact and bool(fields.get("confidential"))
    if hidden:
        fields = {k: v for k, v in fields.items() if k not in CONFIDENTIAL_FIELDS}
    return fields, hidden
