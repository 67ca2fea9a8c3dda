"""The chart's geometry, from a timeline alone: rows, bars, milestone lanes, axis and cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from application.queries import AccessTimeline, TimelineInterval
from interfaces.web.axes import CHAR_WIDTH
from interfaces.web.chart import build_chart
from interfaces.web.milestones import Milestone

START = datetime(2026, 6, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def interval(
    user_class: str,
    place: str,
    start: int,
    end: int | None,
    operational: str = "available",
    legal: str = "unrestricted",
) -> TimelineInterval:
    compliance = {
        ("restricted", "available"): "non_compliant",
        ("unrestricted", "suspended"): "over_compliant",
    }.get((legal, operational), "compliant")
    return TimelineInterval(
        user_class=user_class,
        jurisdiction=place,
        valid_from=day(start),
        valid_to=None if end is None else day(end),
        legal_status=legal,
        operational_status=operational,
        compliance=compliance,
        since=day(start),
        basis=[],
    )


def timeline(*intervals: TimelineInterval) -> AccessTimeline:
    return AccessTimeline(
        model_id=uuid4(), registered_at=START, position=9, intervals=list(intervals)
    )


def mark(n: int, label: str = "issued") -> Milestone:
    return Milestone(day(n), n, "directive", label, f"{label} on day {n}", "/ui/directives/x")


def test_adjacent_intervals_of_equal_status_are_one_bar():
    chart = build_chart(
        "M",
        timeline(
            interval("*", "*", 0, 10),
            interval("*", "*", 10, 20),
            interval("*", "*", 20, None, "suspended"),
        ),
        [],
        day(30),
    )

    (row,) = chart.rows
    assert [(b.operational, b.start, b.end) for b in row.bars] == [
        ("available", day(0), day(20)),
        ("suspended", day(20), None),
    ]


def test_segments_with_different_timelines_get_their_own_rows():
    chart = build_chart(
        "M",
        timeline(
            interval("*", "*", 0, None),
            interval("enterprise", "*", 0, 5),
            interval("enterprise", "*", 5, None, "suspended"),
        ),
        [],
        day(30),
    )

    assert [r.label for r in chart.rows] == ["any class · anywhere", "enterprise · anywhere"]
    assert chart.rows[1].y > chart.rows[0].y


def test_bars_span_the_plot_from_registration_to_past_the_last_change():
    chart = build_chart(
        "M",
        timeline(
            interval("*", "*", 0, 40),
            interval("*", "*", 40, None, "suspended"),
        ),
        [],
        day(10),
    )

    first, last = chart.rows[0].bars
    assert first.x == chart.plot_left
    assert last.x + last.width == chart.plot_right
    assert chart.end > day(40)


def test_the_cursor_stands_at_the_effective_time_asked():
    early = build_chart("M", timeline(interval("*", "*", 0, None)), [mark(50)], day(10))
    late = build_chart("M", timeline(interval("*", "*", 0, None)), [mark(50)], day(40))

    assert early.cursor is not None and late.cursor is not None
    assert early.cursor.x < late.cursor.x
    assert early.cursor.label == "as of 11 Jun 2026"


def test_milestone_labels_in_one_lane_never_overlap():
    marks = [mark(n, "a rather long milestone label") for n in (10, 11, 12, 13, 60)]
    chart = build_chart("M", timeline(interval("*", "*", 0, None)), marks, day(70))

    by_lane: dict[float, list[tuple[float, float]]] = {}
    for m in chart.marks:
        width = len(f"{m.number} {m.milestone.label}") * CHAR_WIDTH
        left = m.text_x if m.anchor == "start" else m.text_x - width
        by_lane.setdefault(m.lane_y, []).append((left, left + width))
    assert len(by_lane) > 1
    for spans in by_lane.values():
        spans.sort()
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_label_near_the_right_edge_ends_at_its_line():
    chart = build_chart("M", timeline(interval("*", "*", 0, None)), [mark(100)], day(100))

    (only,) = chart.marks
    assert only.anchor == "end"
    assert only.text_x < only.x


def test_a_long_span_is_labelled_by_month():
    chart = build_chart("M", timeline(interval("*", "*", 0, None)), [mark(150)], day(150))

    assert [t.label for t in chart.ticks][:3] == ["Jun 2026", "Jul", "Aug"]
