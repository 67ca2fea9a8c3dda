"""Back-dated and future-dated acts, read on both time axes."""

from __future__ import annotations

from domain.scope import Scope
from tests.application.readside.conftest import ANTHROPIC, US_BIS, as_, day, scope


def test_a_backdated_suspension_changes_past_answers_only_from_its_recording_position(
    system, clock, queries
):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    clock.now = day(5, 10)
    before = system.app.max_position()
    after = system.app.suspend_model(
        as_(ANTHROPIC, day(5, 5)), model, Scope.everyone(), "found out late"
    ).position
    system.runner.catch_up()

    then = queries.access_decision(model, "domestic", "US", at=day(5, 7), known_at=before)
    now = queries.access_decision(model, "domestic", "US", at=day(5, 7), known_at=after)

    assert (then.operational_status, then.valid_until) == ("available", None)
    assert (now.operational_status, now.since) == ("suspended", day(5, 5))


def test_a_backdated_act_leaves_earlier_effective_times_alone(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    clock.now = day(5, 10)
    system.app.suspend_model(as_(ANTHROPIC, day(5, 5)), model, Scope.everyone(), "late")
    system.runner.catch_up()

    earlier = queries.access_decision(model, "domestic", "US", at=day(5, 4))

    assert earlier.operational_status == "available"
    assert earlier.valid_until == day(5, 5)


def test_a_future_dated_directive_shows_as_the_next_change(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    system.app.issue_directive(
        as_(US_BIS, day(5, 20)), "BIS-7", "anthropic", [model], Scope.everyone(), "law", "g"
    )
    system.runner.catch_up()

    today = queries.access_decision(model, "domestic", "US")
    later = queries.access_decision(model, "domestic", "US", at=day(5, 21))

    assert (today.legal_status, today.valid_until) == ("unrestricted", day(5, 20))
    assert later.legal_status == "restricted"


def test_acts_with_the_same_effective_time_apply_in_log_order(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    clock.now = day(5, 3)
    system.app.suspend_model(as_(ANTHROPIC, day(5, 2)), model, Scope.everyone(), "all")
    system.app.restore_model(as_(ANTHROPIC, day(5, 2)), model, Scope.everyone(), "all")
    system.runner.catch_up()

    assert queries.access_decision(model, "domestic", "US").allowed is True


def test_a_granted_stay_lifts_the_restriction_and_says_so(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS), "BIS-8", "anthropic", [model], scope(["foreign_national"], ["*"]), "law", "g"
    ).id
    clock.now = day(5, 2)
    appeal = system.app.file_appeal(as_(ANTHROPIC), directive, "g", "relief", True).id
    stayed = system.app.rule_on_stay(as_(US_BIS), appeal, True, "pending review").position
    system.runner.catch_up()

    decision = queries.access_decision(model, "foreign_national", "FR")

    assert decision.legal_status == "unrestricted"
    stay = next(b for b in decision.basis if b.kind == "stay")
    assert (stay.reference, stay.appeal_id, stay.positions) == ("BIS-8", appeal, [stayed])


def test_an_amendment_adding_a_model_restricts_it_from_the_amendments_effective_time(
    system, clock, queries
):
    fable = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    mythos = system.app.register_model(as_(ANTHROPIC), "Mythos 5", "m").id
    directive = system.app.issue_directive(
        as_(US_BIS), "BIS-9", "anthropic", [fable], Scope.everyone(), "law", "g"
    ).id
    clock.now = day(5, 5)
    system.app.amend_directive(
        as_(US_BIS, day(5, 4)), directive, "wider", model_ids=[fable, mythos]
    )
    system.runner.catch_up()

    assert queries.access_decision(mythos, "domestic", "US", at=day(5, 3)).legal_status == (
        "unrestricted"
    )
    assert queries.access_decision(mythos, "domestic", "US").legal_status == "restricted"


def test_a_retired_model_is_no_longer_available(system, clock, queries):
    model = system.app.register_model(as_(ANTHROPIC), "Fable 5", "m").id
    clock.now = day(5, 3)
    system.app.retire_model(as_(ANTHROPIC), model, "end of life")
    system.runner.catch_up()

    decision = queries.access_decision(model, "domestic", "US")

    assert (decision.allowed, decision.basis[0].event) == (False, "Retired")
