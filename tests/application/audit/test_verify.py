"""`verify` recomputes the ledger from the stored events and names the first bad position."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.heads import HEADS_TABLE
from application.audit.verify import verify
from application.projections.digests import event_leaf_hash
from application.projections.history import HistoryView
from application.projections.ledger import LEAVES_TABLE, enable_signing, ledger_of
from tests.application.audit.conftest import EVERY
from tests.application.audit.tamper import Tamper
from tests.application.story import PROVIDER, Story, ctx


def _raw(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes_raw()


def test_an_untouched_store_verifies(system, story, signing_key):
    report = verify(system, _raw(signing_key))
    assert report.ok, report.problems
    assert report.first_bad_position is None
    assert report.events_checked == system.app.max_position()
    assert report.heads_checked == report.ledger_size // 4
    assert report.replay is not None and report.replay.ok


def test_one_changed_byte_in_a_stored_event_is_named_by_position(system, story):
    Tamper(system.app).change_one_byte(7)
    report = verify(system, views=False)
    assert not report.ok
    assert report.first_bad_position == 7
    assert report.problems[0].kind == "modified"


def test_a_deleted_event_is_named_by_position(system, story):
    Tamper(system.app).delete(5)
    report = verify(system, views=False)
    assert report.first_bad_position == 5
    assert report.problems[0].kind == "deleted"


def test_two_swapped_events_are_found_at_the_first_of_them(system, story):
    Tamper(system.app).swap(4, 9)
    report = verify(system, views=False)
    assert report.first_bad_position == 4
    assert {p.position for p in report.problems if p.kind == "modified"} == {4, 9}


def test_a_forged_event_slipped_in_between_is_named_by_position(system, story):
    tamper = Tamper(system.app)
    tamper.insert_before(6, tamper.forged_row(3))
    report = verify(system, views=False)
    assert report.first_bad_position == 6


def test_a_forged_event_in_a_gap_of_the_log_is_found_as_inserted(system, clock):
    tamper = Tamper(system.app)
    story = Story(system.app).register_models()
    gap = tamper.open_gap(width=2)
    story.issue_directive().shut_down_everywhere()
    tamper.close_gap(gap)
    system.runner.catch_up()
    assert verify(system, views=False).ok, "gaps in the log are not tampering"
    tamper.insert(3, tamper.forged_row(1))
    report = verify(system, views=False)
    assert report.first_bad_position == 3
    assert [p.kind for p in report.problems if p.position == 3] == ["inserted"]


def test_rewriting_an_event_together_with_its_leaf_is_caught_by_the_tree_heads(system, story):
    tamper = Tamper(system.app)
    tamper.change_one_byte(6)
    row = tamper.row(6)
    forged = event_leaf_hash(
        str(row["originator_id"]), row["originator_version"], row["topic"], bytes(row["state"])
    )
    system.app.db.execute(f"UPDATE {LEAVES_TABLE} SET leaf_hash=? WHERE position=?", (forged, 6))
    report = verify(system, views=False)
    kinds = {p.kind for p in report.problems}
    assert "modified" not in kinds
    assert {"subtree", "tree-head"} <= kinds
    assert report.first_bad_position == 5, "the first head after the change covers 5..8"


def test_a_tree_head_with_a_forged_signature_is_reported(system, story):
    system.app.db.execute(
        f"UPDATE {HEADS_TABLE} SET signature=? WHERE tree_size=?",
        ("A" * 86 + "==", 8),
    )
    report = verify(system, views=False)
    assert [p.kind for p in report.problems] == ["signature"]
    assert "size 8" in report.problems[0].detail


def test_tree_heads_signed_by_another_key_are_reported(system, story):
    report = verify(system, _raw(Ed25519PrivateKey.generate()), views=False)
    assert report.problems and {p.kind for p in report.problems} == {"signature"}


def test_events_the_ledger_has_not_reached_are_pending_not_wrong(system, story):
    system.app.register_model(ctx(PROVIDER), "Haiku 5", "Small model")
    report = verify(system, views=False)
    assert report.ok
    assert report.pending == 1


def test_a_view_that_differs_from_its_replay_fails_verification(system, story):
    system.app.db.execute("UPDATE regledger_history_v2 SET actor_org='nobody' WHERE position=2")
    report = verify(system)
    assert [p.kind for p in report.problems] == ["view"]
    assert HistoryView.name in report.problems[0].detail


@pytest.mark.parametrize("position", [1, 16])
def test_the_first_and_last_events_are_covered_too(system, story, position):
    Tamper(system.app).change_one_byte(position)
    assert verify(system, views=False).first_bad_position == position


def test_a_stored_event_that_is_no_longer_json_is_found_and_stops_the_replay(system, story):
    system.app.db.execute(
        f"UPDATE {system.app.store.events_table} SET state=? WHERE "
        f"{'notification_id' if system.app.db.is_postgres else 'rowid'}=?",
        (b"not json at all", 11),
    )
    report = verify(system)
    assert report.first_bad_position == 11
    assert report.first_problem is not None and report.first_problem.kind == "modified"
    assert report.replay is not None and report.replay.stopped_at == 11
    assert "replay" in {p.kind for p in report.problems}


def test_a_state_rewritten_as_text_by_sql_is_found(system, story):
    if system.app.db.is_postgres:
        pytest.skip("a bytea column holds bytes only")
    system.app.db.execute(
        "UPDATE stored_events SET state=replace(state, 'Frontier', 'Frontiel') WHERE rowid=1"
    )
    assert verify(system).first_bad_position == 1


def test_after_a_key_rotation_heads_of_both_keys_verify_when_both_are_trusted(
    system, story, signing_key, clock
):
    newer = Ed25519PrivateKey.generate()
    enable_signing(system.views, newer, EVERY, clock)
    system.app.register_model(ctx(PROVIDER), "Haiku 5", "Small model")
    system.runner.catch_up()
    ledger_of(system.views).sign_now(system.app.db)

    both = verify(system, [_raw(signing_key), _raw(newer)], views=False)
    only_new = verify(system, [_raw(newer)], views=False)

    assert both.ok, both.problems
    assert not only_new.ok
    assert all("not a trusted key" in p.detail for p in only_new.problems)
