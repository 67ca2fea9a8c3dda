"""The pages in headless Chromium against a real server holding the demo story."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot

pytestmark = pytest.mark.browser


def chart_rows(page) -> int:  # type: ignore[no-untyped-def]
    return int(page.locator("svg#timeline").get_attribute("data-rows"))


def test_click_through_from_register_to_model_to_appeal(server, page):
    page.goto(f"{server.url}/ui")
    expect(page.get_by_role("heading", name="The register")).to_be_visible()
    screenshot(page, "register", full_page=True)

    page.get_by_role("link", name="Fable 5", exact=True).first.click()
    expect(page.get_by_role("heading", name="Fable 5", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Access timeline of Fable 5")).to_be_visible()
    screenshot(page, "model")

    page.get_by_role("link", name=re.compile("^Appeal by anthropic")).first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Appeal by anthropic")
    expect(page.locator("ol.thread > li")).to_have_count(2)
    expect(page.locator("p.withheld")).to_have_text("Confidential submission (withheld)")
    screenshot(page, "appeal", full_page=True)


def test_moving_the_as_of_slider_redraws_the_chart_with_earlier_knowledge(server, page):
    page.goto(server.model_page())
    before = page.locator("svg#timeline").inner_html()
    rows_before = chart_rows(page)

    with page.expect_navigation():
        page.locator("#known_at").fill("5")

    assert "known_at=5" in page.url
    expect(page.locator("#known-out")).to_have_text("5")
    assert page.locator("svg#timeline").inner_html() != before
    assert chart_rows(page) < rows_before
    expect(page.locator("svg#timeline")).not_to_contain_text("appeal filed")
    screenshot(page, "model-known-at-5")


def test_the_slider_reads_out_its_position_while_it_moves(server, page):
    page.goto(server.model_page())
    slider = page.locator("#known_at")

    slider.evaluate("s => { s.value = 7; s.dispatchEvent(new Event('input')); }")

    expect(page.locator("#known-out")).to_have_text("7")


def test_choosing_an_effective_time_moves_the_cursor_and_the_status(server, page):
    page.goto(server.model_page())
    cursor = page.locator("svg#timeline g.cursor line").get_attribute("x1")

    page.get_by_label("Status at (UTC)").fill("2026-09-09T12:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()

    assert page.locator("svg#timeline g.cursor line").get_attribute("x1") != cursor
    expect(page.locator("svg#timeline")).to_contain_text("as of 9 Sep 2026")
    status = page.locator("table.status")
    expect(status).to_contain_text("non compliant")
    screenshot(page, "model-at-9-september")


def test_the_amicus_letter_lists_its_signatories_on_request(server, page):
    page.goto(f"{server.url}/ui/appeals/{server.demo['ids']['appeal']}")
    names = page.locator("details.signatories li")
    expect(names.first).to_be_hidden()

    page.get_by_text("104 signatories", exact=True).click()

    expect(names.first).to_be_visible()
    expect(names).to_have_count(104)


def test_verify_now_verifies_the_served_record(server, page):
    page.goto(f"{server.url}/ui/audit")
    expect(page.locator("#tree-size")).to_have_text("22")

    with page.expect_navigation():
        page.get_by_role("button", name="Verify now").click()

    expect(page.locator("#verify-result")).to_contain_text("Verified: 22 events")
    screenshot(page, "audit", full_page=True)


def test_the_model_page_fits_a_phone(server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone = context.new_page()
    try:
        phone.goto(server.model_page())
        overflow = phone.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        expect(phone.locator("svg#timeline")).to_be_hidden()
        expect(phone.get_by_role("img", name="Access timeline of Fable 5")).to_be_visible()
        chart = phone.locator("svg#timeline-compact").bounding_box()
        phone.locator("svg#timeline-compact").scroll_into_view_if_needed()
        screenshot(phone, "model-phone")
    finally:
        context.close()
    assert overflow <= 0
    assert chart is not None and 300 < chart["width"] <= 390
