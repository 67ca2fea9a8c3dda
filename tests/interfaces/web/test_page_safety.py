"""What the pages never do: run injected markup, leak errors as tracebacks, serve stray files."""

from __future__ import annotations

import uuid

import pytest

from application.context import CommandContext
from domain.actor import Actor, Role
from domain.scope import Scope

SCRIPT = "<script>alert('x')</script>"
IMAGE = '<img src=x onerror="alert(1)">'


@pytest.fixture
def hostile(system):
    """A model whose name and whose suspension's reason are markup."""
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    model = system.app.register_model(provider, SCRIPT, IMAGE).id
    system.app.suspend_model(provider, model, Scope.everyone(), IMAGE)
    system.runner.catch_up()
    return model


def test_names_and_reasons_show_as_text_on_the_register(client, hostile):
    page = client.get("/ui")

    assert SCRIPT not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text


def test_names_and_reasons_show_as_text_on_the_model_page(client, hostile):
    page = client.get(f"/ui/models/{hostile}")

    assert page.status_code == 200
    assert SCRIPT not in page.text
    assert IMAGE not in page.text
    assert "Access timeline of &lt;script&gt;" in page.text
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text


def test_pages_forbid_inline_scripts(client, hostile):
    page = client.get(f"/ui/models/{hostile}")

    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert page.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/ui/models/{unknown}",
        "/ui/models/not-a-uuid",
        "/ui/directives/{unknown}",
        "/ui/appeals/{unknown}",
        "/ui/appeals/{model}",
    ],
)
def test_unknown_records_get_a_not_found_page(client, story, path):
    page = client.get(path.format(unknown=uuid.uuid4(), model=story.fable))

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "This page cannot be shown" in page.text


@pytest.mark.parametrize("query", ["at=yesterday", "known_at=soon", "at=2026-13-01"])
def test_unreadable_as_of_parameters_get_a_page_naming_them(client, story, query):
    page = client.get(f"/ui/models/{story.fable}?{query}")

    assert page.status_code == 422
    assert query.split("=")[0] + " must be" in page.text


def test_the_stylesheet_and_script_are_served(client):
    css = client.get("/ui/static/style.css")
    script = client.get("/ui/static/asof.js")

    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")


@pytest.mark.parametrize("name", ["missing.css", ".hidden", "..%2Froutes.py", "%2E%2E"])
def test_nothing_else_is_served_as_static(client, name):
    assert client.get(f"/ui/static/{name}").status_code == 404


def test_pages_stay_out_of_the_api_description(client):
    paths = client.get("/openapi.json").json()["paths"]

    assert not [p for p in paths if p.startswith("/ui")]
