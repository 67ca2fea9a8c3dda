"""SPEC §1's reference story, told end to end through the HTTP API over several weeks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.interfaces.api.conftest import TestClient, bearer

EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}
FOREIGN = {"user_classes": ["foreign_national"], "jurisdictions": ["*"]}
SELECTIVE = {"user_classes": ["foreign_national"], "jurisdictions": ["CN", "IR", "KP", "RU"]}
AFFILIATIONS = ["Adobe", "Nvidia", "Cisco", "Microsoft", "Palo Alto Networks", "CrowdStrike"]
SIGNATORIES = [
    {"name": f"Security Executive {i + 1}", "affiliation": AFFILIATIONS[i % len(AFFILIATIONS)]}
    for i in range(104)
]


@dataclass
class Story:
    """What the story leaves behind, and a client to read it with."""

    client: TestClient
    tokens: dict[str, str]
    models: list[str]
    directive: str
    appeal: str
    last_position: int
    system: System


class Teller:
    """Moves the clock to each act's date and records the act through the API."""

    def __init__(self, client: TestClient, clock: Any, tokens: dict[str, str]) -> None:
        self.client = client
        self.clock = clock
        self.tokens = tokens
        self.position = 0

    def on(self, day: str, who: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """On `day` (effective then, recorded then), `who` posts `body` to `path`."""
        when = datetime.fromisoformat(day).astimezone(UTC)
        self.clock.now = max(self.clock.now, when)
        response = self.client.post(
            path, json={**body, "effective_at": day}, headers=bearer(self.tokens[who])
        )
        assert response.status_code in (200, 201), response.text
        self.position = response.json()["position"]
        return response.json()  # type: ignore[no-any-return]


def _tell(t: Teller) -> tuple[list[str], str, str]:
    fable = t.on(
        "2026-03-02T09:00:00+00:00",
        "anthropic",
        "/v1/models",
        {"name": "Fable 5", "description": "frontier model"},
    )["id"]
    mythos = t.on(
        "2026-03-02T09:00:00+00:00",
        "anthropic",
        "/v1/models",
        {"name": "Mythos 5", "description": "frontier model"},
    )["id"]
    directive = t.on(
        "2026-05-04T12:00:00-04:00",
        "bis",
        "/v1/directives",
        {
            "reference": "BIS-EAR-2026-0117",
            "provider": "anthropic",
            "model_ids": [fable, mythos],
            "scope": FOREIGN,
            "authority": "Export Administration Regulations, 15 CFR 744",
            "grounds": "jailbreak techniques could enable offensive cyber operations",
        },
    )["id"]
    for model in (fable, mythos):
        t.on(
            "2026-05-05T00:00:00Z",
            "anthropic",
            f"/v1/models/{model}/suspensions",
            {
                "scope": EVERYONE,
                "reason": "comply with BIS-EAR-2026-0117 pending review",
                "directive_id": directive,
            },
        )
    appeal = t.on(
        "2026-05-07T15:00:00Z",
        "anthropic",
        "/v1/appeals",
        {
            "directive_id": directive,
            "stay_requested": True,
            "grounds": "the issue is limited and no different from risks in other frontier models",
            "requested_relief": "rescind; act openly, on technical grounds, by a clear process",
        },
    )["id"]
    cases = f"/v1/appeals/{appeal}"
    t.on(
        "2026-05-12T10:00:00Z",
        "adobe",
        f"{cases}/submissions",
        {
            "kind": "amicus_letter",
            "title": "Joint letter of security leaders",
            "summary": "urging reversal of the blanket restriction",
            "signatories": SIGNATORIES,
            "confidential": False,
        },
    )
    t.on(
        "2026-05-14T10:00:00Z",
        "bis",
        f"{cases}/submissions",
        {
            "kind": "response",
            "title": "Regulator's technical annex",
            "summary": "classified assessment",
            "confidential": True,
            "document_sha256": "e" * 64,
        },
    )
    t.on(
        "2026-05-18T16:00:00Z",
        "bis",
        f"{cases}/stay",
        {"granted": False, "reason": "the risk persists while the appeal runs"},
    )
    t.on(
        "2026-05-26T09:00:00Z",
        "anthropic",
        f"{cases}/proposals",
        {
            "terms": "selective restriction with identity verification",
            "proposed_scope": SELECTIVE,
        },
    )
    t.on("2026-06-02T09:00:00Z", "bis", f"{cases}/proposals/1/acceptance", {})
    t.on(
        "2026-06-09T09:00:00Z",
        "court",
        f"{cases}/decision",
        {"outcome": "settled", "reasons": "the parties agreed selective restriction"},
    )
    for model in (fable, mythos):
        t.on(
            "2026-06-10T08:00:00Z",
            "anthropic",
            f"/v1/models/{model}/restorations",
            {
                "scope": EVERYONE,
                "reason": "settlement",
                "appeal_id": appeal,
            },
        )
        t.on(
            "2026-06-10T08:00:00Z",
            "anthropic",
            f"/v1/models/{model}/suspensions",
            {
                "scope": SELECTIVE,
                "reason": "settled scope with identity verification",
                "directive_id": directive,
                "appeal_id": appeal,
            },
        )
    return [fable, mythos], directive, appeal


def story_tokens(principals: PrincipalStore) -> dict[str, str]:
    """Tokens for the story's four organisations."""
    return {
        "anthropic": principals.add("anthropic", "provider")[1],
        "bis": principals.add("us-bis", "regulator")[1],
        "adobe": principals.add("adobe", "stakeholder")[1],
        "court": principals.add("us-court-of-international-trade", "adjudicator")[1],
    }


@pytest.fixture
def story(store_url: str, clock: Any) -> Iterator[Story]:
    """The whole story, recorded through HTTP on a fresh store."""
    system = System(parse_url(store_url), clock=clock)
    tokens = story_tokens(PrincipalStore(system.app.db, clock))
    settings = Settings(database_url=store_url, run_projections=False)
    try:
        with TestClient(create_app(settings, system)) as client:
            teller = Teller(client, clock, tokens)
            models, directive, appeal = _tell(teller)
            yield Story(client, tokens, models, directive, appeal, teller.position, system)
    finally:
        system.close()


def test_the_settlement_narrows_the_directive_to_the_agreed_scope(story: Story) -> None:
    directive = story.client.get(f"/v1/directives/{story.directive}").json()

    assert directive["scope"] == SELECTIVE
    assert directive["state"] == "in_force"
    assert directive["open_appeal_id"] is None


def test_the_appeal_ends_settled_after_a_denied_stay_and_an_accepted_proposal(
    story: Story,
) -> None:
    appeal = story.client.get(f"/v1/appeals/{story.appeal}").json()

    assert appeal["status"] == "decided"
    assert appeal["outcome"] == "settled"
    assert appeal["stay"] == "denied"
    assert [(p["number"], p["side"], p["status"]) for p in appeal["proposals"]] == [
        (1, "provider", "accepted")
    ]


def test_the_directives_history_shows_the_amendment_caused_by_the_appeal(story: Story) -> None:
    events = story.client.get(f"/v1/directives/{story.directive}/history").json()["events"]

    [amended] = [e for e in events if e["type"] == "Amended"]
    assert amended["data"]["appeal_id"] == story.appeal
    assert amended["data"]["scope"] == SELECTIVE
    assert amended["effective_at"] == "2026-06-09T09:00:00Z"
    assert amended["actor"] == {"org": "us-court-of-international-trade", "role": "adjudicator"}
    assert [e["type"] for e in events] == ["Issued", "AppealLodged", "Amended", "AppealClosed"]


def test_the_provider_went_from_blanket_suspension_to_the_narrower_one(story: Story) -> None:
    for model in story.models:
        acts = story.client.get(f"/v1/models/{model}").json()["acts"]

        assert [(a["action"], a["scope"]) for a in acts] == [
            ("suspended", EVERYONE),
            ("restored", EVERYONE),
            ("suspended", SELECTIVE),
        ]


def test_the_public_sees_the_amicus_letter_but_not_the_confidential_response(
    story: Story,
) -> None:
    letter, response = story.client.get(f"/v1/appeals/{story.appeal}").json()["submissions"]

    assert len(letter["signatories"]) == 104
    assert {s["affiliation"] for s in letter["signatories"]} >= {"Adobe", "Nvidia"}
    assert response["redacted"] is True and response["summary"] is None


def test_every_act_was_recorded_and_the_last_response_names_the_logs_end(story: Story) -> None:
    assert story.last_position == story.system.app.max_position()
