"""Cross-language duplicates (issue 15) on the set of four made-up sites in fi, sv and en
(tests/fixtures/dedupe/xlang.json, written by make_xlang.py), split into a tune half and a
held-out half by scene."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter

from tests.support.labelled import XLANG, load


def test_the_xlang_set_is_what_its_script_writes() -> None:
    script = XLANG.with_name("make_xlang.py")
    spec = importlib.util.spec_from_file_location("make_xlang", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        assert module.build() == json.loads(XLANG.read_text(encoding="utf-8"))
    finally:
        del sys.modules[spec.name]


def test_the_xlang_set_is_big_varied_and_split_by_event() -> None:
    rows = load(XLANG)["listings"]
    assert len(rows) >= 300
    assert {row["source"] for row in rows} == {1, 2, 3, 4}
    assert {row["language"] for row in rows} == {"fi", "sv", "en"}
    halves: dict[str, set[str]] = {}
    for row in rows:
        halves.setdefault(row["group"], set()).add(row["half"])
    assert all(len(h) == 1 for h in halves.values())  # an event is in one half only
    sizes = Counter(row["half"] for row in rows)
    assert sizes["tune"] >= 100 and sizes["held-out"] >= 100
    languages: dict[str, set[str]] = {}
    for row in rows:
        languages.setdefault(row["group"], set()).add(row["language"])
    assert sum(1 for langs in languages.values() if len(langs) > 1) >= 80
    venues = {row["venue"] for row in rows if row["venue"]}
    assert {"Helsingin kaupunginkirjasto", "Helsinki City Library"} <= venues
    assert {"Messukeskus", "Mässcentrum", "Expo and Convention Centre"} <= venues
