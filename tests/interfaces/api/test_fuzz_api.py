"""Generated requests from the OpenAPI document never meet a server error or a wrong shape."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from application.principals import PrincipalStore
from interfaces.api.app import create_app
from interfaces.settings import Settings
from tests.interfaces.api.conftest import TestClient

APP = create_app(Settings(database_url=f"memory://fuzz{uuid.uuid4().hex}", run_projections=False))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def token() -> Iterator[str]:
    """The app running on an in-memory store, and a provider's token for it."""
    with TestClient(APP):
        yield PrincipalStore(APP.state.system.app.db).add("anthropic", "provider")[1]


@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_documented_answers(case: schemathesis.Case, token: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[
            schemathesis.checks.positive_data_acceptance,
            schemathesis.checks.negative_data_rejection,
        ],
    )
