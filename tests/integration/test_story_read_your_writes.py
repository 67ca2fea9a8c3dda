"""SPEC §1's story through HTTP, the client reading its own writes after every command.

After each act the client asks for the models' access with `min_position` set to the
position the command returned, and must see the register as its own act left it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.conftest import FakeClock
from tests.integration.test_story_http import story_tokens
from tests.interfaces.api.conftest import TestClient, bearer

EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}
FOREIGN = {"user_classes": ["foreign_national"], "jurisdictions": ["*"]}
SELECTIVE = {"user_classes": ["foreign_national"], "jurisdictions": ["CN", "IR", "KP", "RU"]}
SIGNATORIES = [
    {"name": f"Security Executive {i + 1}", "affiliation": ["Adobe", "Nvidia", "Cisco"][i % 3]}
    for i in range(104)
]

# The segments the client asks about: (user_class, jurisdiction).
DOMESTIC = ("domestic", "US")
FOREIGN_CN = ("foreign_national", "CN")
FOREIGN_FR = ("foreign_national", "FR")


class Client:
    """Records each act on its day and reads the access the act left behind."""

    def __init__(self, http: TestClient, clock: FakeClock, tokens: dict[str, str]) -> None:
        self.http = http
        self.clock = clock
        self.tokens = tokens
        self.position = 0

    def act(self, day: str, who: str, path: str, body: dict[str, Any]) -> str:
        """On `day`, `who` posts `body` to `path`; the new record's id."""
        self.clock.now = max(self.clock.now, datetime.fromisoformat(day).astimezone(UTC))
        response = self.http.post(
            path, json={**body, "effective_at": day}, headers=bearer(self.tokens[who])
        )
        assert response.status_code in (200, 201), response.text
        self.position = response.json()["position"]
        return str(response.json()["id"])

    def access(self, model: str, segment: tuple[str, str]) -> tuple[str, str, str]:
        """(operational, legal, compliance) now, read with the last command's position."""
        user_class, jurisdiction = segment
        response = self.http.get(
            f"/v1/models/{model}/access",
            params={
                "user_class": user_class,
                "jurisdiction": jurisdiction,
                "min_position": self.position,
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["position"] >= self.position
        return body["operational_status"], body["legal_status"], body["compliance"]


@pytest.fixture
def client(store_url: str, clock: FakeClock) -> Iterator[Client]:
    """A client of an API whose views follow the log in the background, as in production."""
    system = System(parse_url(store_url), clock=clock, follow=True)
    tokens = story_tokens(PrincipalStore(system.app.db, clock))
    settings = Settings(database_url=store_url, run_projections=True)
    try:
        with TestClient(create_app(settings, system)) as http:
            yield Client(http, clock, tokens)
    finally:
        system.close()


def test_each_act_of_the_story_is_visible_to_the_next_read(client: Client) -> None:
    c = client
    models = [
        c.act(
            "2026-03-02T09:00:00Z",
            "anthropic",
            "/v1/models",
            {"name": name, "description": "frontier model"},
        )
        for name in ("Fable 5", "Mythos 5")
    ]
    for model in models:
        assert c.access(model, FOREIGN_CN) == ("available", "unrestricted", "compliant")

    directive = c.act(
        "2026-05-04T12:00:00-04:00",
        "bis",
        "/v1/directives",
        {
            "reference": "BIS-EAR-2026-0117",
            "provider": "anthropic",
            "model_ids": models,
            "scope": FOREIGN,
            "authority": "Export Administration Regulations, 15 CFR 744",
            "grounds": "jailbreak techniques could enable offensive cyber operations",
        },
    )
    for model in models:
        assert c.access(model, FOREIGN_CN) == ("available", "restricted", "non_compliant")

    for model in models:  # the blanket shutdown, model by model
        c.act(
            "2026-05-05T00:00:00Z",
            "anthropic",
            f"/v1/models/{model}/suspensions",
            {"scope": EVERYONE, "reason": "comply pending review", "directive_id": directive},
        )
        assert c.access(model, DOMESTIC) == ("suspended", "unrestricted", "over_compliant")
        assert c.access(model, FOREIGN_CN) == ("suspended", "restricted", "compliant")

    appeal = c.act(
        "2026-05-07T15:00:00Z",
        "anthropic",
        "/v1/appeals",
        {
            "directive_id": directive,
            "stay_requested": True,
            "grounds": "the issue is limited and no different from other frontier models",
            "requested_relief": "rescind; act openly, on technical grounds, by a clear process",
        },
    )
    case = f"/v1/appeals/{appeal}"
    c.act(
        "2026-05-12T10:00:00Z",
        "adobe",
        f"{case}/submissions",
        {
            "kind": "amicus_letter",
            "title": "Joint letter of security leaders",
            "summary": "urging reversal of the blanket restriction",
            "signatories": SIGNATORIES,
            "confidential": False,
        },
    )
    c.act("2026-05-18T16:00:00Z", "bis", f"{case}/stay", {"granted": False, "reason": "risk"})
    for model in models:  # still shut down for everyone while the parties negotiate
        assert c.access(model, DOMESTIC) == ("suspended", "unrestricted", "over_compliant")

    c.act(
        "2026-05-26T09:00:00Z",
        "anthropic",
        f"{case}/proposals",
        {"terms": "selective restriction with identity verification", "proposed_scope": SELECTIVE},
    )
    c.act("2026-06-02T09:00:00Z", "bis", f"{case}/proposals/1/acceptance", {})
    c.act(
        "2026-06-09T09:00:00Z",
        "court",
        f"{case}/decision",
        {"outcome": "settled", "reasons": "the parties agreed selective restriction"},
    )
    for model in models:  # the settlement frees France in law; the provider has not yet acted
        assert c.access(model, FOREIGN_FR) == ("suspended", "unrestricted", "over_compliant")
        assert c.access(model, FOREIGN_CN) == ("suspended", "restricted", "compliant")

    for model in models:  # the provider restores access as settled
        c.act(
            "2026-06-10T08:00:00Z",
            "anthropic",
            f"/v1/models/{model}/restorations",
            {"scope": EVERYONE, "reason": "settlement", "appeal_id": appeal},
        )
        c.act(
            "2026-06-10T08:00:00Z",
            "anthropic",
            f"/v1/models/{model}/suspensions",
            {"scope": SELECTIVE, "reason": "settled scope", "directive_id": directive},
        )
        assert c.access(model, DOMESTIC) == ("available", "unrestricted", "compliant")
        assert c.access(model, FOREIGN_FR) == ("available", "unrestricted", "compliant")
        assert c.access(model, FOREIGN_CN) == ("suspended", "restricted", "compliant")
