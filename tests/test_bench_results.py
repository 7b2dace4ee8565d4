"""bench/results.py: one row per benchmark in var/bench/results.json, `met` read both ways."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.results import line, read, record

ROOT = Path(__file__).resolve().parent.parent


def test_rows_are_written_merged_by_name_and_judged_both_ways(tmp_path: Path) -> None:
    path = tmp_path / "bench" / "results.json"
    record("crawl", figure=95.0, anchor=100.0, ratio=0.95, goal=0.9, load_before=0.5, path=path)
    record(
        "calendar",
        figure=3.0,
        anchor=1.0,
        ratio=3.0,
        goal=1.5,
        higher_is_better=False,
        load_before=0.5,
        details={"events": 10},
        path=path,
    )
    rows = {row["name"]: row for row in json.loads(path.read_text(encoding="utf-8"))}
    assert set(rows) == {"crawl", "calendar"}
    assert rows["crawl"]["met"] is True  # 0.95 >= 0.9
    assert rows["calendar"]["met"] is False  # 3.0 is not <= 1.5
    assert rows["calendar"]["details"] == {"events": 10}
    for row in rows.values():
        assert {"figure", "anchor", "ratio", "goal", "load_before", "load_after", "date"} <= set(
            row
        )

    # The same names again, now the other way round: each row replaced, none added.
    record("crawl", figure=80.0, anchor=100.0, ratio=0.8, goal=0.9, load_before=1.0, path=path)
    record(
        "calendar",
        figure=1.2,
        anchor=1.0,
        ratio=1.2,
        goal=1.5,
        higher_is_better=False,
        load_before=1.0,
        path=path,
    )
    rows = {row["name"]: row for row in read(path)}
    assert len(read(path)) == 2
    assert rows["crawl"]["met"] is False and rows["crawl"]["ratio"] == 0.8
    assert rows["calendar"]["met"] is True and rows["calendar"]["ratio"] == 1.2
    assert "NOT MET" in line(rows["crawl"]) and "goal >=" in line(rows["crawl"])
    assert "NOT MET" not in line(rows["calendar"]) and "goal <=" in line(rows["calendar"])


def test_the_table_is_printed_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "results.json"
    script = [sys.executable, str(ROOT / "bench" / "results.py"), str(path)]
    empty = subprocess.run(script, capture_output=True, text=True)
    assert empty.returncode == 1 and "no results yet" in empty.stderr
    record("crawl", figure=95.0, anchor=100.0, ratio=0.95, goal=0.9, load_before=0.5, path=path)
    record("feeds", figure=40.0, anchor=100.0, ratio=0.4, goal=0.5, load_before=0.5, path=path)
    table = subprocess.run(script, capture_output=True, text=True, check=True).stdout.splitlines()
    assert [row.split()[0] for row in table] == ["crawl", "feeds"]
    assert "NOT MET" not in table[0] and "NOT MET" in table[1]
