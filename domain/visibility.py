"""Who may read the confidential parts of a case."""

from __future__ import annotations

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
