"""SPEC §1's story, asked at every step on both time axes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest

from application.queries import Queries
from application.system import System
from domain.appeal import Outcome, Signatory, SubmissionKind
from domain.errors import NotFoundError
from domain.scope import Scope
from tests.application.readside.conftest import ADOBE, ANTHROPIC, US_BIS, as_, day, scope

FOREIGN = ["foreign_national"]
ADVERSARIES = ["CN", "IR", "KP", "RU"]


@dataclass
class Story:
    """Ids and log positions of the story's steps."""

    fable: UUID
    mythos: UUID
    directive: UUID
    appeal: UUID
    issued: int
    suspended: int
    decided: int
    amended: int
    resuspended: int


def tell(system: System, clock, catch_up: bool = True) -> Story:  # type: ignore[no-untyped-def]
    """Record the story with realistic, partly back-dated effective times."""
    app = system.app
    fable = app.register_model(as_(ANTHROPIC), "Fable 5", "frontier model").id
    mythos = app.register_model(as_(ANTHROPIC), "Mythos 5", "frontier model").id
    clock.now = day(5, 5, 10)
    issued = app.issue_directive(
        as_(US_BIS, day(5, 4)),
        "BIS-2026-0042",
        "anthropic",
        [fable, mythos],
        scope(FOREIGN, ["*"]),
        "EAR §744.23",
        "jailbreaks enable offensive cyber operations",
    )
    clock.now = day(5, 7, 9)
    for model in (fable, mythos):
        suspended = app.suspend_model(
            as_(ANTHROPIC, day(5, 6)),
            model,
            Scope.everyone(),
            "comply pending review",
            directive_id=issued.id,
        )
    clock.now = day(5, 8, 9)
    appeal = app.file_appeal(
        as_(ANTHROPIC),
        issued.id,
        "limited issue, not different from other models",
        "rescind or narrow",
        stay_requested=True,
    ).id
    clock.now = day(5, 9, 9)
    app.add_submission(
        as_(ADOBE),
        appeal,
        SubmissionKind.AMICUS_LETTER,
        "Joint letter",
        "urge reversal",
        [Signatory(name=f"Executive {i}", affiliation="Adobe") for i in range(101)],
        False,
    )
    clock.now = day(5, 11, 9)
    app.rule_on_stay(as_(US_BIS), appeal, False, "national security")
    clock.now = day(5, 15, 9)
    app.make_proposal(
        as_(ANTHROPIC),
        appeal,
        "identity verification, restrict adversary nations only",
        scope(FOREIGN, ADVERSARIES),
    )
    clock.now = day(5, 20, 9)
    app.accept_proposal(as_(US_BIS), appeal, 1)
    clock.now = day(6, 1, 9)
    app.decide_appeal(as_(US_BIS, day(6, 2)), appeal, Outcome.SETTLED, "agreed terms")
    decided = app.position_of(appeal, 6)
    amended = app.position_of(issued.id, 3)
    clock.now = day(6, 3, 12)
    for model in (fable, mythos):
        app.restore_model(as_(ANTHROPIC, day(6, 3)), model, Scope.everyone(), "settled")
        resuspended = app.suspend_model(
            as_(ANTHROPIC, day(6, 3)), model, scope(FOREIGN, ADVERSARIES), "per settlement"
        )
    clock.now = day(6, 10, 9)
    if catch_up:
        system.runner.catch_up()
    return Story(
        fable,
        mythos,
        issued.id,
        appeal,
        issued.position,
        suspended.position,
        decided,
        amended,
        resuspended.position,
    )


@pytest.fixture
def story(system: System, clock) -> Story:  # type: ignore[no-untyped-def]
    return tell(system, clock)


def test_before_the_directive_every_segment_is_available_and_compliant(story, queries):
    matrix = queries.status_matrix(story.fable, at=day(5, 3))
    assert {d.compliance for d in matrix.segments} == {"compliant"}
    assert all(d.allowed for d in matrix.segments)


def test_between_directive_and_shutdown_foreign_nationals_are_non_compliant(story, queries):
    foreign = queries.access_decision(story.fable, "foreign_national", "FR", at=day(5, 5))
    domestic = queries.access_decision(story.fable, "domestic", "US", at=day(5, 5))
    assert (foreign.legal_status, foreign.operational_status) == ("restricted", "available")
    assert foreign.compliance == "non_compliant"
    assert foreign.valid_until == day(5, 6)
    assert domestic.compliance == "compliant"


def test_the_blanket_shutdown_is_over_compliant_for_everyone_else(story, queries):
    domestic = queries.access_decision(story.mythos, "domestic", "US", at=day(5, 10))
    foreign = queries.access_decision(story.mythos, "foreign_national", "FR", at=day(5, 10))
    assert (domestic.allowed, domestic.compliance) == (False, "over_compliant")
    assert (foreign.allowed, foreign.compliance) == (False, "compliant")
    assert foreign.since == day(5, 6)


def test_a_restricted_decision_explains_directive_appeal_and_provider_act(story, queries):
    decision = queries.access_decision(story.fable, "foreign_national", "FR", at=day(5, 10))
    by_kind = {b.kind: b for b in decision.basis}
    assert by_kind["directive"].reference == "BIS-2026-0042"
    assert by_kind["directive"].authority == "EAR §744.23"
    assert by_kind["directive"].positions == [story.issued]
    assert by_kind["appeal"].appeal_id == story.appeal
    assert by_kind["provider_act"].event == "Suspended"


def test_between_settlement_and_restoration_the_rest_of_the_world_is_over_compliant(story, queries):
    france = queries.access_decision(story.fable, "foreign_national", "FR", at=day(6, 2, 12))
    china = queries.access_decision(story.fable, "foreign_national", "CN", at=day(6, 2, 12))
    assert (france.legal_status, france.compliance) == ("unrestricted", "over_compliant")
    assert (china.legal_status, china.compliance) == ("restricted", "compliant")
    assert france.valid_until == day(6, 3)


def test_after_restoration_every_segment_is_compliant(story, queries):
    matrix = queries.status_matrix(story.fable)
    assert {d.compliance for d in matrix.segments} == {"compliant"}
    allowed = {(d.user_class, d.jurisdiction): d.allowed for d in matrix.segments}
    assert allowed[("foreign_national", "CN")] is False
    assert allowed[("foreign_national", "*")] is True
    assert allowed[("*", "*")] is True


def test_the_settled_scope_is_explained_by_issue_and_amendment(story, queries):
    decision = queries.access_decision(story.mythos, "foreign_national", "RU")
    directive = next(b for b in decision.basis if b.kind == "directive")
    act = next(b for b in decision.basis if b.kind == "provider_act")
    assert directive.positions == [story.issued, story.amended]
    assert act.positions == [story.resuspended]
    assert decision.since == day(5, 6)


def test_before_the_decision_was_recorded_the_register_said_france_was_restricted(story, queries):
    before = queries.access_decision(
        story.fable, "foreign_national", "FR", at=day(6, 10), known_at=story.decided - 1
    )
    now = queries.access_decision(story.fable, "foreign_national", "FR", at=day(6, 10))
    assert (before.legal_status, before.allowed) == ("restricted", False)
    assert before.position == story.decided - 1
    assert (now.legal_status, now.allowed) == ("unrestricted", True)


def test_known_at_a_recorded_time_answers_as_the_last_position_recorded_by_then(
    story, system: System, queries
):
    row = system.app.db.fetchone(
        "SELECT recorded_at FROM regledger_history_v2 WHERE position=?", (story.decided - 1,)
    )
    recorded = datetime.fromisoformat(row["recorded_at"])
    by_time = queries.access_decision(
        story.fable, "foreign_national", "FR", at=day(6, 10), known_at=recorded
    )
    assert by_time.position == story.decided - 1
    assert by_time.legal_status == "restricted"


def test_an_unmentioned_country_answers_as_its_representative_known_then(story, queries):
    before = queries.access_decision(
        story.fable, "foreign_national", "CN", at=day(5, 10), known_at=story.decided - 1
    )
    after = queries.access_decision(story.fable, "foreign_national", "CN", at=day(5, 10))
    assert before.representative.jurisdiction == "*"
    assert after.representative.jurisdiction == "CN"
    assert before.legal_status == after.legal_status == "restricted"


def test_where_restricted_lists_the_settled_segments(story, queries):
    where = queries.where_restricted(story.fable, at=day(6, 10))
    restricted = {(d.user_class, d.jurisdiction) for d in where.restricted}
    suspended = {(d.user_class, d.jurisdiction) for d in where.suspended}
    assert restricted == {("foreign_national", c) for c in ADVERSARIES}
    assert suspended == restricted


def test_directive_reach_expands_its_scope_over_models_and_segments(story, queries):
    reach = queries.directive_reach(story.directive, at=day(6, 10))
    assert reach.state == "in_force"
    assert {m.model_id for m in reach.models} == {story.fable, story.mythos}
    hit = {(d.user_class, d.jurisdiction) for d in reach.models[0].segments}
    assert hit == {("foreign_national", c) for c in ADVERSARIES}


def test_directive_reach_before_the_settlement_covers_every_foreign_segment(story, queries):
    reach = queries.directive_reach(story.directive, at=day(5, 10))
    hit = {(d.user_class, d.jurisdiction) for d in reach.models[0].segments}
    assert hit == {("foreign_national", c) for c in [*ADVERSARIES, "*"]}


def test_an_access_question_before_registration_names_the_registration_time(story, queries):
    with pytest.raises(NotFoundError, match="2026-05-01T09:00:00"):
        queries.access_decision(story.fable, "domestic", "US", at=day(4, 30))


def test_a_model_unknown_at_the_position_asked_is_not_found(story, queries):
    with pytest.raises(NotFoundError):
        queries.access_decision(story.mythos, "domestic", "US", known_at=1)


def test_the_appeal_shows_the_denied_stay_and_the_accepted_proposal(story, queries: Queries):
    appeal = queries.get_appeal(story.appeal)
    assert appeal.status == "decided"
    assert appeal.stay == "denied"
    assert appeal.round == 1
    assert appeal.latest_proposal is not None
    assert appeal.latest_proposal.status == "accepted"
    assert appeal.latest_proposal.scope == scope(FOREIGN, ADVERSARIES)


def test_the_timeline_tiles_effective_time_for_each_segment(story, queries):
    timeline = queries.access_timeline(story.fable)
    foreign = [
        i for i in timeline.intervals if (i.user_class, i.jurisdiction) == ("foreign_national", "*")
    ]
    assert [i.compliance for i in foreign] == [
        "compliant",
        "non_compliant",
        "compliant",
        "compliant",
        "over_compliant",
        "compliant",
    ]
    assert all(a.valid_to == b.valid_from for a, b in zip(foreign, foreign[1:], strict=False))
    assert (foreign[0].valid_from, foreign[-1].valid_to) == (day(5, 1, 9), None)


def test_the_timeline_as_known_before_the_settlement_has_no_june_change(story, queries):
    timeline = queries.access_timeline(story.fable, known_at=story.decided - 1)
    foreign = [
        i for i in timeline.intervals if (i.user_class, i.jurisdiction) == ("foreign_national", "*")
    ]
    assert foreign[-1].valid_from == day(5, 8, 9)
    assert foreign[-1].legal_status == "restricted"
