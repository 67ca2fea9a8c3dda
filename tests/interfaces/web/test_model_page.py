"""A model's page: the access timeline chart, the "as of" controls and the basis table."""

from __future__ import annotations

import re

from tests.interfaces.web.conftest import rows_of, svg_of

REFERENCE = "BIS-ICTS-2026-0917"


def test_model_page_draws_an_accessible_timeline_chart(client, story):
    page = client.get(f"/ui/models/{story.fable}")

    assert page.status_code == 200
    svg = svg_of(page.text)
    assert 'role="img"' in svg
    assert 'aria-labelledby="timeline-title timeline-desc"' in svg
    assert '<title id="timeline-title">Access timeline of Fable 5</title>' in svg
    assert '<desc id="timeline-desc">' in svg
    assert 'viewBox="0 0 960 ' in svg
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page.text


def test_chart_rows_group_segments_with_identical_timelines(client, story):
    svg = svg_of(client.get(f"/ui/models/{story.fable}").text)

    # Any class anywhere; foreign nationals anywhere; foreign nationals in the six countries.
    assert rows_of(svg) == 3
    assert "any class · anywhere" in svg
    assert "foreign_national · anywhere" in svg
    assert "foreign_national · BY, CN, IR, KP, RU, VE" in svg


def test_chart_colours_operational_status_and_marks_restriction_and_compliance(client, story):
    svg = svg_of(client.get(f"/ui/models/{story.fable}").text)

    assert 'class="bar available unrestricted compliant"' in svg
    assert 'class="bar suspended restricted compliant"' in svg
    # The blanket shutdown went beyond the law; between order and shutdown the law was broken.
    assert 'class="bar suspended unrestricted over_compliant"' in svg
    assert 'class="bar available restricted non_compliant"' in svg
    assert 'fill="url(#hatch-timeline)"' in svg


def test_chart_marks_directive_and_appeal_milestones_with_tooltips(client, story):
    svg = svg_of(client.get(f"/ui/models/{story.fable}").text)

    for label in (
        f"{REFERENCE} issued",
        "appeal filed",
        "stay denied",
        "appeal decided: settled",
        f"{REFERENCE} amended",
    ):
        assert label in svg
    assert f'<a href="/ui/directives/{story.directive}" class="mark directive">' in svg
    assert f'<a href="/ui/appeals/{story.appeal}" class="mark appeal">' in svg
    assert "<title>1. 8 Sep 2026, 09:00 UTC: BIS-ICTS-2026-0917 issued by us-bis" in svg


def test_knowing_less_draws_fewer_rows_and_milestones(client, story):
    everything = svg_of(client.get(f"/ui/models/{story.fable}").text)
    early = svg_of(client.get(f"/ui/models/{story.fable}?known_at=5").text)

    assert early != everything
    assert rows_of(early) < rows_of(everything)
    assert "appeal filed" in everything
    assert "appeal filed" not in early
    assert f"{REFERENCE} issued" in early


def test_known_at_may_be_a_recorded_time(client, story):
    before = client.get(f"/ui/models/{story.fable}?known_at=2000-01-01T00:00:00Z")
    now = client.get(f"/ui/models/{story.fable}?known_at=2100-01-01T00:00:00Z")

    assert "the register did not know it yet" in before.text
    assert rows_of(svg_of(now.text)) == 3


def test_the_as_of_slider_spans_the_model_positions(client, story):
    page = client.get(f"/ui/models/{story.fable}?known_at=8")

    slider = re.search(r'<input type="range"[^>]*>', page.text)
    assert slider is not None
    assert 'name="known_at"' in slider.group(0)
    assert 'min="1"' in slider.group(0)
    assert 'max="22"' in slider.group(0)
    assert 'value="8"' in slider.group(0)
    assert '<label for="known_at">' in page.text
    assert '<label for="at">' in page.text


def test_effective_time_moves_the_cursor_and_the_status_table(client, story):
    now = client.get(f"/ui/models/{story.fable}")
    then = client.get(f"/ui/models/{story.fable}?at=2026-09-09T00:00")

    assert svg_of(then.text) != svg_of(now.text)
    assert "as of 9 Sep 2026" in svg_of(then.text)
    assert "as of 16 Nov 2026" in svg_of(now.text)
    table = then.text[then.text.index('id="status-heading"') :]
    assert "Status on 9 Sep 2026, 00:00 UTC" in table
    assert '<span class="badge non_compliant">non compliant</span>' in table


def test_basis_table_names_directive_authority_and_positions(client, story):
    page = client.get(f"/ui/models/{story.fable}")

    table = page.text[page.text.index('id="status-heading"') :]
    assert f'<a href="/ui/directives/{story.directive}">{REFERENCE}</a>' in table
    assert "Export Administration Regulations, 15 CFR 744" in table
    assert "(positions 3, 17)" in table
    assert "provider suspended: Selective restriction required by the settlement." in table


def test_the_chart_has_a_text_alternative(client, story):
    page = client.get(f"/ui/models/{story.fable}")

    alternative = page.text[page.text.index('<details class="alt">') :]
    assert "The timeline as a table" in alternative
    assert "foreign_national · BY, foreign_national · CN" in alternative
    assert "over compliant" in alternative


def test_a_time_before_registration_is_explained(client, story):
    page = client.get(f"/ui/models/{story.fable}?at=2026-01-01")

    assert page.status_code == 200
    assert "Fable 5 did not exist on 1 Jan 2026" in page.text


def test_a_position_before_registration_is_explained(client, story):
    page = client.get(f"/ui/models/{story.mythos}?known_at=1")

    assert page.status_code == 200
    assert "the register did not know it yet" in page.text
    assert '<svg id="timeline"' not in page.text


def test_the_model_page_links_its_directive_and_appeal(client, story):
    page = client.get(f"/ui/models/{story.mythos}")

    related = page.text[page.text.index('id="related-heading"') :]
    assert f'href="/ui/directives/{story.directive}"' in related
    assert f'href="/ui/appeals/{story.appeal}"' in related


def test_a_compact_chart_for_narrow_screens_numbers_its_milestones(client, story):
    page = client.get(f"/ui/models/{story.fable}").text

    compact = page[page.index('<svg id="timeline-compact"') :].split("</svg>")[0]
    assert 'viewBox="0 0 400 ' in compact
    assert 'aria-labelledby="timeline-compact-title timeline-compact-desc"' in compact
    assert rows_of(compact) == rows_of(svg_of(page))
    assert "appeal filed</text>" not in compact
    assert "appeal filed" in compact  # in the milestone's tooltip
