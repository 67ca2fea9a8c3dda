"""A clash reported as a store error (PostgreSQL's "pipeline aborted") is answered as a clash.

The race itself needs a loaded PostgreSQL server to show; here the store's report is
simulated: while a command's save is under way, a competing command records first, and the
save then fails with the library's OperationalError, as the pipeline reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eventsourcing.persistence import OperationalError

from application.context import CommandContext, Idempotency
from application.persistence.store import parse_url
from application.service import IdempotentReplay, Regledger
from domain.actor import Actor, Role
from domain.errors import ModelNameTakenError

PROVIDER = Actor(org="anthropic", role=Role.PROVIDER)


@pytest.fixture
def app(store_url: str) -> Iterator[Regledger]:
    built = Regledger(parse_url(store_url))
    try:
        yield built
    finally:
        built.close()


def _save_loses_to(app: Regledger, competitor: Callable[[], Any]) -> None:
    """The next save first lets `competitor` record, then fails as a pipeline abort."""
    real_save = app.save

    def save(*aggregates: Any, **kwargs: Any) -> Any:
        app.save = real_save  # type: ignore[method-assign]
        competitor()
        raise OperationalError("pipeline aborted")

    app.save = save  # type: ignore[method-assign]


def _ctx(key: str | None = None) -> CommandContext:
    idempotency = None if key is None else Idempotency(key, "hash-of-the-same-request")
    return CommandContext(PROVIDER, idempotency=idempotency, principal_id="p-1")


def test_a_retry_that_lost_to_its_twin_gets_the_twins_answer(app: Regledger) -> None:
    first: list[Any] = []
    _save_loses_to(app, lambda: first.append(app.register_model(_ctx("k"), "Fable 5", "m")))

    with pytest.raises(IdempotentReplay) as replay:
        app.register_model(_ctx("k"), "Fable 5", "m")

    assert replay.value.result is not None
    assert (replay.value.result.id, replay.value.result.position) == (
        first[0].id,
        first[0].position,
    )
    assert app.max_position() == first[0].position  # recorded once


def test_a_command_that_lost_a_race_is_refused_by_the_rule_it_lost(app: Regledger) -> None:
    winner: list[Any] = []
    _save_loses_to(app, lambda: winner.append(app.register_model(_ctx(), "Fable 5", "m")))

    with pytest.raises(ModelNameTakenError):
        app.register_model(_ctx(), "Fable 5", "m")

    assert app.max_position() == winner[0].position  # only the winner's event


def test_a_store_error_without_a_clash_stays_a_store_error(app: Regledger) -> None:
    _save_loses_to(app, lambda: None)

    with pytest.raises(OperationalError):
        app.register_model(_ctx("k"), "Fable 5", "m")

    assert app.max_position() == 0
