"""The demo's event catalogue as plain data.

Events are written once in ``demo/data/*.toml`` (read by :mod:`demo.specs`), each with the
listings that the demo sites publish for it. :func:`build_catalogue` turns them into dated
:class:`DemoListing` rows relative to ``today``: every listing starts 1 to 60 days ahead, and
application deadlines fall 5 to 25 days ahead. External keys never depend on the date or on
the server's port.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo.places import Place
from demo.specs import Appearance, EventSpec, SeriesSpec, Translation, load_specs
from store import vocab

HELSINKI = ZoneInfo("Europe/Helsinki")

# Site slugs: each site lives under /<slug>/ on the demo server.
TYOLLISYYS = "tyollisyys"
BRON = "bron"
URAPALVELUT = "urapalvelut"
TYOMESSUT = "tyomessut"
LINKEDEVENTS = "linkedevents"
MEDBORGAR = "medborgarinstitut"

# The application's closed vocabularies: the demo's data must stay inside them.
STATUSES = vocab.STATUSES
CATEGORIES = vocab.CATEGORIES
AUDIENCES = vocab.AUDIENCES
SEASONS = {
    "fi": ("kevät", "kesä", "syksy"),
    "sv": ("våren", "sommaren", "hösten"),
    "en": ("spring", "summer", "autumn"),
}


@dataclass(frozen=True)
class Occurrence:
    """Where a listing sits in a weekly series (an ICS RRULE or Linked Events super event)."""

    series_id: str
    index: int  # 1-based position in the series, counting skipped dates
    count: int
    first_start: datetime
    skipped: tuple[int, ...]

    def original_start(self, index: int) -> datetime:
        """Where occurrence ``index`` starts by the rule (weekly, same local wall time)."""
        day = self.first_start.date() + timedelta(weeks=index - 1)
        return datetime.combine(day, self.first_start.timetz())

    @property
    def recurrence_id(self) -> datetime:
        """This occurrence's original start (its ICS RECURRENCE-ID)."""
        return self.original_start(self.index)


@dataclass(frozen=True)
class DemoListing:
    """One listing of an event on one demo site.

    ``start``/``end`` are aware datetimes in Europe/Helsinki, or dates for all-day listings
    (``end`` is then the last day, inclusive). ``application_path`` is a path on the demo
    server (prefix it with the base URL). ``title`` and ``description`` are in ``language``;
    ``event_languages`` are the languages the event is held in.
    """

    site: str
    external_key: str
    event_key: str
    title: str
    language: str
    start: datetime | date
    end: datetime | date | None
    description: str
    organiser: str
    place: Place | None
    venue: str | None
    city: str | None
    online: bool
    online_url: str | None
    categories: tuple[str, ...]
    audiences: tuple[str, ...]
    event_languages: tuple[str, ...]
    is_free: bool
    price: str | None
    status: str
    deadline: datetime | None = None
    application_path: str | None = None
    translations: tuple[Translation, ...] = ()
    occurrence: Occurrence | None = None
    hints: tuple[str, ...] = ()

    @property
    def all_day(self) -> bool:
        return not isinstance(self.start, datetime)

    def application_url(self, base_url: str) -> str | None:
        """Where to apply, on the demo server at ``base_url``."""
        return base_url.rstrip("/") + self.application_path if self.application_path else None


def event_day(today: date, days_ahead: int, weekend: bool = False) -> date:
    """The day ``days_ahead`` after ``today``, moved to Monday if it falls on a weekend."""
    day = today + timedelta(days=days_ahead)
    if not weekend and day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    return day


def local_time(day: date, hhmm: str) -> datetime:
    hours, minutes = (int(part) for part in hhmm.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=HELSINKI)


def season(day: date, lang: str) -> str:
    month = day.month
    return SEASONS[lang][0 if month <= 5 else 1 if month <= 8 else 2]


def _fill(text: str, start: date, lang: str) -> str:
    return text.replace("{year}", str(start.year)).replace("{season}", season(start, lang))


def _listing(
    spec: EventSpec,
    appearance: Appearance,
    today: date,
    start: datetime | date,
    end: datetime | date | None,
    occurrence: Occurrence | None = None,
) -> DemoListing:
    first_day = start.date() if isinstance(start, datetime) else start
    place = spec.place
    deadline = None
    if spec.deadline_day is not None:
        deadline = local_time(today + timedelta(days=spec.deadline_day), "23:59")
    translations = tuple(
        Translation(
            t.language,
            _fill(t.title, first_day, t.language),
            _fill(t.description, first_day, t.language),
        )
        for t in appearance.translations
    )
    return DemoListing(
        site=appearance.site,
        external_key=appearance.key,
        event_key=spec.key,
        title=_fill(appearance.title, first_day, appearance.language),
        language=appearance.language,
        start=start,
        end=end,
        description=_fill(appearance.description, first_day, appearance.language),
        organiser=spec.organiser,
        place=place,
        venue=appearance.venue or (place.name(appearance.language) if place else None),
        city=place.city(appearance.language) if place else None,
        online=spec.online_url is not None,
        online_url=spec.online_url,
        categories=spec.categories,
        audiences=spec.audiences,
        event_languages=spec.languages,
        is_free=spec.price is None,
        price=spec.price,
        status=appearance.status or spec.status,
        deadline=deadline,
        application_path=spec.application_path,
        translations=translations,
        occurrence=occurrence,
        hints=appearance.hints,
    )


def expand_event(spec: EventSpec, today: date) -> list[DemoListing]:
    day = event_day(today, spec.day, spec.weekend)
    start: datetime | date
    end: datetime | date | None
    if spec.start is None:
        start, end = day, day + timedelta(days=spec.last_day)
    else:
        start = local_time(day, spec.start)
        end = local_time(day, spec.end) if spec.end else None
    return [_listing(spec, a, today, start, end) for a in spec.appearances]


def expand_series(series: SeriesSpec, today: date) -> list[DemoListing]:
    first = today + timedelta(days=series.first_after)
    first += timedelta(days=(series.weekday - first.weekday()) % 7)
    moved = {index: (start, end) for index, start, end in series.moved}
    listings: list[DemoListing] = []
    for index in range(1, series.count + 1):
        if index in series.skipped:
            continue
        occurrence = Occurrence(
            series.series_id, index, series.count, local_time(first, series.start), series.skipped
        )
        day = occurrence.recurrence_id.date()
        start_hhmm, end_hhmm = moved.get(index, (series.start, series.end))
        spec = replace(series.template, key=f"{series.key}#{index}")
        start, end = local_time(day, start_hhmm), local_time(day, end_hhmm)
        publisher = replace(series.template.appearances[0], key=series.external_key(index))
        listings.append(_listing(spec, publisher, today, start, end, occurrence))
        # Other sites re-list single occurrences as events of their own.
        listings += [_listing(spec, a, today, start, end) for i, a in series.relisted if i == index]
    return listings


def helsinki_today() -> date:
    """Today's date in Helsinki: the default ``today`` of the demo."""
    return datetime.now(HELSINKI).date()


def build_catalogue(today: date) -> list[DemoListing]:
    """Every listing on every demo site, dated relative to ``today``."""
    listings: list[DemoListing] = []
    for spec in load_specs():
        if isinstance(spec, SeriesSpec):
            listings += expand_series(spec, today)
        else:
            listings += expand_event(spec, today)
    return sorted(listings, key=lambda item: (item.site, item.external_key))


def listings_for(listings: Iterable[DemoListing], site: str) -> list[DemoListing]:
    """The listings of one site, in start order (date-only listings sort at midnight)."""
    return sorted((x for x in listings if x.site == site), key=sort_key)


def sort_key(listing: DemoListing) -> tuple[datetime, str]:
    start = listing.start
    if not isinstance(start, datetime):
        start = datetime.combine(start, time(0), tzinfo=HELSINKI)
    return start, listing.external_key
