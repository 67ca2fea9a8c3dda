"""The register at /ui: every model with its status now, directives, appeals and open cases."""

from __future__ import annotations

from application.context import CommandContext
from domain.actor import Actor, Role
from domain.scope import Scope


def test_register_lists_every_model_with_a_link_and_its_status_summary(client, story):
    page = client.get("/ui")

    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for name, model_id in (("Fable 5", story.fable), ("Mythos 5", story.mythos)):
        assert f'<a href="/ui/models/{model_id}">{name}</a>' in page.text
    # After the settlement: six countries restricted and suspended, everything else open.
    assert page.text.count("6 of 14") == 4
    assert '<span class="badge compliant">compliant</span>' in page.text


def test_register_lists_the_directive_and_the_appeal(client, story):
    page = client.get("/ui")

    assert f'<a href="/ui/directives/{story.directive}">BIS-ICTS-2026-0917</a>' in page.text
    assert f'href="/ui/appeals/{story.appeal}"' in page.text
    assert "settled" in page.text


def test_register_shows_the_worst_compliance_of_a_model(client, system, story):
    # A blanket suspension before any directive: the model is over-compliant everywhere.
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    held = system.app.register_model(provider, "Opus 9", "held back").id
    system.app.suspend_model(provider, held, Scope.everyone(), "internal review")
    system.runner.catch_up()

    page = client.get("/ui")

    row = page.text[page.text.index("Opus 9") :].split("</tr>")[0]
    assert "over_compliant" in row


def test_register_lists_open_cases(client, system, story):
    regulator = CommandContext(Actor(org="us-bis", role=Role.REGULATOR))
    provider = CommandContext(Actor(org="anthropic", role=Role.PROVIDER))
    directive = system.app.issue_directive(
        regulator,
        "BIS-ICTS-2026-1201",
        "anthropic",
        [story.fable],
        Scope(user_classes=("enterprise",), jurisdictions=("CN",)),
        "EAR 744",
        "new concerns",
    ).id
    appeal = system.app.file_appeal(provider, directive, "no basis", "rescind", False).id
    system.runner.catch_up()

    page = client.get("/ui")

    cases = page.text[page.text.index('id="cases-heading"') :]
    assert f'<a href="/ui/appeals/{appeal}">BIS-ICTS-2026-1201</a>' in cases


def test_an_empty_register_points_to_the_demo(client):
    page = client.get("/ui")

    assert page.status_code == 200
    assert "No model is registered yet" in page.text
    assert "regledger demo" in page.text


def test_the_register_answers_with_a_trailing_slash_too(client, story):
    page = client.get("/ui/", follow_redirects=False)

    assert page.status_code == 308
    assert page.headers["location"] == "/ui"
