"""Events are a stored contract: stable topics, exact round trips, canonical bytes, old shapes."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate, event
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from pydantic import BaseModel

from application.service import Regledger
from domain.actor import SCHEDULER, Actor
from domain.appeal import Appeal, Signatory
from domain.directive import Directive
from domain.model import Model
from domain.scope import Scope
from tests.application.story import (
    FOREIGN_NATIONALS,
    PROVIDER,
    REGULATOR,
    Story,
    ctx,
    play_every_act,
)

AGGREGATES: tuple[type[Aggregate], ...] = (Model, Directive, Appeal)
CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def old_suspension_state(now: str) -> bytes:
    """A stored `Suspended` of the first shape: without the fields added since."""
    old_shape = {
        "actor": {"_type_": "actor", "_data_": {"org": "anthropic", "role": "provider"}},
        "effective_at": {"_type_": "datetime_iso", "_data_": now},
        "reason": "blanket shutdown",
        "scope": {"_type_": "scope", "_data_": {"user_classes": ["*"], "jurisdictions": ["*"]}},
        "timestamp": {"_type_": "datetime_iso", "_data_": now},
    }
    return json.dumps(old_shape, sort_keys=True, separators=(",", ":")).encode()


def event_classes() -> Iterator[type[CanMutateAggregate[Any]]]:
    """Every event class the three aggregates record.

    `Event` and `Created` are the library's per-aggregate base classes: never triggered,
    never stored (each aggregate names its own creation event).
    """
    for aggregate in AGGREGATES:
        for name, value in vars(aggregate).items():
            if name in ("Event", "Created"):
                continue
            if isinstance(value, type) and issubclass(value, CanMutateAggregate):
                yield value


EVENT_CLASSES = sorted(event_classes(), key=lambda cls: cls.__qualname__)


def scheduler_events() -> list[CanMutateAggregate[Any]]:
    """The events only the scheduler records (`Expired`, `DeadlinePassed`), made directly."""
    start = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    directive = Directive(
        reference="BIS-SCHED-1",
        regulator=REGULATOR.org,
        provider=PROVIDER.org,
        model_ids=(uuid4(),),
        scope=FOREIGN_NATIONALS,
        authority="ECRA",
        grounds="grounds",
        actor=REGULATOR,
        effective_at=start,
        expires_at=start + timedelta(days=30),
    )
    directive.record_expiry(SCHEDULER, start + timedelta(days=31))
    appeal = Appeal(
        directive_id=directive.id,
        appellant=PROVIDER.org,
        regulator=REGULATOR.org,
        grounds="g",
        requested_relief="r",
        stay_requested=False,
        respond_by=start + timedelta(days=30),
        actor=PROVIDER,
        effective_at=start,
    )
    appeal.record_deadline_passed(SCHEDULER, start + timedelta(days=31))
    return [*directive.collect_events(), *appeal.collect_events()]


@pytest.fixture
def written(app: Regledger, clock: Any, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every kind of event, as the application handed it to the store (in order)."""
    captured: list[Any] = []
    to_stored_event = app.mapper.to_stored_event

    def capture(domain_event: Any) -> StoredEvent:
        captured.append(domain_event)
        return to_stored_event(domain_event)

    monkeypatch.setattr(app.mapper, "to_stored_event", capture)
    play_every_act(app, clock)
    extra = scheduler_events()
    app.recorder.insert_events([capture(e) for e in extra])
    return captured


def stored_rows(app: Regledger) -> list[StoredEvent]:
    return list(app.recorder.select_notifications(1, limit=10_000))


def plain(value: Any) -> Any:
    """A value with sequences compared by content (a JSON array has no tuple/list distinction)."""
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


# --- topics ------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__qualname__)
def test_every_event_class_has_its_own_stable_regledger_topic(cls):
    # The library re-subclasses decorated events, so the topic may sit on a base class;
    # what counts is the string that is stored and that it loads this very class.
    aggregate = cls.__qualname__.split(".")[0].lower()
    stored_topic = cls.TOPIC
    assert stored_topic == f"regledger.{aggregate}:{cls.__name__}"
    assert get_topic(cls) == stored_topic
    assert resolve_topic(stored_topic) is cls


def test_event_topics_are_unique():
    topics = [cls.TOPIC for cls in EVENT_CLASSES]
    assert len(topics) == len(set(topics))


def test_aggregate_topics_are_stable_too():
    for aggregate in AGGREGATES:
        assert aggregate.__dict__["TOPIC"].startswith("regledger.")
        assert resolve_topic(aggregate.TOPIC) is aggregate


@pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__qualname__)
def test_every_event_is_listed_in_the_catalogue(cls):
    assert f"`{cls.TOPIC}`" in CATALOGUE.read_text(encoding="utf-8")


# --- round trips on every store ----------------------------------------------------------------


def test_the_story_writes_every_kind_of_event(app, written):
    assert {type(e) for e in written} == set(EVENT_CLASSES)
    assert {row.topic for row in stored_rows(app)} == {cls.TOPIC for cls in EVENT_CLASSES}


def test_every_stored_event_reads_back_with_the_values_written(app, written):
    by_key = {(e.originator_id, e.originator_version): e for e in written}
    rows = stored_rows(app)
    assert len(rows) == len(written)
    for row in rows:
        back = app.mapper.to_domain_event(row)
        original = by_key[(row.originator_id, row.originator_version)]
        assert type(back) is type(original)
        assert {k: plain(v) for k, v in vars(back).items()} == {
            k: plain(v) for k, v in vars(original).items()
        }, row.topic


def test_value_objects_ids_and_times_keep_their_types(app, written):
    for row in stored_rows(app):
        back = app.mapper.to_domain_event(row)
        original = next(
            e
            for e in written
            if (e.originator_id, e.originator_version)
            == (row.originator_id, row.originator_version)
        )
        for name, value in vars(original).items():
            restored = getattr(back, name)
            for was, now in zip(_leaves(value), _leaves(restored), strict=True):
                assert type(now) is type(was), f"{row.topic}.{name}: {type(now)} != {type(was)}"
                if isinstance(was, datetime):
                    assert now.utcoffset() == timedelta(0) and now == was


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_a_stored_event_reads_back_equal_to_the_one_written(app, written):
    for row in stored_rows(app):
        back = app.mapper.to_domain_event(row)
        assert back in written, row.topic


def test_aggregates_load_back_in_the_state_their_commands_left(app, clock):
    story = play_every_act(app, clock)
    directive = app.get_directive(story.directive_id)
    assert directive.model_ids == story.models
    assert directive.expires_at.tzinfo is not None
    signatories = app.aggregate_events(story.appeal_id)[1].signatories
    assert [s.name for s in signatories] == ["José Müller", "Jane Doe"]
    assert all(isinstance(s, Signatory) for s in signatories)


def test_every_event_records_who_acted_and_when_it_takes_effect(app, written):
    for row in stored_rows(app):
        back = app.mapper.to_domain_event(row)
        assert isinstance(back.actor, Actor), row.topic
        assert back.effective_at.utcoffset() == timedelta(0), row.topic


def test_the_effective_time_defaults_to_now_and_may_be_back_dated(app, clock):
    story = Story(app).register_models()
    back_dated = clock.advance(days=2) - timedelta(days=1)
    app.suspend_model(ctx(PROVIDER, effective_at=back_dated), story.fable, FOREIGN_NATIONALS, "x")
    registered, suspended = app.aggregate_events(story.fable)
    assert registered.effective_at == clock.now - timedelta(days=2)
    assert suspended.effective_at == back_dated


# --- canonical bytes ---------------------------------------------------------------------------


def test_stored_state_is_canonical_json(app, written):
    for row in stored_rows(app):
        canonical = json.dumps(
            json.loads(row.state), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        assert row.state == canonical, row.topic


def test_re_encoding_a_loaded_event_gives_the_same_bytes(app, written):
    for row in stored_rows(app):
        again = app.mapper.to_stored_event(app.mapper.to_domain_event(row))
        assert (again.topic, again.state) == (row.topic, row.state)


def test_value_objects_are_stored_under_their_documented_type_names(app, written):
    rows = {row.topic: json.loads(row.state) for row in stored_rows(app)}
    suspended = rows[Model.Suspended.TOPIC]
    assert suspended["scope"] == {
        "_type_": "scope",
        "_data_": {"user_classes": ["*"], "jurisdictions": ["*"]},
    }
    assert suspended["actor"] == {
        "_type_": "actor",
        "_data_": {"org": "anthropic", "role": "provider"},
    }
    assert suspended["effective_at"]["_type_"] == "datetime_iso"
    assert suspended["directive_id"]["_type_"] == "uuid_hex"
    letter = rows[Appeal.SubmissionAdded.TOPIC]
    assert letter["signatories"][0] == {
        "_type_": "signatory",
        "_data_": {"name": "José Müller", "affiliation": "Adobe"},
    }


# --- old shapes --------------------------------------------------------------------------------


def test_a_stored_suspension_from_before_appeal_links_loads_with_the_default(app):
    story = Story(app).register_models()
    model_id = story.fable
    app.suspend_model(ctx(PROVIDER), model_id, FOREIGN_NATIONALS, "comply")
    state = old_suspension_state(app.clock().isoformat())
    app.recorder.insert_events([StoredEvent(model_id, 3, Model.Suspended.TOPIC, state)])

    suspended = app.aggregate_events(model_id)[-1]
    assert (suspended.directive_id, suspended.appeal_id) == (None, None)
    model = app.get_model(model_id)
    assert model.version == 3
    assert model.suspended_within(Scope.everyone(), app.clock())


def test_every_stored_event_still_loads_without_its_optional_fields(app, written):
    rows = stored_rows(app)
    replayed: dict[UUID, Any] = {}
    for row in rows:
        cls = resolve_topic(row.topic)
        state = json.loads(row.state)
        for field in dataclasses.fields(cls):
            if field.default is not dataclasses.MISSING:
                state.pop(field.name, None)
        stripped = StoredEvent(
            row.originator_id, row.originator_version, row.topic, json.dumps(state).encode()
        )
        domain_event = app.mapper.to_domain_event(stripped)
        replayed[row.originator_id] = domain_event.mutate(replayed.get(row.originator_id))
    last_versions = {row.originator_id: row.originator_version for row in rows}
    assert {key: agg.version for key, agg in replayed.items()} == last_versions


# --- the library's upcasting loop through the project's mapper ---------------------------------


class ContractNote(Aggregate):
    """A throwaway aggregate whose event went through two changes of shape."""

    TOPIC = "regledger.contract-test:ContractNote"

    class Event(Aggregate.Event):
        TOPIC = "regledger.contract-test:Event"

    class Written(Aggregate.Created):
        """v1: {note}; v2 renamed note → text; v3 added severity."""

        TOPIC = "regledger.contract-test:Written"
        class_version = 3
        text: str
        severity: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["text"] = state.pop("note")

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["severity"] = "normal"

    @event(Written)
    def __init__(self, text: str, severity: str) -> None:
        self.text = text
        self.severity = severity


def _v1_row(originator_id: UUID) -> StoredEvent:
    state = {
        "note": "first shape",
        "originator_topic": ContractNote.TOPIC,
        "timestamp": {"_type_": "datetime_iso", "_data_": "2026-05-01T09:00:00+00:00"},
    }
    return StoredEvent(originator_id, 1, ContractNote.Written.TOPIC, json.dumps(state).encode())


def test_the_mapper_upcasts_an_old_stored_event_through_every_version(app):
    upcast = app.mapper.to_domain_event(_v1_row(uuid4()))
    assert (upcast.text, upcast.severity) == ("first shape", "normal")
    assert not hasattr(upcast, "note")


def test_an_upcast_aggregate_loads_from_the_store(app):
    note_id = uuid4()
    app.recorder.insert_events([_v1_row(note_id)])
    note = app.repository.get(note_id)
    assert (note.text, note.severity) == ("first shape", "normal")


def test_a_current_event_is_stored_with_its_class_version_and_not_upcast_again(app):
    note = ContractNote(text="current", severity="high")
    app.save(note)
    row = app.recorder.select_events(note.id)[0]
    assert json.loads(row.state)["class_version"] == 3
    loaded = app.repository.get(note.id)
    assert (loaded.text, loaded.severity) == ("current", "high")


def test_value_objects_are_frozen_pydantic_models():
    for value_object in (Scope, Actor, Signatory):
        assert issubclass(value_object, BaseModel)
        assert value_object.model_config.get("frozen") is True
