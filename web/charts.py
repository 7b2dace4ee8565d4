"""The admin dashboard's charts as plain data and SVG geometry (pure: values and `now` in).

* Upcoming events per week by category: a grid of weeks × categories where each cell's
  square grows with the count and the count is written in it, so the chart reads without
  colour; a total per week on top.
* Source health over the last 30 days: per day, the sources crawled that day stacked by
  their worst result (ok, degraded, failing); each state has its own fill pattern as well
  as its colour, and every bar carries a title with the numbers.

The templates draw the SVG from these shapes (so all text is escaped there); a table with the
same numbers follows each chart.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from store import vocab

WEEKS = 12
DAYS = 30
HEALTH_STATES = (vocab.HEALTH_OK, vocab.HEALTH_DEGRADED, vocab.HEALTH_FAILING)


@dataclass(frozen=True)
class WeekGrid:
    weeks: list[date]  # the Monday of each week
    categories: list[str]
    counts: dict[str, list[int]]  # category → count per week
    totals: list[int]

    @property
    def most(self) -> int:
        return max((n for row in self.counts.values() for n in row), default=0)


def week_grid(
    events: Iterable[tuple[datetime, Sequence[str]]],
    now: datetime,
    zone: str,
    weeks: int = WEEKS,
) -> WeekGrid:
    """Upcoming events (start, categories) counted per local week from this week on, by
    their first category ("other" without one); later events are not counted."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    first = today - timedelta(days=today.weekday())
    mondays = [first + timedelta(weeks=n) for n in range(weeks)]
    counts = {category: [0] * weeks for category in vocab.CATEGORIES}
    for start, categories in events:
        local = start.astimezone(tz).date()
        index = (local - first).days // 7
        if 0 <= index < weeks:
            category = categories[0] if categories else "other"
            counts.setdefault(category, [0] * weeks)[index] += 1
    shown = [c for c in counts if any(counts[c])]
    totals = [sum(counts[c][i] for c in shown) for i in range(weeks)]
    return WeekGrid(mondays, shown, {c: counts[c] for c in shown}, totals)


def run_state(status: str, errors: int) -> str | None:
    """A crawl run's result as a health state (None for a run still going or stopped by a
    shutdown: neither says anything of the source)."""
    if status == vocab.RUN_CANCELLED:
        return None
    if status in vocab.RUN_FAILED_STATUSES:
        return vocab.HEALTH_FAILING
    if status == vocab.RUN_SUSPECT or errors:
        return vocab.HEALTH_DEGRADED
    if status in vocab.RUN_COMPLETE_STATUSES:
        return vocab.HEALTH_OK
    return None


@dataclass(frozen=True)
class HealthDays:
    days: list[date]
    counts: dict[str, list[int]]  # state → sources per day

    @property
    def most(self) -> int:
        return max(
            (sum(self.counts[s][i] for s in HEALTH_STATES) for i in range(len(self.days))),
            default=0,
        )


def health_days(
    runs: Iterable[tuple[int, datetime, str, int]],
    now: datetime,
    zone: str,
    days: int = DAYS,
) -> HealthDays:
    """Runs (source id, started, status, errors) → per local day, how many sources were at
    each state; a source crawled several times a day counts once, at its worst."""
    tz = ZoneInfo(zone)
    last = now.astimezone(tz).date()
    first = last - timedelta(days=days - 1)
    rank = {state: n for n, state in enumerate(HEALTH_STATES)}
    worst: dict[tuple[date, int], str] = {}
    for source_id, started, status, errors in runs:
        day = started.astimezone(tz).date()
        state = run_state(status, errors)
        if state is None or not first <= day <= last:
            continue
        key = (day, source_id)
        if key not in worst or rank[state] > rank[worst[key]]:
            worst[key] = state
    dates = [first + timedelta(days=n) for n in range(days)]
    counts = {state: [0] * days for state in HEALTH_STATES}
    for (day, _source), state in worst.items():
        counts[state][(day - first).days] += 1
    return HealthDays(dates, counts)


# --- geometry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    x: float
    y: float
    size: float
    count: int
    week: date
    category: str


@dataclass(frozen=True)
class GridLayout:
    width: int
    height: int
    label_width: int
    column: int
    row: int
    top: int
    cells: list[Cell]


def grid_layout(
    grid: WeekGrid, label_width: int = 104, column: int = 21, row: int = 22
) -> GridLayout:
    """Squares whose area follows the count (the largest fills most of its cell). Sized to
    fit a phone as it is (weeks by their number); a wider screen scales it up."""
    top = 34  # week numbers and totals
    most = max(grid.most, 1)
    biggest = min(column, row) - 3
    cells = []
    for r, category in enumerate(grid.categories):
        for c, count in enumerate(grid.counts[category]):
            size = biggest * math.sqrt(count / most) if count else 0.0
            cx = label_width + c * column + column / 2
            cy = top + r * row + row / 2
            cells.append(Cell(cx - size / 2, cy - size / 2, size, count, grid.weeks[c], category))
    width = label_width + column * len(grid.weeks) + 4
    height = top + row * max(len(grid.categories), 1) + 4
    return GridLayout(width, height, label_width, column, row, top, cells)


@dataclass(frozen=True)
class Segment:
    x: float
    y: float
    width: float
    height: float
    state: str
    count: int
    day: date


@dataclass(frozen=True)
class BarsLayout:
    width: int
    height: int
    left: int
    plot_height: int
    bar: float
    segments: list[Segment]
    scale_top: int  # the value the top gridline stands for
    day_labels: list[tuple[float, date]]


def bars_layout(
    health: HealthDays, width: int = 356, plot_height: int = 120, left: int = 24
) -> BarsLayout:
    """Stacked bars per day: ok at the bottom, then degraded, then failing."""
    count_days = max(len(health.days), 1)
    step = (width - left - 8) / count_days
    bar = max(step - 2, 2)
    scale_top = max(health.most, 1)
    segments = []
    for i, day in enumerate(health.days):
        base = float(plot_height)
        for state in HEALTH_STATES:
            n = health.counts[state][i]
            if not n:
                continue
            h = plot_height * n / scale_top
            base -= h
            segments.append(Segment(left + i * step + 1, base + 8, bar, h, state, n, day))
    labels = [(left + i * step + bar / 2, d) for i, d in enumerate(health.days) if i % 7 == 0]
    return BarsLayout(width, plot_height + 32, left, plot_height, bar, segments, scale_top, labels)
