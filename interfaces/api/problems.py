"""RFC 9457 problem documents: their shape, how they are sent and how OpenAPI declares them."""

from __future__ import annotations

from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

PROBLEM_BASE = "https://regledger.dev/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"

_TITLES = {413: "Content Too Large"}
_LOCATIONS = ("body", "path", "query", "header", "cookie")


class FieldError(BaseModel):
    """One invalid value in a request."""

    field: str | None = None
    message: str
    type: str


class Problem(BaseModel):
    """An RFC 9457 problem document; extension members may follow."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    rule: str
    field: str | None = None
    errors: list[FieldError] | None = None


def problem(
    status: int,
    rule: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem+json response."""
    body = Problem(
        type=PROBLEM_BASE + rule,
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        rule=rule,
        **extensions,
    )
    return JSONResponse(
        body.model_dump(mode="json", exclude_none=True),
        status_code=status,
        headers=headers,
        media_type=PROBLEM_MEDIA_TYPE,
    )


def _field(loc: Sequence[Any]) -> str | None:
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    if all(isinstance(p, int) for p in parts):  # nothing, or a position in malformed JSON
        return None
    return ".".join(str(p) for p in parts)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Validation errors as the problem's `errors` member."""
    return [
        FieldError(
            field=_field(e.get("loc", ())),
            message=str(e.get("msg", "")).removeprefix("Value error, "),
            type=e["type"],
        )
        for e in errors
    ]


def title_of(status: int) -> str:
    """The problem title for an HTTP status."""
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_DESCRIPTIONS = {
    401: "No valid bearer token",
    403: "The principal may not do this",
    404: "No such record",
    409: "A business rule refuses the command, or a concurrent write won",
    412: "If-Match names a version that is not the current one",
    413: "The request body is too large",
    422: "The request is malformed or a value is not acceptable",
    503: "The projections did not reach the requested position in time",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries declaring problem+json bodies for these statuses."""
    ref = {"$ref": "#/components/schemas/Problem"}
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, HTTPStatus(status).phrase),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": ref}},
        }
        for status in statuses
    }


def problem_schemas() -> dict[str, Any]:
    """The Problem schema and its parts, for the OpenAPI components."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    parts = schema.pop("$defs", {})
    return {"Problem": schema, **parts}
