"""Lists of models, directives and appeals: filters and paging."""

from __future__ import annotations

import pytest

from application.context import CommandContext
from domain.actor import Actor, Role
from domain.errors import InvalidInputError, NotFoundError
from domain.scope import Scope
from tests.application.readside.conftest import ANTHROPIC, US_BIS, as_, day

OPENAI = Actor(org="openai", role=Role.PROVIDER)


def test_models_list_in_registration_order_filtered_by_provider(system, queries):
    first = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    system.app.register_model(CommandContext(OPENAI), "Other", "m")
    second = system.app.register_model(as_(ANTHROPIC), "Mythos 5", "m").id
    system.runner.catch_up()

    page = queries.list_models(provider="anthropic")

    assert [m.id for m in page.items] == [first, second]
    assert page.next_after is None


def test_models_page_through_with_after(system, queries):
    ids = [system.app.register_model(as_(ANTHROPIC), f"M{i}", "m").id for i in range(5)]
    system.runner.catch_up()

    first = queries.list_models(limit=2)
    second = queries.list_models(limit=2, after=first.next_after)
    last = queries.list_models(limit=2, after=second.next_after)

    assert [m.id for m in first.items + second.items + last.items] == ids
    assert last.next_after is None


def test_a_limit_out_of_range_is_refused(system, queries):
    with pytest.raises(InvalidInputError):
        queries.list_models(limit=0)


def test_directives_filter_by_model(system, queries):
    fable = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    mythos = system.app.register_model(as_(ANTHROPIC), "Mythos 5", "m").id
    system.app.issue_directive(as_(US_BIS), "A-1", "anthropic", [fable], Scope.everyone(), "l", "g")
    both = system.app.issue_directive(
        as_(US_BIS), "A-2", "anthropic", [fable, mythos], Scope.everyone(), "l", "g"
    ).id
    system.runner.catch_up()

    assert [d.id for d in queries.list_directives(model_id=mythos).items] == [both]


def test_directives_filter_by_state_at_a_time(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    pending = system.app.issue_directive(
        as_(US_BIS, day(5, 20)), "A-1", "anthropic", [model], Scope.everyone(), "l", "g"
    ).id
    rescinded = system.app.issue_directive(
        as_(US_BIS), "A-2", "anthropic", [model], Scope.everyone(), "l", "g"
    ).id
    system.app.rescind_directive(as_(US_BIS), rescinded, "withdrawn")
    system.runner.catch_up()

    assert [d.id for d in queries.list_directives(state="pending").items] == [pending]
    assert [d.id for d in queries.list_directives(state="rescinded").items] == [rescinded]
    assert [d.id for d in queries.list_directives(state="in_force", now=day(5, 21)).items] == [
        pending
    ]


def test_an_amendment_moves_a_directive_to_its_new_models(system, queries):
    fable = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    mythos = system.app.register_model(as_(ANTHROPIC), "Mythos 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS), "A-1", "anthropic", [fable], Scope.everyone(), "l", "g"
    ).id
    system.app.amend_directive(as_(US_BIS), directive, "moved", model_ids=[mythos])
    system.runner.catch_up()

    assert queries.list_directives(model_id=fable).items == []
    assert queries.get_directive(directive).model_ids == [mythos]


def test_appeals_filter_by_status(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS), "A-1", "anthropic", [model], Scope.everyone(), "l", "g"
    ).id
    appeal = system.app.file_appeal(as_(ANTHROPIC), directive, "g", "r", False).id
    system.app.make_proposal(as_(US_BIS), appeal, "verify identities", None)
    system.runner.catch_up()

    negotiating = queries.list_appeals(status="negotiating").items
    assert [(a.id, a.round, a.latest_proposal.side) for a in negotiating] == [
        (appeal, 1, "regulator")
    ]
    assert queries.list_appeals(status="decided").items == []


def test_an_unknown_directive_is_not_found(system, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    system.runner.catch_up()

    with pytest.raises(NotFoundError):
        queries.get_directive(model)


def test_a_case_shows_its_directive_stay_and_latest_proposal(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    directive_id = system.app.issue_directive(
        as_(US_BIS), "A-1", "anthropic", [model], Scope.everyone(), "l", "g"
    ).id
    appeal = system.app.file_appeal(as_(ANTHROPIC), directive_id, "g", "r", True).id
    system.app.rule_on_stay(as_(US_BIS), appeal, True, "pending review")
    system.app.make_proposal(as_(ANTHROPIC), appeal, "verify identities", None)
    system.runner.catch_up()

    [case] = queries.list_cases()

    assert (case.reference, case.directive_state, case.stay) == ("A-1", "stayed", "granted")
    assert (case.round, case.latest_proposal.side, case.status) == (1, "provider", "negotiating")
    assert case.respond_by == day(5, 31, 9)
