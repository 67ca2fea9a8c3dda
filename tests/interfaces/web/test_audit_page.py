"""The audit page: the latest signed tree head, and a button that verifies everything."""

from __future__ import annotations

from application.audit.service import AuditLedger
from interfaces.web.pages import VERIFYING
from tests.application.audit.tamper import Tamper


def test_audit_page_shows_the_latest_signed_tree_head(client, system, story):
    head = AuditLedger.for_system(system).latest_tree_head()

    page = client.get("/ui/audit")

    assert page.status_code == 200
    assert f'<dd id="tree-size">{head["tree_size"]}</dd>' in page.text
    for value in ("root_hash", "key_id", "public_key", "signature", "timestamp"):
        assert str(head[value]) in page.text
    assert '<form method="post" action="/ui/audit/verify">' in page.text


def test_audit_page_without_a_tree_head_says_so(client):
    page = client.get("/ui/audit")

    assert page.status_code == 200
    assert "No tree head has been signed yet" in page.text


def test_verify_now_reports_an_untouched_record_as_verified(client, story):
    page = client.post("/ui/audit/verify")

    assert page.status_code == 200
    assert "Verified: 22 events and 4 signed tree heads; every view matches its replay." in (
        page.text
    )


def test_verify_now_names_the_first_bad_position_of_a_tampered_record(client, system, story):
    Tamper(system.app).change_one_byte(9)

    page = client.post("/ui/audit/verify")

    assert page.status_code == 200
    assert "Verification failed: first bad position 9." in page.text


def test_only_one_verification_runs_at_a_time(client, story):
    with VERIFYING:
        page = client.post("/ui/audit/verify")

    assert page.status_code == 200
    assert "another verification is running" in page.text
