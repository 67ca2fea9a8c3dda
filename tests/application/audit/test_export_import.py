"""Export writes the log with a signed head; import verifies it all before recording anything."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from application.audit.errors import ExportError, ImportRefusedError
from application.audit.export import FORMAT, export_log
from application.audit.importer import import_log
from application.audit.service import AuditLedger
from application.audit.verify import verify
from application.projections.ledger import ledger_of
from application.system import System
from tests.application.audit.conftest import signed_system, tell_story
from tests.application.audit.tamper import Tamper
from tests.conftest import FakeClock


@pytest.fixture
def exported(system: System, story, tmp_path: Path) -> Path:
    """The story's event log, exported."""
    path = tmp_path / "export" / "log.ndjson"
    path.parent.mkdir()
    export_log(system, path)
    return path


@pytest.fixture
def target(tmp_path: Path, clock: FakeClock) -> Iterator[System]:
    """An empty SQLite store with its own ledger key."""
    composed = signed_system(f"sqlite:///{tmp_path}/target.db", clock, Ed25519PrivateKey.generate())
    try:
        yield composed
    finally:
        composed.close()


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _write(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return path


def test_an_export_holds_every_event_then_a_signed_head_over_exactly_them(system, exported):
    *events, closing = _lines(exported)
    assert [e["position"] for e in events] == list(range(1, system.app.max_position() + 1))
    assert set(events[0]) == {
        "position",
        "originator_id",
        "originator_version",
        "topic",
        "state",
        "leaf_hash",
    }
    assert isinstance(events[0]["state"], dict)
    assert closing["format"] == FORMAT
    assert closing["tree_head"]["tree_size"] == len(events)
    assert closing["public_key"] == AuditLedger.for_system(system).latest_tree_head()["public_key"]


def test_an_exported_log_imports_into_an_empty_store_and_verifies(system, exported, target):
    summary = import_log(target, exported)
    assert summary.events == system.app.max_position()
    assert verify(target).ok
    source, copy = ledger_of(system.views), ledger_of(target.views)
    size = source.size(system.app.db)
    assert copy.root(target.app.db, size) == source.root(system.app.db, size)
    assert AuditLedger.for_system(target).latest_tree_head()["tree_size"] == size


def test_imported_aggregates_keep_their_ids_versions_and_state(system, story, exported, target):
    import_log(target, exported)
    original, copy = system.app.get_appeal(story.appeal_id), target.app.get_appeal(story.appeal_id)
    assert (copy.version, copy.submissions) == (original.version, original.submissions)


def test_a_log_exported_elsewhere_imports_into_each_kind_of_store(
    store_url, clock, tmp_path, signing_key
):
    source = signed_system(f"sqlite:///{tmp_path}/source.db", clock, signing_key)
    destination = signed_system(store_url, clock, Ed25519PrivateKey.generate())
    try:
        tell_story(source, clock)
        export_log(source, tmp_path / "log.ndjson")
        import_log(destination, tmp_path / "log.ndjson")
        assert verify(destination).ok
        assert destination.app.max_position() == source.app.max_position()
    finally:
        source.close()
        destination.close()


def test_a_truncated_export_is_refused_and_nothing_is_imported(exported, target):
    text = exported.read_text(encoding="utf-8")
    exported.write_text(text[: text.rindex("\n", 0, -1) + 1], encoding="utf-8")
    with pytest.raises(ImportRefusedError, match="truncated"):
        import_log(target, exported)
    assert target.app.max_position() == 0


def test_an_export_cut_mid_line_is_refused(exported, target):
    text = exported.read_text(encoding="utf-8")
    exported.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ImportRefusedError):
        import_log(target, exported)
    assert target.app.max_position() == 0


def test_an_export_missing_events_under_its_head_is_refused(exported, target):
    lines = _lines(exported)
    with pytest.raises(ImportRefusedError, match="covers"):
        import_log(target, _write(exported, lines[:3] + lines[-1:]))
    assert target.app.max_position() == 0


def test_an_edited_event_is_refused_by_its_leaf_hash(exported, target):
    lines = _lines(exported)
    lines[4]["state"]["reason"] = "Edited after the fact"
    with pytest.raises(ImportRefusedError, match="line 5"):
        import_log(target, _write(exported, lines))
    assert target.app.max_position() == 0


def test_an_edited_event_with_a_recomputed_leaf_is_refused_by_the_root(exported, target):
    from application.projections.digests import event_leaf_hash

    lines = _lines(exported)
    event = lines[4]
    event["state"]["reason"] = "Edited after the fact"
    state = json.dumps(event["state"], sort_keys=True, separators=(",", ":")).encode()
    event["leaf_hash"] = event_leaf_hash(
        event["originator_id"], event["originator_version"], event["topic"], state
    ).hex()
    with pytest.raises(ImportRefusedError, match="root"):
        import_log(target, _write(exported, lines))
    assert target.app.max_position() == 0


def test_a_head_signed_by_another_key_than_it_names_is_refused(exported, target):
    lines = _lines(exported)
    lines[-1]["public_key"] = "A" * 43 + "="
    with pytest.raises(ImportRefusedError, match="signature"):
        import_log(target, _write(exported, lines))


def test_a_head_not_signed_by_the_required_key_is_refused(exported, target):
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    with pytest.raises(ImportRefusedError, match="not the one required"):
        import_log(target, exported, trusted_key=other)
    assert target.app.max_position() == 0


def test_an_import_into_a_store_that_holds_events_is_refused(system, exported):
    before = system.app.max_position()
    with pytest.raises(ImportRefusedError, match="not empty"):
        import_log(system, exported)
    assert system.app.max_position() == before


def test_a_store_that_no_longer_matches_its_ledger_is_not_exported(system, story, tmp_path):
    Tamper(system.app).change_one_byte(3)
    with pytest.raises(ExportError, match="position 3"):
        export_log(system, tmp_path / "log.ndjson")
    assert not (tmp_path / "log.ndjson").exists()
    assert list(tmp_path.glob(".*partial")) == []


def test_an_export_signs_a_head_when_none_covers_the_whole_ledger(system, story, tmp_path):
    from tests.application.story import PROVIDER, ctx

    system.app.register_model(ctx(PROVIDER), "Haiku 5", "Small model")
    system.runner.catch_up()
    summary = export_log(system, tmp_path / "log.ndjson")
    assert summary.tree_head.tree_size == system.app.max_position()
