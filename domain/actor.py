"""Principals as they appear on events: one organisation in one role."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def _check_slug(value: str) -> str:
    if not _SLUG.match(value):
        raise ValueError(
            f"organisation {value!r} must be a slug: lowercase letters, digits and '-', "
            "at most 63 characters"
        )
    return value


OrgSlug = Annotated[
    str,
    Field(max_length=63, json_schema_extra={"pattern": r"^[a-z0-9][a-z0-9-]{0,62}$"}),
    AfterValidator(_check_slug),
]


class Role(StrEnum):
    """What a principal may do."""

    REGULATOR = "regulator"
    PROVIDER = "provider"
    STAKEHOLDER = "stakeholder"
    ADJUDICATOR = "adjudicator"
    AUDITOR = "auditor"
    SYSTEM = "system"


class Actor(BaseModel):
    """The acting principal recorded on every event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    org: OrgSlug
    role: Role

    def __str__(self) -> str:
        return f"{self.org} ({self.role})"


SCHEDULER = Actor(org="regledger", role=Role.SYSTEM)
