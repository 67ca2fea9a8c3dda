"""The HTTP API on a fresh store of each kind, with principals and a ready-made case."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings

with warnings.catch_warnings():
    # Starlette nudges towards `httpx2`; the project's dev dependency is `httpx`.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

MAX_BODY = 64_000
EVERYONE = {"user_classes": ["*"], "jurisdictions": ["*"]}
FOREIGN = {"user_classes": ["foreign_national"], "jurisdictions": ["*"]}


def bearer(token: str | None) -> dict[str, str]:
    """Authorization header for a token (none for anonymous)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


@dataclass
class Tokens:
    """One principal per role, plus principals that are not party to the case."""

    anthropic: str
    openai: str
    bis: str
    eu: str
    adobe: str
    court: str
    auditor: str


class Api:
    """A test client that speaks as a principal."""

    def __init__(self, client: TestClient, tokens: Tokens, system: System) -> None:
        self.client = client
        self.tokens = tokens
        self.system = system

    def position(self) -> int:
        """The log position of the last recorded event."""
        return self.system.app.max_position()

    def post(self, path: str, body: Any, token: str | None, **headers: str) -> httpx.Response:
        """POST a JSON body as the principal holding `token`."""
        return self.client.post(path, json=body, headers={**bearer(token), **headers})

    def get(self, path: str, token: str | None = None) -> httpx.Response:
        """GET as the principal holding `token` (anonymous by default)."""
        return self.client.get(path, headers=bearer(token))

    def ok(self, path: str, body: Any, token: str) -> dict[str, Any]:
        """POST that must succeed; its JSON body."""
        response = self.post(path, body, token)
        assert response.status_code in (200, 201), response.text
        return response.json()  # type: ignore[no-any-return]


@dataclass
class Case:
    """Two models, a directive against them and an appeal with a stay request."""

    fable: str
    mythos: str
    directive: str
    appeal: str


@pytest.fixture
def system(store_url: str, clock: Any) -> Iterator[System]:
    """The application and its views on a fresh store."""
    built = System(parse_url(store_url), clock=clock)
    try:
        yield built
    finally:
        built.close()


@pytest.fixture
def settings(store_url: str) -> Settings:
    """Settings for a test app (the system is passed in, so no runner thread)."""
    return Settings(database_url=store_url, run_projections=False, max_body_bytes=MAX_BODY)


@pytest.fixture
def client(settings: Settings, system: System) -> Iterator[TestClient]:
    """A client of the app, its lifespan running."""
    with TestClient(create_app(settings, system)) as test_client:
        yield test_client


@pytest.fixture
def principals(system: System) -> PrincipalStore:
    """The principal store of the test system."""
    return PrincipalStore(system.app.db, system.app.clock)


@pytest.fixture
def tokens(principals: PrincipalStore) -> Tokens:
    """Tokens for the story's organisations and a few outsiders."""
    return Tokens(
        anthropic=principals.add("anthropic", "provider")[1],
        openai=principals.add("openai", "provider")[1],
        bis=principals.add("us-bis", "regulator")[1],
        eu=principals.add("eu-ai-office", "regulator")[1],
        adobe=principals.add("adobe", "stakeholder")[1],
        court=principals.add("trade-court", "adjudicator")[1],
        auditor=principals.add("kpmg", "auditor")[1],
    )


@pytest.fixture
def api(client: TestClient, tokens: Tokens, system: System) -> Api:
    """The client, speaking as any of the tokens."""
    return Api(client, tokens, system)


def register_models(api: Api) -> tuple[str, str]:
    """Anthropic registers Fable 5 and Mythos 5."""
    fable = api.ok(
        "/v1/models", {"name": "Fable 5", "description": "frontier"}, api.tokens.anthropic
    )
    mythos = api.ok(
        "/v1/models", {"name": "Mythos 5", "description": "frontier"}, api.tokens.anthropic
    )
    return fable["id"], mythos["id"]


def directive_body(model_ids: list[str], reference: str = "BIS-2026-0117") -> dict[str, Any]:
    """The story's directive: foreign nationals everywhere."""
    return {
        "reference": reference,
        "provider": "anthropic",
        "model_ids": model_ids,
        "scope": FOREIGN,
        "authority": "Export Administration Regulations §744",
        "grounds": "jailbreak techniques could enable offensive cyber operations",
    }


def appeal_body(directive_id: str, stay: bool = True) -> dict[str, Any]:
    """Anthropic's challenge."""
    return {
        "directive_id": directive_id,
        "grounds": "the alleged issue is limited and not specific to these models",
        "requested_relief": "rescind the directive",
        "stay_requested": stay,
    }


@pytest.fixture
def case(api: Api) -> Case:
    """Models registered, the directive issued, the appeal filed with a stay request."""
    fable, mythos = register_models(api)
    directive = api.ok("/v1/directives", directive_body([fable, mythos]), api.tokens.bis)
    appeal = api.ok("/v1/appeals", appeal_body(directive["id"]), api.tokens.anthropic)
    return Case(fable, mythos, directive["id"], appeal["id"])
