"""One row of `var/bench/results.json` per measured figure, shared by every benchmark.

Each benchmark measures its figure and its anchor in the same run and calls `record(...)`;
the row is merged into var/bench/results.json (rows keyed by `name`, newest wins) and printed.
`python bench/results.py [FILE]` prints the whole file (default var/bench/results.json) as a
table.

Row fields: name, figure, anchor, unit, ratio, goal, met, higher_is_better, load_before,
load_after, date (UTC ISO), plus any `details` the benchmark adds.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "bench" / "results.json"


def load_average() -> float:
    """The machine's one-minute load average (0.0 where the platform has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return 0.0


def record(
    name: str,
    *,
    figure: float,
    anchor: float,
    ratio: float,
    goal: float,
    higher_is_better: bool = True,
    unit: str = "",
    load_before: float,
    details: dict[str, Any] | None = None,
    path: Path = RESULTS,
) -> dict[str, Any]:
    """Store one row (replacing an earlier row of the same name) and print it."""
    met = ratio >= goal if higher_is_better else ratio <= goal
    row: dict[str, Any] = {
        "name": name,
        "figure": round(figure, 4),
        "anchor": round(anchor, 4),
        "unit": unit,
        "ratio": round(ratio, 4),
        "goal": goal,
        "higher_is_better": higher_is_better,
        "met": met,
        "load_before": load_before,
        "load_after": load_average(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if details:
        row["details"] = details
    rows = read(path)
    rows = [old for old in rows if old.get("name") != name] + [row]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    print(line(row), flush=True)
    return row


def read(path: Path = RESULTS) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else []


def line(row: dict[str, Any]) -> str:
    sign = ">=" if row.get("higher_is_better", True) else "<="
    return (
        f"{row['name']:<34} {row['figure']:>12g} {row.get('unit', ''):<10} "
        f"anchor {row['anchor']:>12g}  ratio {row['ratio']:>8.3f}  goal {sign} {row['goal']:<6g} "
        f"{'met' if row['met'] else 'NOT MET':<7} load {row['load_before']}->{row['load_after']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0]) if args else RESULTS
    rows = read(path)
    if not rows:
        print(f"no results yet in {path}", file=sys.stderr)
        return 1
    for row in rows:
        print(line(row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
