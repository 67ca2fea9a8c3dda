"""Every command endpoint with a body it accepts, who may call it, and who may not.

Paths and bodies name records of a negotiating case (see `scene` in conftest.py) as
`{fable}`, `{directive}`, `{appeal}` and `{second}` (a directive nobody has appealed yet).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}
NARROWER = {"user_classes": ["foreign_national"], "jurisdictions": ["CN"]}

# Principals besides the api fixture's Tokens: story organisations in roles they do not
# play in the case, to show that a role is never implied by the organisation.
EXTRA_PRINCIPALS = {
    "anthropic_as_stakeholder": ("anthropic", "stakeholder"),
    "anthropic_as_auditor": ("anthropic", "auditor"),
    "bis_as_stakeholder": ("us-bis", "stakeholder"),
    "court_as_stakeholder": ("trade-court", "stakeholder"),
    "nvidia": ("nvidia", "stakeholder"),
}


@dataclass(frozen=True)
class Command:
    """One command endpoint, an accepted body, and who is refused with 403."""

    name: str
    path: str
    body: dict[str, Any]
    allowed: str
    other_org: tuple[str, ...] = ()  # the allowed role, but another organisation
    other_role: tuple[str, ...] = field(default=())  # the allowed organisation, another role


COMMANDS = [
    Command(
        "register model",
        "/v1/models",
        {"name": "Haiku 5", "description": "small"},
        "anthropic",
        other_role=("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
    Command(
        "suspend model",
        "/v1/models/{fable}/suspensions",
        {"scope": EVERYONE, "reason": "x"},
        "anthropic",
        ("openai",),
        ("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
    Command(
        "restore model",
        "/v1/models/{fable}/restorations",
        {"scope": EVERYONE, "reason": "x"},
        "anthropic",
        ("openai",),
        ("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
    Command(
        "retire model",
        "/v1/models/{fable}/retirement",
        {"reason": "x"},
        "anthropic",
        ("openai",),
        ("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
    Command(
        "issue directive",
        "/v1/directives",
        {
            "reference": "BIS-2026-0300",
            "provider": "anthropic",
            "model_ids": ["{fable}"],
            "scope": NARROWER,
            "authority": "EAR §744",
            "grounds": "g",
        },
        "bis",
        other_role=("bis_as_stakeholder",),
    ),
    Command(
        "amend directive",
        "/v1/directives/{directive}/amendments",
        {"scope": NARROWER, "reason": "x"},
        "bis",
        ("eu",),
        ("bis_as_stakeholder",),
    ),
    Command(
        "rescind directive",
        "/v1/directives/{directive}/rescission",
        {"reason": "x"},
        "bis",
        ("eu",),
        ("bis_as_stakeholder",),
    ),
    Command(
        "file appeal",
        "/v1/appeals",
        {"directive_id": "{second}", "grounds": "g", "requested_relief": "r"},
        "anthropic",
        ("openai",),
        ("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
    Command(
        "add submission",
        "/v1/appeals/{appeal}/submissions",
        {"kind": "evidence", "title": "t", "summary": "s"},
        "adobe",
    ),
    Command(
        "rule on stay",
        "/v1/appeals/{appeal}/stay",
        {"granted": False, "reason": "x"},
        "court",
        ("eu",),
        ("court_as_stakeholder", "bis_as_stakeholder"),
    ),
    Command(
        "make proposal",
        "/v1/appeals/{appeal}/proposals",
        {"terms": "counter-offer", "proposed_scope": NARROWER},
        "bis",
        ("eu",),
        ("bis_as_stakeholder",),
    ),
    Command(
        "accept proposal",
        "/v1/appeals/{appeal}/proposals/1/acceptance",
        {},
        "bis",
        ("eu",),
        ("bis_as_stakeholder",),
    ),
    Command(
        "reject proposal",
        "/v1/appeals/{appeal}/proposals/1/rejection",
        {"reason": "x"},
        "bis",
        ("eu",),
        ("bis_as_stakeholder",),
    ),
    Command(
        "decide appeal",
        "/v1/appeals/{appeal}/decision",
        {"outcome": "upheld", "reasons": "r"},
        "court",
        ("eu",),
        ("court_as_stakeholder", "bis_as_stakeholder"),
    ),
    Command(
        "withdraw appeal",
        "/v1/appeals/{appeal}/withdrawal",
        {"reason": "x"},
        "anthropic",
        ("openai",),
        ("anthropic_as_stakeholder", "anthropic_as_auditor"),
    ),
]

# The same paths as route templates, to check that every command route is listed here.
TEMPLATE_OF = {
    "{fable}": "{model_id}",
    "{directive}": "{directive_id}",
    "{second}": "{directive_id}",
    "{appeal}": "{appeal_id}",
    "/1/": "/{proposal_no}/",
}


def template(path: str) -> str:
    """The route template a command path was filled from."""
    for filled, parameter in TEMPLATE_OF.items():
        path = path.replace(filled, parameter)
    return path


def fill(value: Any, ids: dict[str, str]) -> Any:
    """A path or body with the scene's ids filled in."""
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {k: fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value
