"""The views read each event's fields from one shared parse, equal to the mapper's event."""

from __future__ import annotations

import dataclasses
from typing import Any
from uuid import uuid4

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from application.projections.base import Item
from application.projections.decoding import EventDecoder
from application.projections.digests import event_leaf_hash
from application.service import Regledger
from domain.model import Model
from tests.application.story import PROVIDER, Story, ctx, play_every_act
from tests.application.test_event_contract import (
    ContractNote,
    _v1_row,
    old_suspension_state,
    scheduler_events,
)


def _items(app: Regledger) -> list[tuple[Item, Any]]:
    decoder = EventDecoder(app.mapper)
    return [
        (
            Item(n.id, n.topic, n.originator_id, n.originator_version, n.state, decoder),
            app.mapper.to_domain_event(n),
        )
        for n in app.recorder.select_notifications(1, limit=10_000)
    ]


def _field_names(event: Any) -> set[str]:
    names = set(vars(event))
    if dataclasses.is_dataclass(event):
        names |= {f.name for f in dataclasses.fields(event)}
    return names


def test_every_field_of_every_event_reads_as_the_mappers_event_has_it(app, clock):
    play_every_act(app, clock)
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in scheduler_events()])
    items = _items(app)
    assert len({type(event) for _, event in items}) >= 15
    for item, event in items:
        assert item.aggregate_id == event.originator_id
        assert item.aggregate_key == str(event.originator_id)
        assert item.recorded_at == event.timestamp
        for name in _field_names(event):
            assert item.get(name) == getattr(event, name), (type(event).__name__, name)
            assert type(item.get(name)) is type(getattr(event, name)), name
        assert item.get("no_such_field", "absent") == "absent"


def test_a_field_missing_from_an_old_stored_event_reads_as_the_class_default(app):
    story = Story(app).register_models()
    state = old_suspension_state(app.clock().isoformat())
    app.recorder.insert_events([StoredEvent(story.fable, 2, Model.Suspended.TOPIC, state)])
    item = _items(app)[-1][0]
    assert item.get("reason") == "blanket shutdown"
    assert (item.get("directive_id"), item.get("appeal_id")) == (None, None)


def test_an_event_stored_under_an_older_class_version_is_read_upcast(app):
    app.recorder.insert_events([_v1_row(uuid4())])
    item, event = _items(app)[-1]
    assert (item.get("text"), item.get("severity")) == ("first shape", "normal")
    assert item.get("note") is None
    assert (event.text, event.severity) == ("first shape", "normal")


def test_an_event_of_the_current_class_version_is_read_from_its_state(app):
    app.save(ContractNote(text="current", severity="high"))
    item = _items(app)[-1][0]
    assert (item.get("text"), item.get("severity")) == ("current", "high")


def test_a_state_that_does_not_decode_raises_the_mappers_error(app):
    app.register_model(ctx(PROVIDER), "Fable 5", "frontier model")
    decoder = EventDecoder(app.mapper)
    broken = Item(99, Model.Registered.TOPIC, uuid4(), 1, b"{not json", decoder)
    with pytest.raises(MapperDeserialisationError):
        broken.get("name")


def test_the_shared_parse_gives_the_leaf_hash_of_the_stored_bytes(app, clock):
    play_every_act(app, clock)
    for item, event in _items(app):
        assert item.leaf_hash == event_leaf_hash(
            event.originator_id, event.originator_version, item.topic, item.state
        )


def test_equal_value_objects_decode_to_one_shared_instance(app, clock):
    play_every_act(app, clock)
    actors = [item.get("actor") for item, _ in _items(app) if item.get("actor") is not None]
    by_value: dict[Any, Any] = {}
    for actor in actors:
        assert by_value.setdefault(actor, actor) is actor
