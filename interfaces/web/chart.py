"""The geometry of a model's access timeline: segments down, effective time across.

Only numbers and words are computed here; `templates/_chart.html` draws them as SVG, so
that every label passes through the template's escaping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from application.queries import AccessTimeline, BasisItem, TimelineInterval
from domain.scope import WILDCARD
from interfaces.web.axes import (
    LANE_HEIGHT,
    Cursor,
    Mark,
    Scale,
    Tick,
    cursor,
    place_marks,
    ticks,
)
from interfaces.web.formatting import day, segment_label, when, words
from interfaces.web.milestones import Milestone

AXIS_HEIGHT = 38
MIN_SPAN = timedelta(days=7)


@dataclass(frozen=True)
class Layout:
    """The proportions of one chart: wide (labels left of the rows) or compact (above them)."""

    width: float
    label_width: float
    margin: float
    row_height: float
    bar_height: float
    max_label: int  # characters of a row label that fit
    numbered_marks: bool  # milestones carry only their number (the list below names them)
    ticks: int  # at most this many labelled ticks

    @property
    def labels_above(self) -> bool:
        """True when row labels sit above their bars rather than to their left."""
        return self.label_width == 0


WIDE = Layout(960, 250, 16, 26, 18, 38, numbered_marks=False, ticks=10)
COMPACT = Layout(400, 0, 8, 36, 16, 62, numbered_marks=True, ticks=5)


@dataclass(frozen=True)
class Bar:
    """One stretch of a segment's row over which its status does not change."""

    x: float
    width: float
    legal: str
    operational: str
    compliance: str
    start: datetime
    end: datetime | None
    basis: str

    @property
    def title(self) -> str:
        """The bar's tooltip."""
        until = when(self.end) if self.end else "onwards"
        why = f"; basis: {self.basis}" if self.basis else ""
        return (
            f"{when(self.start)} → {until}: {words(self.legal)}, {words(self.operational)}, "
            f"{words(self.compliance)}{why}"
        )


@dataclass(frozen=True)
class Row:
    """One segment of the model, or several whose timelines are identical."""

    y: float
    label_x: float
    label_y: float
    label_anchor: str
    label: str
    bars: list[Bar]
    full_label: str
    segments: str
    count: int


@dataclass
class Chart:
    """Everything the SVG template needs."""

    title: str
    description: str
    start: datetime
    end: datetime
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    height: float
    rows: list[Row] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    cursor: Cursor | None = None
    layout: Layout = WIDE

    @property
    def width(self) -> float:
        """The viewBox width."""
        return self.layout.width

    @property
    def bar_height(self) -> float:
        """The height of every bar."""
        return self.layout.bar_height


def _span(
    timeline: AccessTimeline, marks: list[Milestone], at: datetime
) -> tuple[datetime, datetime]:
    start = timeline.registered_at
    moments = [start, at]
    moments += [i.valid_from for i in timeline.intervals]
    moments += [i.valid_to for i in timeline.intervals if i.valid_to is not None]
    moments += [m.at for m in marks]
    last = max(m for m in moments if m >= start)
    span = max(last - start, MIN_SPAN)
    return start, start + span + max(span * 0.06, timedelta(days=1))


def _basis_text(basis: list[BasisItem]) -> str:
    parts = []
    for item in basis:
        if item.kind == "directive":
            parts.append(f"directive {item.reference}")
        elif item.kind in ("appeal", "stay"):
            parts.append(f"{item.kind} on {item.reference}" if item.reference else item.kind)
        else:
            parts.append(f"provider {(item.event or 'act').lower()}")
    return ", ".join(dict.fromkeys(parts))


def _merged(
    intervals: list[TimelineInterval],
) -> list[tuple[TimelineInterval, datetime | None, str]]:
    """Adjacent intervals of equal status, joined; their bases listed together."""
    merged: list[tuple[TimelineInterval, datetime | None, str]] = []
    for interval in intervals:
        status = (interval.legal_status, interval.operational_status, interval.compliance)
        basis = _basis_text(interval.basis)
        if merged:
            first, end, text = merged[-1]
            same = (first.legal_status, first.operational_status, first.compliance) == status
            if same and end == interval.valid_from:
                joined = ", ".join(dict.fromkeys(p for p in (text, basis) if p))
                merged[-1] = (first, interval.valid_to, joined)
                continue
        merged.append((interval, interval.valid_to, basis))
    return merged


def _bars(intervals: list[TimelineInterval], scale: Scale) -> list[Bar]:
    bars = []
    for first, end, basis in _merged(intervals):
        x0, x1 = scale.x(first.valid_from), scale.x(end or scale.end)
        width = round(max(x1 - x0, 0.5), 1)
        bars.append(
            Bar(
                x0,
                width,
                first.legal_status,
                first.operational_status,
                first.compliance,
                first.valid_from,
                end,
                basis,
            )
        )
    return bars


def _group_label(segments: list[tuple[str, str]]) -> str:
    classes = sorted({u for u, _ in segments})
    places = sorted({j for _, j in segments})
    if len(segments) == len(classes) * len(places):
        who = "any class" if WILDCARD in classes else ", ".join(classes)
        where = "anywhere" if WILDCARD in places else ", ".join(places)
        return f"{who} · {where}"
    return "; ".join(segment_label(u, j) for u, j in segments)


def _fit(label: str, room: int) -> str:
    return label if len(label) <= room else label[: room - 1] + "…"


def _rows(timeline: AccessTimeline, scale: Scale, top: float, layout: Layout) -> list[Row]:
    """One row per segment; segments whose whole timelines are identical share a row."""
    segments: dict[tuple[str, str], list[TimelineInterval]] = {}
    for interval in timeline.intervals:
        segments.setdefault((interval.user_class, interval.jurisdiction), []).append(interval)
    groups: dict[tuple[Bar, ...], list[tuple[str, str]]] = {}
    for segment, intervals in segments.items():
        groups.setdefault(tuple(_bars(intervals, scale)), []).append(segment)
    rows = []
    for index, (bars, members) in enumerate(groups.items()):
        block = top + index * layout.row_height
        if layout.labels_above:
            y = block + layout.row_height - layout.bar_height - 4
            where = (scale.left, y - 4, "start")
        else:
            y = block + (layout.row_height - layout.bar_height) / 2
            where = (scale.left - 8, y + layout.bar_height / 2 + 4, "end")
        label = _group_label(members)
        names = ", ".join(segment_label(u, j) for u, j in members)
        short = _fit(label, layout.max_label)
        rows.append(Row(y, *where, short, list(bars), label, names, len(members)))
    return rows


def build_chart(
    name: str,
    timeline: AccessTimeline,
    milestones: list[Milestone],
    at: datetime,
    layout: Layout = WIDE,
) -> Chart:
    """Lay out a model's timeline, its milestones and the "as of" cursor."""
    start, end = _span(timeline, milestones, at)
    left = layout.margin + layout.label_width
    scale = Scale(start, end, left, layout.width - layout.margin)
    marks = place_marks(milestones, scale, layout.numbered_marks)
    lanes = 1 + max((round((m.lane_y - 12) / LANE_HEIGHT) for m in marks), default=0)
    top = 12 + lanes * LANE_HEIGHT + 6
    rows = _rows(timeline, scale, top, layout)
    bottom = top + max(len(rows), 1) * layout.row_height
    return Chart(
        title=f"Access timeline of {name}",
        description=_description(name, len(rows), len(marks), start, end, timeline.position),
        start=start,
        end=end,
        plot_left=scale.left,
        plot_right=scale.right,
        plot_top=top,
        plot_bottom=bottom,
        height=bottom + AXIS_HEIGHT,
        rows=rows,
        marks=marks,
        ticks=ticks(scale, layout.ticks),
        cursor=cursor(scale, at),
        layout=layout,
    )


def _description(
    name: str, rows: int, marks: int, start: datetime, end: datetime, position: int
) -> str:
    return (
        f"{rows} rows of segments of {name} from {day(start)} to {day(end)}, as known at log "
        f"position {position}: green is available, grey is suspended, hatching marks a legal "
        "restriction, a red outline non-compliance and an amber dashed outline "
        f"over-compliance; {marks} directive and appeal milestones are marked. The same data "
        "follows as a table."
    )
