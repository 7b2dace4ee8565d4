"""Pairwise precision and recall of a clustering against labels (for tests and benchmarks)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quality:
    true_pairs: int
    found_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.found_pairs if self.found_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pairwise_quality(clusters: Iterable[Iterable[int]], labels: Mapping[int, str]) -> Quality:
    """Compare found clusters of listing ids with the true group of each listing.

    A pair is found when both listings are in one cluster, true when they share a label.
    """
    found = 0
    correct = 0
    for cluster in clusters:
        members = list(cluster)
        found += _pairs([len(members)])
        correct += _pairs(Counter(labels[m] for m in members).values())
    return Quality(
        true_pairs=_pairs(Counter(labels.values()).values()),
        found_pairs=found,
        correct_pairs=correct,
    )
