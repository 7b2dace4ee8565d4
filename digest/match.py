"""Does an event fit a subscriber's preferences, how well, and why (pure).

The rules, one filter per kind of preference (an empty preference lets everything through):

* topic: one of the wanted categories, or one of the keywords in a title or description in any
  language the event has. Categories and keywords widen each other: "workshops, and anything
  that mentions python".
* place: one of the wanted cities, or online/hybrid when "online too" is on. Without cities,
  everything but online-only events when "online too" is off.
* event language: one of the languages the event is held in.
* audience: events meant for a group must be meant for one of the subscriber's groups; events
  with no audience are open to all.

Keywords of four letters or more match inside words (Finnish compounds: "rekrytointi" finds
"kesärekrytointi"); shorter ones match whole words only ("IT" does not find "digital").
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from functools import lru_cache

from digest.model import EventView, Preferences, Reason
from store import vocab

KEYWORD_IN_TITLE = 3
KEYWORD_IN_TEXT = 1
CATEGORY = 2
AUDIENCE = 2
CITY = 1
LANGUAGE = 1
SHORT_KEYWORD = 4


@dataclass(frozen=True, slots=True)
class Match:
    score: int
    reasons: tuple[Reason, ...]


@lru_cache(maxsize=4096)
def keyword_pattern(keyword: str) -> re.Pattern[str]:
    word = keyword.strip().casefold()
    if len(word) >= SHORT_KEYWORD:
        return re.compile(re.escape(word))
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


def title_text(event: EventView) -> str:
    """Every title of the event, case-folded, for keyword search."""
    return "\n".join((event.title, *event.titles.values())).casefold()


def body_text(event: EventView) -> str:
    """Every description of the event, case-folded, for keyword search."""
    return "\n".join((event.description_text, *event.descriptions.values())).casefold()


def keywords_found(keywords: Collection[str], text: str) -> set[str]:
    return {k for k in keywords if keyword_pattern(k).search(text)}


def place_ok(event: EventView, prefs: Preferences) -> bool:
    online_ok = prefs.include_online and event.online
    if prefs.cities:
        wanted = {c.casefold() for c in prefs.cities}
        return online_ok or (event.city is not None and event.city.casefold() in wanted)
    return event.attendance != vocab.ONLINE or prefs.include_online


def match_event(
    event: EventView,
    prefs: Preferences,
    title_hits: Collection[str] | None = None,
    text_hits: Collection[str] | None = None,
) -> Match | None:
    """The score and reasons of an event for these preferences, or None when it does not fit.

    `title_hits` / `text_hits` are the preference keywords found in the event's titles and
    descriptions; they are searched here when not given (digest.pool caches them).
    """
    if title_hits is None:
        title_hits = keywords_found(prefs.keywords, title_text(event))
    if text_hits is None:
        text_hits = keywords_found(prefs.keywords, body_text(event)) - set(title_hits)
    score = 0
    categories = [c for c in event.categories if c in prefs.categories]
    keywords = [k for k in prefs.keywords if k in title_hits or k in text_hits]
    if (prefs.categories or prefs.keywords) and not (categories or keywords):
        return None
    if not place_ok(event, prefs):
        return None
    languages = [lang for lang in event.event_languages if lang in prefs.event_languages]
    if prefs.event_languages and not languages:
        return None
    audiences = [a for a in event.audiences if a in prefs.audiences]
    if event.audiences and prefs.audiences and not audiences:
        return None

    score += CATEGORY * bool(categories) + AUDIENCE * bool(audiences)
    score += sum(KEYWORD_IN_TITLE if k in title_hits else KEYWORD_IN_TEXT for k in keywords)
    reasons: list[Reason] = []
    category = categories[0] if categories else (event.categories[:1] or [None])[0]
    if category:
        reasons.append(Reason("category", category))
    reasons.extend(Reason("keyword", k) for k in keywords[:2])
    wanted_cities = {c.casefold() for c in prefs.cities}
    if event.city and event.city.casefold() in wanted_cities:
        score += CITY
        reasons.append(Reason("city", event.city))
    elif event.online and (prefs.cities or not event.city):
        reasons.append(Reason("online", vocab.ONLINE))  # in because it is online
    elif event.city:
        reasons.append(Reason("city", event.city))
    if languages:
        score += LANGUAGE
        reasons.append(Reason("language", languages[0]))
    elif event.language in vocab.LANGUAGES:
        reasons.append(Reason("language", event.language))
    reasons.extend(Reason("audience", a) for a in audiences[:1])
    return Match(score=score, reasons=tuple(reasons))
