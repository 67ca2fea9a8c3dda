"""Every route an app serves, found by walking its routers, so new ones are swept too."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI

PARAMETER = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")


@dataclass(frozen=True)
class Route:
    """One method on one path template."""

    method: str
    path: str
    documented: bool

    @property
    def parameters(self) -> list[str]:
        """The path parameters' names."""
        return PARAMETER.findall(self.path)

    def fill(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced."""
        return PARAMETER.sub(lambda m: values[m.group(1)], self.path)


def _walk(routes: Iterable[Any], prefix: str, documented: bool) -> Iterator[Route]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # a router included lazily
            context = route.include_context
            shown = documented and context.include_in_schema
            yield from _walk(inner.routes, prefix + context.prefix, shown)
            continue
        methods = getattr(route, "methods", None) or ()
        for method in sorted(set(methods) - {"HEAD"}):
            shown = documented and getattr(route, "include_in_schema", True)
            yield Route(method, prefix + route.path, shown)


def routes(app: FastAPI) -> list[Route]:
    """Every (method, path) the app answers, in registration order."""
    return list(dict.fromkeys(_walk(app.routes, "", True)))


def required_query(app: FastAPI, route: Route) -> list[str]:
    """Names of the query parameters the OpenAPI document marks required."""
    operation = app.openapi().get("paths", {}).get(route.path, {}).get(route.method.lower(), {})
    return [
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "query" and p.get("required")
    ]
