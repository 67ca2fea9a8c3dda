"""What every read route shares: its problem responses and the ETag of the version read."""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import BaseModel

from interfaces.api.problems import problem_responses

READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "headers": {
            "ETag": {"description": "The record's current version", "schema": {"type": "string"}}
        }
    },
    **problem_responses(401, 404, 422),
}


def read_route(model: type[BaseModel]) -> dict[str, Any]:
    """Decorator arguments shared by every public read: anonymous callers are welcome."""
    return {
        "response_model": model,
        "responses": READ_RESPONSES,
        "openapi_extra": {"security": [{}]},  # besides the bearer scheme: no token at all
    }


def etag(response: Response, version: int) -> None:
    """Tag a read with the version it shows, for a later If-Match."""
    response.headers["ETag"] = f'"{version}"'
