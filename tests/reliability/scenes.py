"""A negotiating case to act on, and every principal of the tests by name."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from application.persistence.store import parse_url
from application.principals import PrincipalStore
from application.system import System
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.interfaces.api.conftest import (
    EVERYONE,
    MAX_BODY,
    Api,
    TestClient,
    Tokens,
    appeal_body,
    directive_body,
    register_models,
)
from tests.reliability.commands import EXTRA_PRINCIPALS, NARROWER


class Principals:
    """Tokens by name: the api fixture's and the extra ones, None for anonymous."""

    def __init__(self, api: Api, extra: dict[str, str]) -> None:
        self.api = api
        self.extra = extra

    def __getitem__(self, who: str) -> str | None:
        if who == "anonymous":
            return None
        if who in self.extra:
            return self.extra[who]
        return getattr(self.api.tokens, who)  # type: ignore[no-any-return]


def name_principals(api: Api, principals: PrincipalStore) -> Principals:
    """Add the extra principals; every principal by name."""
    extra = {name: principals.add(*grant)[1] for name, grant in EXTRA_PRINCIPALS.items()}
    return Principals(api, extra)


def negotiating_case(api: Api) -> dict[str, Any]:
    """Models, a directive, an appeal with a stay request, Fable suspended, proposal 1 open,
    and a second directive nobody has appealed yet."""
    tokens = api.tokens
    fable, mythos = register_models(api)
    directive = api.ok("/v1/directives", directive_body([fable, mythos]), tokens.bis)["id"]
    appeal = api.ok("/v1/appeals", appeal_body(directive), tokens.anthropic)["id"]
    api.ok(f"/v1/models/{fable}/suspensions", {"scope": EVERYONE, "reason": "x"}, tokens.anthropic)
    api.ok(
        f"/v1/appeals/{appeal}/proposals",
        {"terms": "selective restriction", "proposed_scope": NARROWER},
        tokens.anthropic,
    )
    second = api.ok("/v1/directives", directive_body([mythos], "BIS-2026-0200"), tokens.bis)
    return {
        "fable": fable,
        "mythos": mythos,
        "directive": directive,
        "appeal": appeal,
        "second": second["id"],
    }


@pytest.fixture
def who(api: Api, principals: PrincipalStore) -> Principals:
    """Every principal of the tests by name."""
    return name_principals(api, principals)


@pytest.fixture
def scene(api: Api) -> dict[str, Any]:
    """A negotiating case (see `negotiating_case`)."""
    return negotiating_case(api)


@dataclass
class World:
    """An app on an in-memory store with a negotiating case, shared by tests that record
    nothing (each checks that it did not)."""

    api: Api
    scene: dict[str, Any]
    who: Principals


@contextmanager
def shared_world() -> Iterator[World]:
    """A World, closed afterwards."""
    url = f"memory://world{uuid.uuid4().hex}"
    system = System(parse_url(url))
    settings = Settings(database_url=url, run_projections=False, max_body_bytes=MAX_BODY)
    try:
        with TestClient(create_app(settings, system), raise_server_exceptions=False) as client:
            principals = PrincipalStore(system.app.db, system.app.clock)
            grants = {
                "anthropic": ("anthropic", "provider"),
                "openai": ("openai", "provider"),
                "bis": ("us-bis", "regulator"),
                "eu": ("eu-ai-office", "regulator"),
                "adobe": ("adobe", "stakeholder"),
                "court": ("trade-court", "adjudicator"),
                "auditor": ("kpmg", "auditor"),
            }
            tokens = Tokens(**{k: principals.add(*g)[1] for k, g in grants.items()})
            api = Api(client, tokens, system)
            yield World(api, negotiating_case(api), name_principals(api, principals))
    finally:
        system.close()
