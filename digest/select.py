"""Choosing and ranking the events of one subscriber's digest (pure: data and `now` in).

* New events: eligible in the pool (upcoming in the window, or a call whose application
  deadline is near), fitting the preferences (digest.match), never sent to this subscriber
  before. Ranked by how well they match, then by date, then by deadline; at most
  `max_items` of them.
* Updates: events sent before that changed since (cancelled, postponed, rescheduled, deadline
  moved), compared with what the last digest said about them; each change is told once,
  because the digest that tells it records the new state.

Subscribers with the same preferences (the address aside) and the same history get the same
selection: :class:`Selections` selects once per such group in a run and hands each member the
group's digest under their own preferences.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from digest.match import match_event
from digest.model import (
    UPDATE,
    Digest,
    DigestItem,
    EventView,
    Preferences,
    Reason,
    SentItem,
)
from digest.pool import EventPool, date_key
from store import vocab


def changes_since(sent: SentItem, event: EventView, now: datetime) -> tuple[str, ...]:
    """What changed in an event since a digest told about it (empty: nothing to tell).

    Cancelled or postponed: told while the event's date has not passed. Rescheduled (also: back
    on after a cancellation) and a moved application deadline: told while the event is ahead.
    """
    off = (vocab.CANCELLED, vocab.POSTPONED)
    if event.status in off:
        if event.status != sent.status and max(event.start_at, sent.start_at) >= now:
            return (event.status,)
        return ()
    if event.start_at < now:
        return ()
    changes: list[str] = []
    if event.start_at != sent.start_at or sent.status in off:
        changes.append(vocab.RESCHEDULED)
    if (
        event.deadline_at is not None
        and event.deadline_at != sent.deadline_at
        and event.deadline_at >= now
    ):
        changes.append("deadline")
    return tuple(changes)


def _update_reasons(event: EventView) -> tuple[Reason, ...]:
    reasons = [Reason("category", c) for c in event.categories[:1]]
    if event.city:
        reasons.append(Reason("city", event.city))
    elif event.online:
        reasons.append(Reason("online", vocab.ONLINE))
    return tuple(reasons)


def rank_key(item: DigestItem) -> tuple[int, datetime, str, int]:
    """Better match first, then `digest.pool.date_key`."""
    return (-item.score, *date_key(item.event, item.section))


def select_digest(
    prefs: Preferences,
    pool: EventPool,
    sent: Mapping[int, SentItem],
    now: datetime,
) -> Digest:
    """The digest for `prefs` at `now`; `sent` maps event ids to what was last sent about them."""
    updates: list[DigestItem] = []
    for event_id, before in sent.items():
        event = pool.get(event_id)
        if event is None:
            continue
        changes = changes_since(before, event, now)
        if changes:
            updates.append(
                DigestItem(
                    event=event,
                    section=UPDATE,
                    reasons=_update_reasons(event),
                    changes=changes,
                    previous=before,
                )
            )
    limit = max(prefs.max_items, 1)
    chosen: list[DigestItem] = []
    for event_id, score in pool.ranked(prefs, sent.keys(), limit):
        event = pool.events[event_id]
        title_hits = {k for k in prefs.keywords if event_id in pool.keyword_hits(k)[0]}
        text_hits = {k for k in prefs.keywords if event_id in pool.keyword_hits(k)[1]}
        found = match_event(event, prefs, title_hits, text_hits)
        if found is None:  # the pool and the rules disagree: trust the rules
            continue
        chosen.append(
            DigestItem(
                event=event,
                section=pool.sections[event_id],
                score=score,
                reasons=found.reasons,
            )
        )
    updates.sort(key=lambda item: (item.event.start_at, item.event.id))
    return Digest(preferences=prefs, items=(*updates[:limit], *chosen[:limit]))


# A group of subscribers whose digests select the same: preferences without the address, and
# what each was sent before.
GroupKey = tuple[Preferences, frozenset[SentItem]]


class Selections:
    """Digests of one run (one pool, one `now`), selected once per group of subscribers.

    Bounded (`max_groups`, least recently used out first), so memory stays flat however many
    subscribers a run has; `selected` and `reused` count the two ways a digest was had."""

    def __init__(self, pool: EventPool, now: datetime, max_groups: int = 4096) -> None:
        self.pool = pool
        self.now = now
        self.max_groups = max_groups
        self._digests: OrderedDict[GroupKey, Digest] = OrderedDict()
        self.selected = 0
        self.reused = 0

    def select(self, prefs: Preferences, sent: Mapping[int, SentItem]) -> Digest:
        """What :func:`select_digest` gives for `prefs` and `sent`."""
        anyone = replace(prefs, email="")
        key: GroupKey = (anyone, frozenset(sent.values()))
        found = self._digests.get(key)
        if found is None:
            found = select_digest(anyone, self.pool, sent, self.now)
            self._digests[key] = found
            if len(self._digests) > self.max_groups:
                self._digests.popitem(last=False)
            self.selected += 1
        else:
            self._digests.move_to_end(key)
            self.reused += 1
        return replace(found, preferences=prefs)
