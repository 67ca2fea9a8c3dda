"""Who may read the confidential parts of a case (the rule lives in the domain)."""

from domain.visibility import PRIVILEGED_ROLES, sees_confidential

__all__ = ["PRIVILEGED_ROLES", "sees_confidential"]
