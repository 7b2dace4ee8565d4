"""Figures on the held-out halves of the labelled sets (tests/support/heldout.py).

Each test computes the accuracy on the half the tuning never read and fails below the goal of
issue 15; docs/testing.md ("Held-out sets") records the figures.
"""

from __future__ import annotations

from scrapers.dates import parse_when
from tests.support.heldout import DATES_TODAY, date_rows, half_of, split

DATES_GOAL = 0.98


def test_the_split_is_fixed_and_covers_both_halves() -> None:
    rows = date_rows()
    halves = {half_of(text) for text, _ in rows}
    assert halves == {"tune", "held-out"}
    assert half_of("klo 18 to 3.2.2027") == half_of("klo 18 to 3.2.2027")
    assert len(rows) >= 200 and len(split(rows, "held-out")) >= 100


def test_dates_on_the_held_out_half() -> None:
    rows = split(date_rows(), "held-out")
    missed = []
    for text, expected in rows:
        span = parse_when(text, DATES_TODAY)
        if span is None or (span.start, span.end, span.all_day) != expected:
            missed.append(text)
    accuracy = 1 - len(missed) / len(rows)
    print(f"dates, held-out half: {accuracy:.3f} of {len(rows)}")
    assert accuracy >= DATES_GOAL, f"{accuracy:.3f} < {DATES_GOAL}: missed {missed}"
