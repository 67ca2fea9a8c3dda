"""The chart's axes: effective time mapped to x, its ticks, the milestone lanes, the cursor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from interfaces.web.formatting import day
from interfaces.web.milestones import Milestone

LANE_HEIGHT = 15
MAX_LANES = 6
CHAR_WIDTH = 6.1  # average advance of the 11px label font


class Scale:
    """Effective time from `start` to `end`, drawn from x=`left` to x=`right`."""

    def __init__(self, start: datetime, end: datetime, left: float, right: float) -> None:
        self.start, self.end, self.left, self.right = start, end, left, right
        self.seconds = (end - start).total_seconds()

    def x(self, moment: datetime) -> float:
        """Where a moment falls, clamped to the plot."""
        share = (moment - self.start).total_seconds() / self.seconds
        return round(self.left + min(max(share, 0.0), 1.0) * (self.right - self.left), 1)


@dataclass(frozen=True)
class Mark:
    """A milestone: a vertical line, and its label in one of the lanes above the rows."""

    number: int
    x: float
    lane_y: float
    text_x: float
    anchor: str
    text: str
    milestone: Milestone


@dataclass(frozen=True)
class Tick:
    """A labelled point of the time axis."""

    x: float
    label: str


@dataclass(frozen=True)
class Cursor:
    """The effective time the status table answers for."""

    x: float
    label: str
    anchor: str


def _placements(x: float, width: float, right: float) -> list[tuple[str, float, float, float]]:
    """Where a label may go: after its line or before it (anchor, text x, left, right)."""
    after = ("start", x + 3, x, x + 3 + width)
    before = ("end", x - 3, x - 3 - width, x)
    fitting = [p for p, fits in ((after, after[3] <= right), (before, before[2] >= 0)) if fits]
    return fitting or [after]


def place_marks(milestones: list[Milestone], scale: Scale, numbered: bool) -> list[Mark]:
    """Milestones in time order, each label in the first lane where it overlaps nothing."""
    lane_ends: list[float] = []
    marks = []
    for number, milestone in enumerate(milestones, start=1):
        x = scale.x(milestone.at)
        text = str(number) if numbered else f"{number} {milestone.label}"
        options = _placements(x, len(text) * CHAR_WIDTH, scale.right)
        free = [(lane, o) for lane, end in enumerate(lane_ends) for o in options if end < o[2]]
        if free:
            lane, (anchor, text_x, _, right) = free[0]
        else:
            anchor, text_x, _, right = options[0]
            lane = len(lane_ends) if len(lane_ends) < MAX_LANES else _emptiest(lane_ends)
            lane_ends.extend([float("-inf")] * (lane + 1 - len(lane_ends)))
        lane_ends[lane] = max(lane_ends[lane], right) + 4
        marks.append(Mark(number, x, 12 + lane * LANE_HEIGHT, text_x, anchor, text, milestone))
    return marks


def _emptiest(lane_ends: list[float]) -> int:
    return lane_ends.index(min(lane_ends))


def ticks(scale: Scale, most: int) -> list[Tick]:
    """At most `most` labelled ticks, evenly thinned."""
    every = _all_ticks(scale)
    return every[:: max(1, -(-len(every) // most))]


def _moments(start: datetime, end: datetime, step: timedelta) -> list[datetime]:
    moments = []
    while start <= end:
        moments.append(start)
        start += step
    return moments


def _all_ticks(scale: Scale) -> list[Tick]:
    """Daily, weekly (Mondays) or monthly ticks, whichever suits the span."""
    days = (scale.end - scale.start).days
    first = scale.start.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if days <= 100:
        if days <= 21:
            moments = _moments(first + timedelta(days=1), scale.end, timedelta(days=1))
        else:
            monday = first + timedelta(days=(7 - first.weekday()) % 7 or 7)
            moments = _moments(monday, scale.end, timedelta(weeks=1))
        return [Tick(scale.x(m), f"{m.day} {m:%b}") for m in moments]
    moments = []
    moment = first.replace(day=1)
    while moment <= scale.end:
        if moment >= scale.start:
            moments.append(moment)
        moment = (moment + timedelta(days=32)).replace(day=1)
    return [
        Tick(scale.x(m), f"{m:%b %Y}" if m.month == 1 or m == moments[0] else f"{m:%b}")
        for m in moments
    ]


def cursor(scale: Scale, at: datetime) -> Cursor | None:
    """The "as of" line, if `at` falls within the chart."""
    if not scale.start <= at <= scale.end:
        return None
    x = scale.x(at)
    anchor = "end" if x > scale.right - 55 else "start" if x < scale.left + 55 else "middle"
    return Cursor(x, f"as of {day(at)}", anchor)
