"""The OpenAPI document describes what the API really does."""

from __future__ import annotations

from typing import Any

import pytest

from interfaces.api.app import create_app
from interfaces.api.commands import IF_MATCH_PATTERN
from interfaces.settings import Settings
from tests.interfaces.api.conftest import TestClient

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The generated OpenAPI document (no store needed)."""
    return create_app(Settings(database_url="memory://openapi")).openapi()


def _operations(spec: dict[str, Any], method: str) -> list[tuple[str, dict[str, Any]]]:
    return [(path, item[method]) for path, item in spec["paths"].items() if method in item]


def test_every_command_declares_its_problem_responses_as_problem_json(
    spec: dict[str, Any],
) -> None:
    for path, operation in _operations(spec, "post"):
        for status in ("401", "403", "404", "409", "412", "413", "422"):
            content = operation["responses"][status]["content"]
            assert content == {"application/problem+json": {"schema": PROBLEM_REF}}, path


def test_every_command_requires_a_bearer_token(spec: dict[str, Any]) -> None:
    for path, operation in _operations(spec, "post"):
        assert operation["security"] == [{"HTTPBearer": []}], path


def test_every_command_documents_its_precondition_headers(spec: dict[str, Any]) -> None:
    for path, operation in _operations(spec, "post"):
        headers = {p["name"]: p for p in operation["parameters"] if p["in"] == "header"}
        assert set(headers) == {"If-Match", "Idempotency-Key"}, path
        if_match, key = headers["If-Match"], headers["Idempotency-Key"]
        assert not if_match["required"] and not key["required"], path
        assert if_match["schema"]["pattern"] == IF_MATCH_PATTERN, path
        assert (key["schema"]["minLength"], key["schema"]["maxLength"]) == (1, 200), path
        assert key["schema"]["pattern"] == r"^[\x21-\x7e]+$", path


AUDITOR_ONLY = ("/v1/events", "/v1/events/stream")


def test_every_v1_read_but_the_global_log_admits_anonymous_callers(spec: dict[str, Any]) -> None:
    for path, operation in _operations(spec, "get"):
        if path.startswith("/v1/") and path not in AUDITOR_ONLY:
            assert {} in operation["security"], path


def test_the_global_log_and_its_stream_require_a_token(spec: dict[str, Any]) -> None:
    for path, operation in _operations(spec, "get"):
        if path in AUDITOR_ONLY:
            assert {} not in operation["security"], path


def test_every_request_body_refuses_unknown_fields(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for path, operation in _operations(spec, "post"):
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert schemas[ref.rsplit("/", 1)[1]]["additionalProperties"] is False, path


def test_every_operation_has_a_unique_id_and_a_description(spec: dict[str, Any]) -> None:
    operations = [op for item in spec["paths"].values() for op in item.values()]

    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("description") for op in operations)


def test_the_problem_schema_requires_the_rfc_9457_members(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]

    assert {"type", "title", "status", "detail", "rule"} <= set(problem["required"])


def test_docs_page_loads_the_served_openapi_document() -> None:
    client = TestClient(create_app(Settings(database_url="memory://docs")))

    page = client.get("/docs")
    served = client.get("/openapi.json")

    assert "/openapi.json" in page.text
    assert "/v1/appeals/{appeal_id}/decision" in served.json()["paths"]
