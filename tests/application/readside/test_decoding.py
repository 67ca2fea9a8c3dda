"""The views read each event's fields from one shared parse, equal to the mapper's event."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from application.persistence.transcoding import RegledgerTranscoder
from application.projections.access_facts import decode, encode, fact_of
from application.projections.base import Item
from application.projections.decoding import EventDecoder, _flat_key, uuid_text
from application.projections.digests import event_leaf_hash
from application.projections.runner import read_log
from application.projections.stamps import stamp
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


@pytest.mark.parametrize(
    "data",
    [
        {"user_classes": ["minor", 1]},  # a list holding a number
        {"user_classes": [["minor"]]},  # a list holding a list
        {"org": {"name": "meta"}},  # an object inside
        {"org": 7},
        {"_type_": "actor", "_data_": "x"},  # a transcoded value, not a value object's data
        ["minor"],
    ],
)
def test_only_text_and_lists_of_text_make_a_sharing_key(data):
    assert _flat_key(data) is None


def test_sharing_keys_differ_wherever_the_data_differs():
    datas = [
        {"user_classes": ["minor"], "jurisdictions": ["FR"]},
        {"user_classes": ["minor"], "jurisdictions": ["FR", "DE"]},
        {"user_classes": ["minor", "FR"], "jurisdictions": []},
        {"user_classes": "minor", "jurisdictions": ["FR"]},
        {"user_classes": None, "jurisdictions": ["FR"]},
        {"user_classes": [], "jurisdictions": ["FR"]},
        {"jurisdictions": ["FR"]},
    ]
    keys = [_flat_key(d) for d in datas]

    assert None not in keys
    assert len(set(keys)) == len(datas)
    assert _flat_key({"user_classes": ["minor"], "jurisdictions": ["FR"]}) == keys[0]


def _logged(app: Regledger) -> list[tuple[Item, Any]]:
    """Items as the runner builds them, from `read_log` (on SQLite each id is the log's text)."""
    decoder = EventDecoder(app.mapper)
    return [
        (
            Item(*row, decoder),
            app.mapper.to_domain_event(StoredEvent(row[2], row[3], row[1], row[4])),
        )
        for row in read_log(app.recorder, 1, 10_000)
    ]


def test_the_runners_reading_of_the_log_gives_every_event_in_order(app, clock):
    play_every_act(app, clock)
    rows = read_log(app.recorder, 3, 10_000)
    notifications = app.recorder.select_notifications(3, limit=10_000)
    assert [(r[0], r[1], UUID(str(r[2])), r[3], bytes(r[4])) for r in rows] == [
        (n.id, n.topic, n.originator_id, n.originator_version, bytes(n.state))
        for n in notifications
    ]
    assert [r[0] for r in read_log(app.recorder, 3, 2)] == [3, 4]


def test_items_read_from_the_log_as_the_runner_reads_it_equal_the_mappers_events(app, clock):
    play_every_act(app, clock)
    app.recorder.insert_events([app.mapper.to_stored_event(e) for e in scheduler_events()])
    items = _logged(app)
    assert len(items) > 30
    seen_ids = seen_times = 0
    for item, event in items:
        assert item.aggregate_key == str(event.originator_id)
        assert item.aggregate_id == event.originator_id
        assert type(item.aggregate_id) is type(event.originator_id)
        assert item.leaf_hash == event_leaf_hash(
            event.originator_id, event.originator_version, item.topic, item.state
        )
        for name in _field_names(event):
            value = getattr(event, name)
            if isinstance(value, UUID) or (value is None and name.endswith("_id")):
                assert item.id_text(name) == (None if value is None else str(value)), name
                seen_ids += value is not None
            if isinstance(value, datetime) or (value is None and name.endswith("_at")):
                assert item.time_text(name) == (None if value is None else value.isoformat())
                seen_times += value is not None
            assert item.get(name) == value, (type(event).__name__, name)
    assert seen_ids > len(items) and seen_times > len(items)


def test_an_id_stored_in_another_form_reads_as_its_uuid_would(app):
    decoder = EventDecoder(app.mapper)
    state = app.mapper.transcoder.encode(
        {"reason": "r", "timestamp": datetime(2026, 1, 2, tzinfo=UTC), "class_version": 1}
    ).replace(
        b'"reason"',
        b'"directive_id":{"_data_":"ABCDEF00ABCDEF00ABCDEF00ABCDEF00",'
        b'"_type_":"uuid_hex"},"reason"',
    )
    item = Item(7, Model.Suspended.TOPIC, str(uuid4()).upper(), 2, state, decoder)
    assert item.id_text("directive_id") == "abcdef00-abcd-ef00-abcd-ef00abcdef00"
    assert item.aggregate_key == str(item.aggregate_id)
    assert item.aggregate_key.islower()
    assert item.leaf_hash == event_leaf_hash(item.aggregate_id, 2, item.topic, state)


@given(st.uuids(), st.sampled_from(["hex", "str", "upper", "braces", "urn", "short"]))
def test_an_ids_text_is_read_off_only_the_forms_it_is_sure_of_however_often_asked(uuid, form):
    text = {
        "hex": uuid.hex,
        "str": str(uuid),
        "upper": str(uuid).upper(),
        "braces": "{" + str(uuid) + "}",
        "urn": uuid.urn,
        "short": uuid.hex[:-1],
    }[form]
    expected = str(uuid) if form in ("hex", "str") else None

    assert [uuid_text(text), uuid_text(text)] == [expected, expected]
    if expected is None and form != "short":
        assert str(UUID(text)) == str(uuid)  # left to `UUID`, which reads these too


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30))]
        ),
    ),
    st.sampled_from(["as stored", "no fraction", "space", "Z", "minus zero"]),
)
def test_a_time_reads_as_its_isoformat_in_whatever_form_it_was_stored(moment, form):
    text = moment.isoformat()
    if form == "no fraction":
        text = moment.replace(microsecond=0).isoformat(timespec="seconds")
    elif form == "space":
        text = text.replace("T", " ")
    elif form == "Z" and text.endswith("+00:00"):
        text = text[:-6] + "Z"
    elif form == "minus zero" and text.endswith("+00:00"):
        text = text[:-6] + "-00:00"
    decoder = EventDecoder(Mapper(transcoder=RegledgerTranscoder()))
    value, same = decoder.time_text({"_type_": "datetime_iso", "_data_": text})  # type: ignore[misc]
    assert value == datetime.fromisoformat(text)
    assert same is None or same == value.isoformat() == text
    if form == "as stored" and moment.utcoffset() == timedelta(0) and moment.microsecond:
        assert same == text  # the log's own stamps are read off as they are


def test_a_facts_stamp_read_off_its_event_is_the_stamp_of_its_time(app, clock):
    play_every_act(app, clock)
    offset = timezone(timedelta(hours=2))
    app.register_model(
        ctx(PROVIDER, effective_at=datetime(2026, 5, 1, 11, tzinfo=offset)), "Z", "d"
    )
    at = datetime(2026, 5, 1, 9, 0, 0, 123456, tzinfo=UTC)  # as the log's own clock stamps
    app.register_model(ctx(PROVIDER, effective_at=at), "Y", "d")
    facts = [f for f in (fact_of(item) for item, _ in _logged(app)) if f is not None]
    assert len(facts) >= 20
    assert [f.stamped for f in facts[-2:]] == [None, "2026-05-01T09:00:00.123456+00:00"]
    for fact in facts:
        assert fact.effective_stamp == stamp(fact.effective_at)
        again = decode(*encode(fact))
        assert again == fact
        assert again.effective_stamp == fact.effective_stamp
    assert facts[-2].effective_stamp == "2026-05-01T09:00:00.000000+00:00"


def test_the_leaf_hash_of_a_state_that_does_not_decode_raises_the_reference_error(app):
    decoder = EventDecoder(app.mapper)
    for stored_id in (uuid4(), uuid4().hex, str(uuid4())):
        broken = Item(99, Model.Registered.TOPIC, stored_id, 1, b"{not json", decoder)
        with pytest.raises(ValueError, match="event state is not valid JSON"):
            broken.leaf_hash  # noqa: B018
