"""Dates and times written the way Finnish, Swedish and English organiser sites write them.

These are the human-readable forms the extractors have to read back, e.g.
``to 14.1.2027 klo 17.00–19.00``, ``14. tammikuuta 2027 klo 9``,
``torsdag 14 januari 2027 kl. 17–19`` and ``Wed 3 Feb 2027, 5–7 pm``.
"""

from __future__ import annotations

from datetime import date, datetime

FI_WEEKDAYS = ("ma", "ti", "ke", "to", "pe", "la", "su")
FI_MONTHS = (
    "tammikuuta",
    "helmikuuta",
    "maaliskuuta",
    "huhtikuuta",
    "toukokuuta",
    "kesäkuuta",
    "heinäkuuta",
    "elokuuta",
    "syyskuuta",
    "lokakuuta",
    "marraskuuta",
    "joulukuuta",
)
SV_WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
SV_MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def numeric_date(value: datetime | date) -> str:
    """``31.1.2027``"""
    day = _day(value)
    return f"{day.day}.{day.month}.{day.year}"


def _hour(moment: datetime, sep: str, always_minutes: bool) -> str:
    if always_minutes or moment.minute:
        return f"{moment.hour}{sep}{moment.minute:02d}"
    return str(moment.hour)


def _range(start: datetime, end: datetime | None, sep: str, always_minutes: bool) -> str:
    text = _hour(start, sep, always_minutes)
    return f"{text}–{_hour(end, sep, always_minutes)}" if end else text


def fi_numeric(start: datetime | date, end: datetime | date | None = None) -> str:
    """``to 14.1.2027 klo 17.00–19.00`` (or ``to 14.1.2027`` for a whole day)."""
    text = f"{FI_WEEKDAYS[_day(start).weekday()]} {numeric_date(start)}"
    if isinstance(start, datetime):
        end_time = end if isinstance(end, datetime) else None
        text += f" klo {_range(start, end_time, '.', True)}"
    return text


def fi_long_date(value: datetime | date) -> str:
    """``14. tammikuuta 2027``"""
    day = _day(value)
    return f"{day.day}. {FI_MONTHS[day.month - 1]} {day.year}"


def fi_clock(start: datetime, end: datetime | None = None) -> str:
    """``klo 9–15`` or ``klo 17.30``"""
    return f"klo {_range(start, end, '.', False)}"


def sv_long(start: datetime | date, end: datetime | date | None = None) -> str:
    """``torsdag 14 januari 2027 kl. 17–19``"""
    day = _day(start)
    text = f"{SV_WEEKDAYS[day.weekday()]} {day.day} {SV_MONTHS[day.month - 1]} {day.year}"
    if isinstance(start, datetime):
        end_time = end if isinstance(end, datetime) else None
        text += f" kl. {_range(start, end_time, '.', False)}"
    return text


def _en_clock(moment: datetime) -> tuple[str, str]:
    hour = moment.hour % 12 or 12
    text = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    return text, "am" if moment.hour < 12 else "pm"


def en_short(start: datetime | date, end: datetime | date | None = None) -> str:
    """``Wed 3 Feb 2027, 5–7 pm`` or ``Wed 3 Feb 2027, 10 am–4 pm``"""
    day = _day(start)
    text = f"{EN_WEEKDAYS[day.weekday()][:3]} {day.day} {EN_MONTHS[day.month - 1][:3]} {day.year}"
    if not isinstance(start, datetime):
        return text
    first, first_half = _en_clock(start)
    if not isinstance(end, datetime):
        return f"{text}, {first} {first_half}"
    last, last_half = _en_clock(end)
    if first_half == last_half:
        return f"{text}, {first}–{last} {last_half}"
    return f"{text}, {first} {first_half}–{last} {last_half}"


def en_long(start: datetime | date, end: datetime | date | None = None) -> str:
    """``Thursday 14 January 2027, 17:00–19:00``"""
    day = _day(start)
    text = f"{EN_WEEKDAYS[day.weekday()]} {day.day} {EN_MONTHS[day.month - 1]} {day.year}"
    if isinstance(start, datetime):
        end_time = end if isinstance(end, datetime) else None
        text += f", {_range(start, end_time, ':', True)}"
    return text


def when(start: datetime | date, end: datetime | date | None, lang: str) -> str:
    """The plain-language date and time a page shows next to an event, in ``lang``.

    A listing of several whole days reads ``<first day> – <last day>``.
    """
    fmt = {"fi": fi_numeric, "sv": sv_long}.get(lang, en_long)
    if not isinstance(start, datetime) and isinstance(end, date) and end != start:
        return f"{fmt(start)} – {fmt(end)}"
    return fmt(start, end)
