"""Normalisation: pure functions that turn extracted values into EventRecord values.

Times become aware UTC datetimes plus the original zone name; titles lose status words;
descriptions are sanitised with nh3; categories and audiences map onto store.vocab.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import nh3

from store import vocab

MAX_DESCRIPTION = 20_000

_STATUS_WORDS = {
    vocab.CANCELLED: ("peruttu", "peruutettu", "inställt", "inställd", "cancelled", "canceled"),
    vocab.POSTPONED: ("siirretty", "framflyttat", "uppskjutet", "postponed"),
}
_STATUS_RE = re.compile(
    r"^\s*[\[(]?\s*(?P<word>"
    + "|".join(w for words in _STATUS_WORDS.values() for w in words)
    + r")\s*[\])]?\s*[:!–—-]*\s*",
    re.IGNORECASE,
)


def parse_iso(value: str, timezone: str) -> tuple[datetime, bool, str]:
    """Read an ISO 8601 date or datetime; return (aware UTC datetime, all_day, zone name).

    A value with an offset keeps its instant; one without is read in `timezone`; a date
    alone is an all-day event starting at local midnight.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty date")
    zone = ZoneInfo(timezone)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        day = date.fromisoformat(text)
        return datetime.combine(day, time(0), zone).astimezone(UTC), True, timezone
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone).astimezone(UTC), False, timezone
    return parsed.astimezone(UTC), False, timezone


def clean_title(raw: str) -> tuple[str, str | None]:
    """Collapse white space and entities; move a leading status word into the status."""
    title = " ".join(html.unescape(raw).split())
    status: str | None = None
    match = _STATUS_RE.match(title)
    if match:
        word = match.group("word").casefold()
        status = next(s for s, words in _STATUS_WORDS.items() if word in words)
        title = title[match.end() :].strip() or title
    return title, status


def sanitise_html(raw: str) -> tuple[str, str]:
    """Safe HTML (no scripts, handlers, styles, iframes, javascript:/data: URLs) and plain text."""
    cleaned = nh3.clean(
        raw[: MAX_DESCRIPTION * 2],
        tags={"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "a", "h3", "h4"},
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    text = nh3.clean(re.sub(r"<(br|/p|/li|/h\d)\s*/?>", "\n", cleaned), tags=set())
    text = html.unescape(text)
    text = "\n".join(" ".join(line.split()) for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    return cleaned[:MAX_DESCRIPTION], text[:MAX_DESCRIPTION]


_CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "job-fair": (
        "rekrytointitapahtuma",
        "rekrymessut",
        "työmessut",
        "messut",
        "job fair",
        "career fair",
        "rekryteringsmässa",
        "jobbmässa",
        "mässa",
        "recruitment event",
    ),
    "mentoring": ("mentor", "mentorointi", "mentorskap"),
    "webinar": ("webinaari", "webinar", "webbinarium"),
    "workshop": ("työpaja", "workshop", "verkstad", "clinic", "klinikka"),
    "course": ("kurssi", "koulutus", "course", "kurs", "training", "utbildning"),
    "seminar": (
        "seminaari",
        "seminar",
        "luento",
        "lecture",
        "föreläsning",
        "conference",
        "konferenssi",
    ),
    "networking": ("verkostoitu", "networking", "nätverk", "meetup", "afterwork"),
    "info-session": (
        "infotilaisuus",
        "info session",
        "infotillfälle",
        "information session",
        "infotilaisuus",
        "info-ilta",
    ),
    "volunteering": ("vapaaehtois", "volunteer", "frivillig"),
}


def guess_categories(*texts: str) -> list[str]:
    """Categories from words in the title and description (fi, sv, en); `other` when none."""
    haystack = " ".join(texts).casefold()
    found = [cat for cat, words in _CATEGORY_WORDS.items() if any(w in haystack for w in words)]
    return found or ["other"]
