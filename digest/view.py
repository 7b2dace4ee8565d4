"""A digest turned into what a reader sees: translated, formatted strings per item (pure).

Dates and times are formatted with Babel in the subscriber's language and time zone. Babel is
slow (a quarter of a millisecond a call) and a run formats the same few hundred events for
thousands of subscribers, so formatted values are cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from digest.links import event_calendar_url, event_page_url
from digest.model import (
    DEADLINE,
    UPCOMING,
    UPDATE,
    Digest,
    DigestItem,
    EventView,
    Reason,
    SentItem,
)
from digest.words import (
    AUDIENCE_PHRASES,
    CATEGORY_LABELS,
    CHANGE_LABELS,
    CHOSEN_LANGUAGE_PHRASES,
    HELD_IN,
    LANGUAGE_NAMES,
    LANGUAGE_PHRASES,
    STATUS_LABELS,
)
from locales import translations
from text.places import city_name

DAY_PATTERNS = {"fi": "cccc d. MMMM", "sv": "EEEE d MMMM", "en": "EEEE d MMMM"}
CARD_PLACEHOLDER = "@@vahti-card-{}@@"
SHORT_DAY_PATTERNS = {"fi": "ccc d.M.", "sv": "EEE d MMM", "en": "EEE d MMM"}


@lru_cache(maxsize=8192)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def local(value: datetime, zone: str) -> datetime:
    return value.astimezone(_zone(zone))


@lru_cache(maxsize=8192)
def day_label(day: date, language: str) -> str:
    return format_date(day, DAY_PATTERNS[language], locale=language)


@lru_cache(maxsize=8192)
def short_day(day: date, language: str) -> str:
    return format_date(day, SHORT_DAY_PATTERNS[language], locale=language)


@lru_cache(maxsize=8192)
def clock(moment: time, language: str) -> str:
    return format_time(moment, "short", locale=language)


def gettext(language: str, message: str) -> str:
    return translations(language).gettext(message)


def when(start: datetime, end: datetime | None, all_day: bool, zone: str, lang: str) -> str:
    """'17.00–19.00' (the day is the group heading), 'all day', or '17.00 – ti 1.12. 12.00'."""
    begin = local(start, zone)
    if all_day:
        text = gettext(lang, "all day")
        if end is not None and local(end, zone).date() > begin.date():
            text += f" – {short_day(local(end, zone).date(), lang)}"
        return text
    text = clock(begin.time(), lang)
    if end is not None and end > start:
        finish = local(end, zone)
        if finish.date() == begin.date():
            text += f"–{clock(finish.time(), lang)}"
        else:
            text += f" – {short_day(finish.date(), lang)} {clock(finish.time(), lang)}"
    return text


def moment(value: datetime, zone: str, lang: str, *, with_time: bool = True) -> str:
    """'ma 30.11. 17.00': a date outside a day group (deadlines, updates, old times)."""
    at = local(value, zone)
    text = short_day(at.date(), lang)
    if with_time and at.time() not in (time(0, 0), time(23, 59)):
        text += f" {clock(at.time(), lang)}"
    return text


@lru_cache(maxsize=8192)
def reason_line(reasons: tuple[Reason, ...], lang: str, chosen: bool = False) -> str:
    """'job fair · Helsinki · you chose English', translated: `chosen` when the reader chose
    event languages (the reason is then their choice, not the language the text is in)."""
    parts: list[str] = []
    for reason in reasons:
        if reason.kind == "category":
            parts.append(gettext(lang, CATEGORY_LABELS.get(reason.value, reason.value)))
        elif reason.kind == "keyword":
            parts.append(gettext(lang, "mentions “%(word)s”") % {"word": reason.value})
        elif reason.kind == "city":
            parts.append(city_name(reason.value, lang))
        elif reason.kind == "online":
            parts.append(gettext(lang, "Online"))
        elif reason.kind == "language" and reason.value in LANGUAGE_PHRASES:
            phrases = CHOSEN_LANGUAGE_PHRASES if chosen else LANGUAGE_PHRASES
            parts.append(gettext(lang, phrases[reason.value]))
        elif reason.kind == "audience" and reason.value in AUDIENCE_PHRASES:
            parts.append(gettext(lang, AUDIENCE_PHRASES[reason.value]))
    return " · ".join(parts)


@dataclass(frozen=True, slots=True, eq=False)
class ItemView:
    """One event's card. Hashed by identity (cheap): views are made once by a cache."""

    event_id: int
    section: str
    title: str
    url: str | None
    when: str
    place: str
    excerpt: str
    categories: tuple[str, ...]
    language: str | None
    online: bool
    deadline: str | None
    apply_url: str | None
    calendar_url: str
    also: tuple[tuple[str, str | None], ...]  # (source name, its page or None)
    changes: tuple[str, ...]
    previous: str | None
    status: str | None = None  # "Rescheduled", "Cancelled"...: the mark the web list shows


@dataclass(frozen=True, slots=True)
class ShownItem:
    """An event's card (the same for everyone who sees the event) and why this reader sees it."""

    card: ItemView
    reason: str
    token: str = ""  # the card's placeholder in the page (see digest.render)


@dataclass(frozen=True, slots=True)
class DayView:
    label: str
    items: tuple[ShownItem, ...]


@dataclass(frozen=True, slots=True)
class DigestView:
    language: str
    updates: tuple[ShownItem, ...]
    deadlines: tuple[ShownItem, ...]
    days: tuple[DayView, ...]
    new_count: int
    window_days: int
    top_title: str
    shown: tuple[ShownItem, ...] = ()  # every item, in token order
    more: int = 0  # matched but left out to keep the mail under the size limit

    @property
    def empty(self) -> bool:
        return not (self.updates or self.deadlines or self.days)

    def titles(self) -> list[str]:
        items = [*self.updates, *self.deadlines, *(i for d in self.days for i in d.items)]
        return [item.card.title for item in items]


def item_view(
    item: DigestItem,
    zone: str,
    lang: str,
    base_url: str,
    *,
    compact: bool = False,
    chosen_languages: bool = False,
) -> ShownItem:
    """How an item reads. Cached: in a run, thousands of digests show the same few hundred
    events (the key holds the EventView itself, compared by identity, so a cached card can
    never belong to another version of an event); the reason line is per reader."""
    card = _item_view(
        item.event, item.section, item.changes, item.previous, zone, lang, base_url, compact
    )
    return ShownItem(card=card, reason=reason_line(item.reasons, lang, chosen_languages))


@lru_cache(maxsize=16384)
def _item_view(
    event: EventView,
    section: str,
    changes: tuple[str, ...],
    previous: SentItem | None,
    zone: str,
    lang: str,
    base_url: str,
    compact: bool,
) -> ItemView:
    item = DigestItem(event, section, 0, (), changes, previous)
    if item.section == UPCOMING:
        time_text = when(event.start_at, event.end_at, event.all_day, zone, lang)
    else:
        time_text = moment(event.start_at, zone, lang, with_time=not event.all_day)
    city = city_name(event.city, lang) if event.city else None
    place_parts = [p for p in (event.venue, city) if p]
    if event.online and not place_parts:
        place_parts.append(gettext(lang, "Online"))
    elif event.online:
        place_parts.append(gettext(lang, "also online"))
    deadline = None
    if event.deadline_at is not None:
        deadline = gettext(lang, "Apply by %(date)s") % {
            "date": moment(event.deadline_at, zone, lang)
        }
    was = None
    if item.previous is not None and "rescheduled" in item.changes:
        was = gettext(lang, "was %(when)s") % {
            "when": moment(item.previous.start_at, zone, lang, with_time=not event.all_day)
        }
    also = () if compact else event.listed_at[:4]
    return ItemView(
        event_id=event.id,
        section=item.section,
        title=event.title_in(lang),
        url=event.url or event_page_url(base_url, event.id),
        when=time_text,
        place=", ".join(dict.fromkeys(place_parts)),
        excerpt="" if compact else event.excerpt(lang),
        categories=tuple(
            gettext(lang, CATEGORY_LABELS[c]) for c in event.categories[:2] if c in CATEGORY_LABELS
        ),
        language=held_in(event.event_languages, lang),
        online=event.online,
        deadline=deadline,
        apply_url=event.application_url,
        calendar_url=event_calendar_url(base_url, event.id),
        also=also,
        changes=tuple(gettext(lang, CHANGE_LABELS[c]) for c in item.changes),
        previous=was,
        status=gettext(lang, STATUS_LABELS[event.status])
        if event.status in STATUS_LABELS and event.status not in item.changes
        else None,
    )


def held_in(languages: tuple[str, ...], lang: str) -> str | None:
    """The card's language badge: 'held in Swedish, English' (what the event is held in; the
    "Why" line says what the reader chose)."""
    names = [gettext(lang, LANGUAGE_NAMES[code]) for code in languages if code in LANGUAGE_NAMES]
    if not names:
        return None
    return gettext(lang, HELD_IN) % {"languages": ", ".join(names)}


def digest_view(
    digest: Digest, base_url: str, window_days: int, *, compact: bool = False
) -> DigestView:
    prefs = digest.preferences
    lang, zone = prefs.language, prefs.timezone

    shown: list[ShownItem] = []

    def view(item: DigestItem) -> ShownItem:
        one = item_view(
            item,
            zone,
            lang,
            base_url,
            compact=compact,
            chosen_languages=bool(prefs.event_languages),
        )
        one = ShownItem(one.card, one.reason, CARD_PLACEHOLDER.format(len(shown)))
        shown.append(one)
        return one

    deadline_items = sorted(
        digest.section(DEADLINE), key=lambda i: (i.event.deadline_at, -i.score, i.event.id)
    )
    by_day: dict[date, list[ShownItem]] = {}
    upcoming = sorted(
        digest.section(UPCOMING), key=lambda i: (local(i.event.start_at, zone).date(), -i.score)
    )
    updates = tuple(view(i) for i in digest.section(UPDATE))
    deadlines = tuple(view(i) for i in deadline_items)
    for item in upcoming:
        by_day.setdefault(local(item.event.start_at, zone).date(), []).append(view(item))
    return DigestView(
        language=lang,
        updates=updates,
        deadlines=deadlines,
        days=tuple(DayView(day_label(day, lang), tuple(items)) for day, items in by_day.items()),
        shown=tuple(shown),
        new_count=digest.new_count,
        window_days=window_days,
        top_title=next((i.event.title_in(lang) for i in digest.items if i.section != UPDATE), ""),
    )
