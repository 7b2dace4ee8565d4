"""Quality on the labelled set (tests/fixtures/dedupe/labelled.json), pure clustering."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter

from dedupe.cluster import cluster
from dedupe.quality import pairwise_quality
from tests.support.labelled import LABELLED, listings, load

MIN_PRECISION = 0.98
MIN_RECALL = 0.95


def test_the_labelled_set_is_what_its_script_writes() -> None:
    script = LABELLED.with_name("make_labelled.py")
    spec = importlib.util.spec_from_file_location("make_labelled", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
        assert module.build() == json.loads(LABELLED.read_text(encoding="utf-8"))
    finally:
        del sys.modules[spec.name]


def test_the_labelled_set_is_big_and_varied_enough() -> None:
    data = load()
    rows = data["listings"]
    groups = Counter(row["group"] for row in rows)
    assert len(rows) >= 300
    assert len({row["source"] for row in rows}) >= 4
    assert sum(1 for n in groups.values() if n > 1) >= 100
    by_group: dict[str, set[str]] = {}
    for row in rows:
        by_group.setdefault(row["group"], set()).add(row["language"])
    assert sum(1 for langs in by_group.values() if len(langs) > 1) >= 30  # cross-language
    assert any(row["timezone"] == "UTC" for row in rows)  # zone slips
    assert any(row["start"].endswith("Z") for row in rows)
    assert any(row["all_day"] for row in rows)
    assert any(row["series_id"] for row in rows)
    assert any(", osa 2" in row["title"] for row in rows)


def test_pairwise_precision_and_recall_on_the_labelled_set() -> None:
    items, labels = listings()
    found = cluster(items)
    quality = pairwise_quality([c.listing_ids for c in found.clusters], labels)
    assert quality.true_pairs > 300
    assert quality.precision >= MIN_PRECISION, quality
    assert quality.recall >= MIN_RECALL, quality


def test_a_second_run_on_the_labelled_set_gives_the_same_clusters() -> None:
    items, _labels = listings()
    first = cluster(items)
    second = cluster(list(reversed(items)))
    assert [c.listing_ids for c in first.clusters] == [c.listing_ids for c in second.clusters]
    assert [c.why for c in first.clusters] == [c.why for c in second.clusters]


def test_blocking_scores_few_pairs() -> None:
    items, _labels = listings()
    found = cluster(items)
    assert found.candidate_pairs < 4 * len(items)  # against ~80,000 for all pairs
