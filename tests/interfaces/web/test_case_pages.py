"""The directive and appeal pages: terms, negotiation thread, filings, and nothing confidential."""

from __future__ import annotations

import pytest

from application.demo import signatories

CONFIDENTIAL = ("Classified threat assessment", "Intelligence reporting on attempted use")


def test_directive_page_shows_its_terms(client, story):
    page = client.get(f"/ui/directives/{story.directive}")

    assert page.status_code == 200
    assert "<h1>Directive BIS-ICTS-2026-0917" in page.text
    assert "Export Administration Regulations, 15 CFR 744 (national-security end uses)" in page.text
    assert "Published jailbreak techniques could let foreign actors" in page.text
    # Amended by the settlement to six countries.
    assert "foreign_national in BY, CN, IR, KP, RU, VE" in page.text
    assert f'<a href="/ui/models/{story.fable}">Fable 5</a>' in page.text


def test_directive_page_shows_whom_it_reaches_and_its_record(client, story):
    page = client.get(f"/ui/directives/{story.directive}")

    reach = page.text[
        page.text.index('id="reach-heading"') : page.text.index('id="appeals-heading"')
    ]
    assert reach.count("foreign_national · ") == 12  # six countries for each of two models
    record = page.text[page.text.index('id="record-heading"') :]
    for event in ("Issued", "AppealLodged", "Amended", "AppealClosed"):
        assert f"<td>{event}</td>" in record
    assert f'href="/ui/appeals/{story.appeal}"' in page.text


def test_appeal_page_shows_grounds_stay_and_decision(client, story):
    page = client.get(f"/ui/appeals/{story.appeal}")

    assert page.status_code == 200
    assert "The alleged issue is limited and no different from risks" in page.text
    assert "Rescind the directive, or narrow it" in page.text
    assert "stay denied by us-bis" in page.text
    assert "The risk of harm outweighs the cost of a temporary restriction." in page.text
    assert "Decided: settled" in page.text


def test_appeal_page_shows_the_negotiation_thread_in_order(client, story):
    page = client.get(f"/ui/appeals/{story.appeal}")

    thread = page.text[
        page.text.index('id="thread-heading"') : page.text.index('id="filings-heading"')
    ]
    first, second = thread.index("Proposal 1"), thread.index("Proposal 2")
    assert first < second
    one, two = thread[first:second], thread[second:]
    assert 'class="proposal side-provider"' in thread[:first]
    assert "foreign nationals in four" in one and "foreign_national in CN, IR, KP, RU" in one
    assert '<span class="badge rejected">rejected</span>' in one
    assert "Two further countries under comprehensive sanctions must be covered." in one
    assert "foreign_national in BY, CN, IR, KP, RU, VE" in two
    assert '<span class="badge accepted">accepted</span>' in two
    assert "Accepted by anthropic" in two


def test_amicus_letter_shows_its_signatory_count_and_a_collapsible_list(client, story):
    page = client.get(f"/ui/appeals/{story.appeal}")

    assert "Joint letter urging reversal" in page.text
    assert "<summary>104 signatories</summary>" in page.text
    listed = page.text[page.text.index('<details class="signatories">') :].split("</details>")[0]
    assert listed.count("<li>") == 104
    first = signatories()[0]
    assert f"<li>{first.name}, {first.affiliation}</li>" in listed


@pytest.mark.parametrize(
    "path",
    [
        "/ui",
        "/ui/models/{fable}",
        "/ui/directives/{directive}",
        "/ui/appeals/{appeal}",
        "/ui/audit",
    ],
)
def test_confidential_content_is_never_on_a_page(client, story, path):
    page = client.get(
        path.format(fable=story.fable, directive=story.directive, appeal=story.appeal)
    )

    assert page.status_code == 200
    for secret in CONFIDENTIAL:
        assert secret not in page.text


def test_a_confidential_submission_shows_only_that_it_was_withheld(client, story):
    page = client.get(f"/ui/appeals/{story.appeal}")

    filings = page.text[page.text.index('id="filings-heading"') :]
    assert "Confidential submission (withheld)" in filings
    assert "#3 response from us-bis" in filings
    assert "confidential submission (withheld)" in filings  # in the record's details too


def test_a_token_in_the_query_reveals_nothing_more(client, story):
    page = client.get(f"/ui/appeals/{story.appeal}?token=whatever")

    for secret in CONFIDENTIAL:
        assert secret not in page.text
