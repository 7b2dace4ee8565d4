"""Dates and times in free text, as Finnish, Swedish and English organiser sites write them.

dateparser alone misreads the common forms ("to 14.1.2027 klo 17.00–19.00" gives None, "ti
14.1. klo 17" gives 2017, "15 februari" gives 2115), and it is slow. So dates are *found*
with our own patterns (numeric ``d.m.yyyy`` and ``d.m.``, ISO, and ``day month-word year`` in
either order), month words are resolved by dateparser (fi, sv, en; cached per word), times
and ranges are read by our own patterns, and a year left out is the next one that makes the
date current. Everything is pure: the reference day comes in as ``today``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import dateparser

# A date without a year that fell this many days ago is still this year's (a past listing).
YEARLESS_GRACE_DAYS = 45

_WEEKDAY_WORDS = (
    "maanantai tiistai keskiviikko torstai perjantai lauantai sunnuntai "
    "maanantaina tiistaina keskiviikkona torstaina perjantaina lauantaina sunnuntaina "
    "måndag tisdag onsdag torsdag fredag lördag söndag mån tis ons tor tors fre lör sön "
    "monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur "
    "thurs fri sat sun måndagen tisdagen onsdagen torsdagen fredagen lördagen söndagen"
)
_WEEKDAYS = frozenset(_WEEKDAY_WORDS.split())
_DASH = r"\s*(?:[-–—]|\bto\b|\btill\b|\buntil\b)\s*"
# A weekday before a date, in any of the three languages ("ti", "tis", "Tue.", "torstaina").
_WEEKDAY = (
    r"\b(?:"
    + "|".join(sorted(_WEEKDAYS | {"ma", "ti", "ke", "to", "pe", "la", "su"}, key=len)[::-1])
    + r")\b\.?,?"
)
# Between the two ends of a range: a dash, and the second end's weekday ("ma 31.1. – ti 1.2.").
_RANGE = _DASH + r"(?:" + _WEEKDAY + r"\s*)?"
# Between a time written first and its date: "klo 18 to 3.2.", "at 5 pm on Wednesday, 3 Feb".
_CLOCK_TO_DATE = re.compile(
    r"[\s,]*(?:(?:on|den)\s+)?(?:" + _WEEKDAY + r"\s*)?(?:(?:the|den)\s+)?", re.IGNORECASE
)
_NUMERIC = re.compile(
    r"(?<![\d.:/])(?:(?P<d0>\d{1,2})\.(?:(?P<m0>\d{1,2})\.)?" + _DASH + r")?"
    r"(?P<d>\d{1,2})[./](?P<m>\d{1,2})(?:(?P<sep>[./])(?P<y>\d{4}|\d{2}(?![\d:]))?)?"
    r"(?![\d/])"
)
_ISO = re.compile(
    r"(?<!\d)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2}))?(?!\d)"
)
_WORD = r"(?P<w>[^\W\d_]{3,}\.?)"
_DAY_FIRST = re.compile(
    r"(?<![\d.])(?:(?P<d0>\d{1,2})\.?" + _DASH + r")?(?P<d>\d{1,2})(?:\.|st|nd|rd|th)?\s+"
    r"(?:of\s+)?" + _WORD + r"(?:,?\s+(?P<y>\d{4}))?(?!\d)",
    re.IGNORECASE,
)
_MONTH_FIRST = re.compile(
    _WORD
    + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th|\.\s*päivänä)?(?:"
    + _DASH
    + r"(?P<d1>\d{1,2})(?!\d))?"
    r"(?:,?\s+(?P<y>\d{4}))?(?![\d.:])",
    re.IGNORECASE,
)
_CLOCK = r"(?P<{0}h>\d{{1,2}})(?:[:.](?P<{0}m>\d{{2}}))?\s*(?P<{0}p>[ap]\.?m\b\.?)?"
_TIME = re.compile(
    r"^[\s,;:(]*(?:(?:klo|klockan|kl|kello|at|from|alkaen|fr\.?o\.?m\.?|@)\.?\s*)?"
    + _CLOCK.format("a")
    + r"(?:"
    + _DASH
    + r"(?:(?:klo|kl)\.?\s*)?"
    + _CLOCK.format("b")
    + r")?(?![\d.:]*\d)",
    re.IGNORECASE,
)
_TIME_START = re.compile(
    r"\b(?:klo|klockan|kl|kello|at)\b\.?|\d{1,2}[:.]\d{2}|\d{1,2}\s*[ap]\.?m\b", re.IGNORECASE
)
_TIME_WORD = re.compile(r"^[\s,;:(]*(?:klo|klockan|kl|kello|at|@)\b", re.IGNORECASE)
# Where a time written before its date may begin: a time word or a number.
_CLOCK_AT = re.compile(r"\b(?:klo|klockan|kl|kello|at)\b|(?<![\d.:])\d{1,2}(?!\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A calendar date found in text, with its position (end day for ``14.–15.1.``)."""

    day: date
    at: int
    stop: int
    last_day: date | None = None
    clock: time | None = None


@dataclass(frozen=True)
class Span:
    """When something happens, in local wall time (naive: the caller knows the zone).

    For a whole-day span, ``end`` is the last day (inclusive) at midnight, or None.
    """

    start: datetime
    end: datetime | None
    all_day: bool
    at: int = 0
    stop: int = 0


@lru_cache(maxsize=512)
def month_number(word: str, languages: tuple[str, ...] = ("fi", "sv", "en")) -> int | None:
    """The month a word names in fi/sv/en ("tammikuuta", "januari", "Feb."), else None."""
    key = word.casefold().rstrip(".")
    if key in _WEEKDAYS or len(key) < 3:
        return None
    if key.endswith("kuun"):  # the Finnish genitive: "huhtikuun 15. päivänä"
        return month_number(key[:-1], languages)
    settings = {"RETURN_AS_TIMEZONE_AWARE": False}
    first = dateparser.parse(f"1 {word} 2001", languages=list(languages), settings=settings)
    second = dateparser.parse(f"15 {word} 2003", languages=list(languages), settings=settings)
    if first is None or second is None or first.month != second.month:
        return None
    if (first.year, first.day, second.year, second.day) != (2001, 1, 2003, 15):
        return None
    return first.month


def _year_for(day: int, month: int, today: date) -> int:
    """The year of a date written without one: this year's unless long past, else next."""
    year = today.year
    try:
        candidate = date(year, month, day)
    except ValueError:
        return year + 1 if month == 2 and day == 29 else year
    if candidate < today - timedelta(days=YEARLESS_GRACE_DAYS):
        return year + 1
    return year


def _full_year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _make(day: int, month: int, year: int | None, today: date) -> date:
    return date(year or _year_for(day, month, today), month, day)


def find_mentions(
    text: str, today: date, languages: tuple[str, ...] = ("fi", "sv", "en")
) -> list[Mention]:
    """Every date in the text, in order. Impossible dates (31.2.2027) are left out."""
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, stop: int) -> bool:
        return all(stop <= a or start >= b for a, b in taken)

    for match in _ISO.finditer(text):
        try:
            day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            continue
        clock = time(int(match["H"]), int(match["M"])) if match["H"] else None
        if clock is not None and clock.hour > 23:
            continue
        found.append(Mention(day, match.start(), match.end(), clock=clock))
        taken.append(match.span())
    for match in _NUMERIC.finditer(text):
        if not free(*match.span()) or (match["y"] is None and match["sep"] != "."):
            continue
        if match["sep"] is None and match["m0"] is None:
            continue  # "17.30" is a time; a date without a year ends with a dot: "14.1."
        year = _full_year(match["y"])
        try:
            last = _make(int(match["d"]), int(match["m"]), year, today)
            first = last
            if match["d0"]:
                month0 = int(match["m0"]) if match["m0"] else last.month
                year0 = last.year if month0 <= last.month else last.year - 1
                first = date(year0, month0, int(match["d0"]))
        except ValueError:
            continue
        found.append(Mention(first, match.start(), match.end(), last if last != first else None))
        taken.append(match.span())
    for pattern in (_DAY_FIRST, _MONTH_FIRST):
        for match in pattern.finditer(text):
            if not free(*match.span()):
                continue
            month = month_number(match["w"], languages)
            if month is None:
                continue
            groups = match.groupdict()
            try:
                last = _make(int(match["d"]), month, _full_year(match["y"]), today)
                first = last
                if groups.get("d0"):
                    first = last.replace(day=int(groups["d0"]))
                elif groups.get("d1"):
                    first, last = last, last.replace(day=int(groups["d1"]))
            except ValueError:
                continue
            found.append(
                Mention(first, match.start(), match.end(), last if last != first else None)
            )
            taken.append(match.span())
    found.sort(key=lambda m: m.at)
    return _borrow_years(text, found)


def _borrow_years(text: str, mentions: list[Mention]) -> list[Mention]:
    """In "14.1.–15.2.2027" the first date takes its year from the second."""
    result = list(mentions)
    for index in range(len(result) - 1):
        first, second = result[index], result[index + 1]
        between = text[first.stop : second.at]
        written = text[first.at : first.stop]
        if re.fullmatch(_RANGE, between, re.IGNORECASE) and not re.search(r"\d{4}", written):
            year = second.day.year if first.day.month <= second.day.month else second.day.year - 1
            try:
                result[index] = Mention(first.day.replace(year=year), first.at, first.stop)
            except ValueError:
                continue
    return result


def _hour(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour > 24 or minute > 59:
        return None
    return time(0, minute) if hour == 24 else time(hour, minute)


def read_clock(text: str, bare: bool = False) -> tuple[time, time | None, int] | None:
    """A time or time range at the start of `text`: "klo 17.00–19.00", ", 5–7 pm", "kl. 9".

    A bare hour ("5") counts only after klo/kl./at, with am/pm, or when `bare` is set (a
    separate time field). Returns (start, end, characters read).
    """
    match = _TIME.match(text)
    if match is None:
        return None
    has_minutes = match["am"] is not None or match["bm"] is not None
    has_meridiem = match["ap"] is not None or match["bp"] is not None
    if not (bare or has_minutes or has_meridiem or _TIME_WORD.match(text)):
        return None
    end_meridiem = match["bp"]
    start_meridiem = match["ap"] or (
        end_meridiem if match["bh"] and int(match["ah"]) <= int(match["bh"]) else None
    )
    if match["bh"] and end_meridiem and not match["ap"] and int(match["ah"]) > int(match["bh"]):
        # "11–1 pm" starts before noon, but "12–4 pm" starts at noon
        start_meridiem = end_meridiem if int(match["ah"]) == 12 else None
        if start_meridiem is None:
            start_meridiem = "am" if end_meridiem.lower().startswith("p") else "pm"
    start = _hour(int(match["ah"]), int(match["am"] or 0), start_meridiem)
    if start is None:
        return None
    end = None
    if match["bh"]:
        end = _hour(int(match["bh"]), int(match["bm"] or 0), end_meridiem)
        if end is None:
            return None
    return start, end, match.end()


def clock_before(text: str) -> tuple[time, time | None, int] | None:
    """A time written just before a date, at the end of `text`: "klo 18 to ", "kl. 17 torsdag ",
    "at 5 pm on ", "5–7 pm, Wed ". A bare number counts only as a range followed by a weekday
    ("16–18 to 4.3."). Returns (start, end, where the time begins)."""
    for found in _CLOCK_AT.finditer(text):
        rest = text[found.start() :]
        clock = read_clock(rest)
        bare = False
        if clock is None:
            clock, bare = read_clock(rest, bare=True), True
        if clock is None:
            continue
        tail = _CLOCK_TO_DATE.fullmatch(rest[clock[2] :])
        if tail is None:
            continue
        if bare and not (clock[1] is not None and re.search(_WEEKDAY, tail.group(), re.I)):
            continue
        return clock[0], clock[1], found.start()
    return None


def span_at(text: str, mentions: list[Mention], index: int, time_text: str | None = None) -> Span:
    """The span that begins with mentions[index]: its time (after the date, else just before
    it: "klo 18 to 3.2."), and an end date or time after it."""
    first = mentions[index]
    following = mentions[index + 1] if index + 1 < len(mentions) else None
    limit = following.at if following else len(text)
    after = text[first.stop : min(limit, first.stop + 40)]
    clock = (first.clock, None, 0) if first.clock else read_clock(after)
    dash = re.match(_DASH, after) if first.clock else None
    ends = read_clock(after[dash.end() :], bare=True) if dash else None
    if first.clock and dash and ends:  # "2027-01-14 17:00–19:00"
        clock = (first.clock, ends[0], dash.end() + ends[2])
    if clock is None:
        earlier = mentions[index - 1].stop if index else 0
        before = clock_before(text[max(earlier, first.at - 40) : first.at])
        clock = (before[0], before[1], 0) if before else None
    if time_text and clock is None:
        clock = read_clock(time_text, bare=True)
    end_day = first.last_day
    stop = first.stop + (clock[2] if clock else 0)
    end_clock: time | None = clock[1] if clock else None
    between = text[stop : following.at] if following is not None else ""
    if following is not None and between and re.fullmatch(_RANGE, between, re.IGNORECASE):
        end_day = following.last_day or following.day
        tail = read_clock(text[following.stop : following.stop + 30])
        end_clock = following.clock or (tail[0] if tail else end_clock)
        stop = following.stop + (tail[2] if tail else 0)
    if clock is None:
        start = datetime.combine(first.day, time(0))
        end = datetime.combine(end_day, time(0)) if end_day else None
        return Span(start, end, True, first.at, stop)
    start = datetime.combine(first.day, clock[0])
    end = datetime.combine(end_day or first.day, end_clock) if end_clock else None
    if end is None and end_day is not None:
        end = datetime.combine(end_day, time(0)) + timedelta(days=1)
    if end is not None and end <= start and end_day is None:
        end += timedelta(days=1)  # "klo 22–02" ends after midnight
    return Span(start, end, False, first.at, stop)


_NOON = re.compile(r"\b(?:noon|midday)\b", re.IGNORECASE)


@lru_cache(maxsize=8192)
def parse_when(
    text: str,
    today: date,
    languages: tuple[str, ...] = ("fi", "sv", "en"),
    time_text: str | None = None,
    formats: tuple[str, ...] = (),
) -> Span | None:
    """The first date (with its time and end) in a date text, e.g. a listing's date field.

    `formats` are strptime hints tried on the whole text first. Cached by its arguments:
    the same date text is parsed once per day of crawling.
    """
    cleaned = _NOON.sub("12 pm", " ".join(text.split()))
    for fmt in formats:
        try:
            moment = datetime.strptime(cleaned, fmt)  # noqa: DTZ007 - local wall time on purpose
        except ValueError:
            continue
        all_day = not any(code in fmt for code in ("%H", "%I"))
        clock = read_clock(time_text, bare=True) if time_text and all_day else None
        if clock:
            end = datetime.combine(moment.date(), clock[1]) if clock[1] else None
            return Span(datetime.combine(moment.date(), clock[0]), end, False)
        return Span(moment, None, all_day)
    mentions = find_mentions(cleaned, today, languages)
    if mentions:
        return span_at(cleaned, mentions, 0, time_text)
    return _dateparser_fallback(cleaned, today, languages, time_text)


def _dateparser_fallback(
    text: str, today: date, languages: tuple[str, ...], time_text: str | None
) -> Span | None:
    """Whatever our patterns miss ("tomorrow 17:00", "huomenna klo 9"), read by dateparser.

    The time is cut off and read by our own pattern first: dateparser misreads "klo".
    """
    clock_at = _TIME_START.search(text)
    date_part = text[: clock_at.start()] if clock_at else text
    if not re.search(r"[^\W\d_]{3,}", date_part):
        return None
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": datetime.combine(today, time(0)),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "REQUIRE_PARTS": ["day"],
    }
    moment = dateparser.parse(date_part, languages=list(languages), settings=settings)
    if moment is None:
        return None
    clock = read_clock(text[clock_at.start() :]) if clock_at else None
    if clock is None and time_text:
        clock = read_clock(time_text, bare=True)
    if clock is None:
        return Span(datetime.combine(moment.date(), time(0)), None, True)
    end = datetime.combine(moment.date(), clock[1]) if clock[1] else None
    return Span(datetime.combine(moment.date(), clock[0]), end, False)


_WHEN_LABEL = re.compile(
    r"\b(?:aika|ajankohta|päivämäärä|pvm|milloin|tid|datum|när|when|date|dates|time)\s*:"
    r"|\b(?:alkaa|alkavat|startar|börjar|starts?(?:\s+on)?|begins?(?:\s+on)?)\b",
    re.IGNORECASE,
)


def event_span(
    text: str,
    today: date,
    languages: tuple[str, ...] = ("fi", "sv", "en"),
    skip: tuple[tuple[int, int], ...] = (),
) -> Span | None:
    """When the event in a free text happens: the date after a label ("Aika:", "Tid:",
    "When:", "Ohjelma alkaa"), else the first date outside `skip` (e.g. deadline phrases)."""
    mentions = find_mentions(text, today, languages)
    usable = [i for i, m in enumerate(mentions) if all(m.stop <= a or m.at >= b for a, b in skip)]
    if not usable:
        return None
    for label in _WHEN_LABEL.finditer(text):
        for index in usable:
            if 0 <= mentions[index].at - label.end() <= 25:
                return span_at(text, mentions, index)
    return span_at(text, mentions, usable[0])


_ISO_VALUE = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


def parse_iso(value: str) -> datetime | date:
    """An ISO 8601 date or date-time as written: a date, a naive or an aware datetime.

    Raises ValueError naming the value when it is not ISO 8601 or names an impossible date.
    """
    text = value.strip()
    if len(text) == 10 and _ISO_VALUE.match(text):
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"impossible date {value!r}") from exc
    if not _ISO_VALUE.match(text):
        compact = re.fullmatch(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})?(Z)?)?", text)
        if compact is None:
            raise ValueError(f"not an ISO 8601 date: {value!r}")
        y, mo, d, h, mi, s, z = compact.groups()
        text = f"{y}-{mo}-{d}" + (f"T{h}:{mi}:{s or '00'}" if h else "") + ("+00:00" if z else "")
        if not h:
            return parse_iso(text)
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace(",", "."))
    except ValueError as exc:
        raise ValueError(f"impossible date {value!r}") from exc
