"""The events a run of digests chooses from, indexed once and shared by every subscriber (pure).

A run sends thousands of digests at one `now`. Filtering every event for every subscriber would
cost milliseconds each; the pool keeps, per category, city, language and audience, the ids of
the events that are eligible at `now`, and caches keyword searches, so a subscriber's candidates
are a few set operations. The indexes only narrow the search: `digest.match.match_event` still
decides, so an index can never let through an event the rules refuse.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import datetime, timedelta

from digest import match
from digest.match import body_text, keyword_pattern, title_text
from digest.model import DEADLINE, UPCOMING, EventView, Preferences
from store import vocab

NEW_STATUSES = (vocab.SCHEDULED, vocab.RESCHEDULED)
NO_DEADLINE = "9999"  # sorts after every ISO date: events without a deadline come last


def date_key(event: EventView, section: str) -> tuple[datetime, str, int]:
    """The order among equally good matches: the sooner date (for a call: its deadline, the
    day to act by), then the more urgent deadline, then the id (stable)."""
    when = event.deadline_at if section == DEADLINE and event.deadline_at else event.start_at
    deadline = event.deadline_at.isoformat() if event.deadline_at else NO_DEADLINE
    return (when, deadline, event.id)


def section_for(
    event: EventView, now: datetime, window_end: datetime, deadline_end: datetime
) -> str | None:
    """Where an event goes as new: upcoming (starts in the window), deadline (starts later but
    applications close within the deadline window), or None (not eligible at `now`)."""
    if event.status not in NEW_STATUSES or event.start_at < now:
        return None
    if event.deadline_at is not None and event.deadline_at < now:
        return None  # applications closed: nothing left to do about it
    if event.start_at <= window_end:
        return UPCOMING
    if event.deadline_at is not None and event.deadline_at <= deadline_end:
        return DEADLINE
    return None


class EventPool:
    def __init__(
        self,
        events: Iterable[EventView],
        now: datetime,
        *,
        window_days: int = 14,
        deadline_days: int = 21,
    ) -> None:
        self.now = now
        self.window_end = now + timedelta(days=window_days)
        self.deadline_end = now + timedelta(days=deadline_days)
        self.events: dict[int, EventView] = {}
        self.sections: dict[int, str] = {}
        self._by_category: defaultdict[str, set[int]] = defaultdict(set)
        self._by_city: defaultdict[str, set[int]] = defaultdict(set)
        self._by_language: defaultdict[str, set[int]] = defaultdict(set)
        self._by_audience: defaultdict[str, set[int]] = defaultdict(set)
        self._online: set[int] = set()
        self._online_only: set[int] = set()
        self._open_to_all: set[int] = set()
        self._titles: dict[int, str] = {}
        self._bodies: dict[int, str] = {}
        self._keyword_cache: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
        for event in events:
            self._add_eligible(event)
        self.eligible: frozenset[int] = frozenset(self.sections)
        by_date = sorted(self.sections, key=lambda i: date_key(self.events[i], self.sections[i]))
        self._position = {event_id: index for index, event_id in enumerate(by_date)}

    def _add_eligible(self, event: EventView) -> None:
        self.events[event.id] = event
        section = section_for(event, self.now, self.window_end, self.deadline_end)
        if section is None:
            return
        self.sections[event.id] = section
        for category in event.categories:
            self._by_category[category].add(event.id)
        if event.city:
            self._by_city[event.city.casefold()].add(event.id)
        for language in event.event_languages:
            self._by_language[language].add(event.id)
        for audience in event.audiences:
            self._by_audience[audience].add(event.id)
        if not event.audiences:
            self._open_to_all.add(event.id)
        if event.online:
            self._online.add(event.id)
        if event.attendance == vocab.ONLINE:
            self._online_only.add(event.id)
        self._titles[event.id] = title_text(event)
        self._bodies[event.id] = body_text(event)

    def add_known(self, events: Iterable[EventView]) -> None:
        """Events that are not candidates but may be updates (sent before, now out of reach)."""
        for event in events:
            self.events.setdefault(event.id, event)

    def get(self, event_id: int) -> EventView | None:
        return self.events.get(event_id)

    def keyword_hits(self, keyword: str) -> tuple[frozenset[int], frozenset[int]]:
        """(ids with the keyword in a title, ids with it only in a description)."""
        cached = self._keyword_cache.get(keyword)
        if cached is None:
            pattern = keyword_pattern(keyword)
            titles = frozenset(i for i, text in self._titles.items() if pattern.search(text))
            bodies = frozenset(
                i for i, text in self._bodies.items() if i not in titles and pattern.search(text)
            )
            cached = self._keyword_cache[keyword] = (titles, bodies)
        return cached

    def candidates(self, prefs: Preferences) -> set[int]:
        """Eligible ids that may fit `prefs` (a superset of the ones that do)."""
        ids = set(self.eligible)
        if prefs.categories or prefs.keywords:
            topic: set[int] = set()
            for category in prefs.categories:
                topic |= self._by_category.get(category, set())
            for keyword in prefs.keywords:
                titles, bodies = self.keyword_hits(keyword)
                topic |= titles | bodies
            ids &= topic
        if prefs.cities:
            place: set[int] = set(self._online) if prefs.include_online else set()
            for city in prefs.cities:
                place |= self._by_city.get(city.casefold(), set())
            ids &= place
        elif not prefs.include_online:
            ids -= self._online_only
        if prefs.event_languages:
            spoken: set[int] = set()
            for language in prefs.event_languages:
                spoken |= self._by_language.get(language, set())
            ids &= spoken
        if prefs.audiences:
            meant: set[int] = set(self._open_to_all)
            for audience in prefs.audiences:
                meant |= self._by_audience.get(audience, set())
            ids &= meant
        return ids

    def ranked(
        self, prefs: Preferences, exclude: Collection[int], limit: int
    ) -> list[tuple[int, int]]:
        """The `limit` best (event id, score) for `prefs`, best first, leaving out `exclude`.

        Scores are summed from the same sets the candidates come from, with the weights of
        digest.match, so only the chosen few need `match_event` (for their reasons).
        """
        ids = self.candidates(prefs).difference(exclude)
        scores: dict[int, int] = {}

        def add(members: set[int] | frozenset[int], weight: int) -> None:
            for event_id in ids.intersection(members):
                scores[event_id] = scores.get(event_id, 0) + weight

        if prefs.categories:
            add(self._union(self._by_category, prefs.categories), match.CATEGORY)
        if prefs.audiences:
            add(self._union(self._by_audience, prefs.audiences), match.AUDIENCE)
        for keyword in prefs.keywords:
            titles, bodies = self.keyword_hits(keyword)
            add(titles, match.KEYWORD_IN_TITLE)
            add(bodies, match.KEYWORD_IN_TEXT)
        if prefs.cities:
            add(self._union(self._by_city, [c.casefold() for c in prefs.cities]), match.CITY)
        if prefs.event_languages:
            add(self._union(self._by_language, prefs.event_languages), match.LANGUAGE)
        position = self._position
        best = heapq.nsmallest(limit, ids, key=lambda i: (-scores.get(i, 0), position[i]))
        return [(event_id, scores.get(event_id, 0)) for event_id in best]

    @staticmethod
    def _union(index: dict[str, set[int]], keys: Iterable[str]) -> set[int]:
        found: set[int] = set()
        for key in keys:
            found |= index.get(key, set())
        return found
