"""The demo events as written in ``demo/data/*.toml``, read into plain specs.

Each ``[[event]]`` is one real event with the listings (``[[event.listing]]``) that the demo
sites publish for it; each ``[[series]]`` is a weekly series published by one site
(``[series.publisher]``) with single occurrences re-listed elsewhere (``[[series.relisted]]``,
with ``occurrence = n``). Event fields:

- ``key``: the canonical event key; ``day``: days after today (moved off weekends unless
  ``weekend = true``); ``start``/``end``: local "HH:MM" (no ``start``: a whole day, plus
  ``last_day`` further days);
- ``organiser`` and ``place``: keys of ``organisers.toml`` and ``places.toml``;
  ``online_url`` for webinars;
- ``categories``, ``audiences``, ``languages`` (held in), ``price`` (absent: free),
  ``status``, ``deadline_day`` and ``application_path`` for calls.

Listing fields: ``site``, ``key`` (the external key), ``language``, ``title``,
``description``, optionally ``venue`` (this site's spelling), ``status``, ``hints``
(rendering variants such as ``tz:utc``) and ``translations.<lang> = [title, description]``.
Titles and descriptions may say ``{year}`` and ``{season}`` (of the event's start).
A series has ``series_id``, ``occurrence_key`` (with ``{n}``), ``count``, ``weekday``
(0 = Monday), ``first_after``, ``start``, ``end``, ``skipped`` and ``moved = [[n, start, end]]``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from demo.places import Place

DATA = Path(__file__).with_name("data")
EVENT_FILES = ("work.toml", "learning.toml", "local.toml", "community.toml")


class SpecError(ValueError):
    """A demo data file says something the catalogue cannot use; the message says where."""


@dataclass(frozen=True)
class Translation:
    """The same listing's title and description in another language (Linked Events)."""

    language: str
    title: str
    description: str


@dataclass(frozen=True)
class Appearance:
    """How one site lists an event: its key, wording, language and rendering hints."""

    site: str
    key: str
    language: str
    title: str
    description: str
    venue: str | None = None
    status: str | None = None
    translations: tuple[Translation, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventSpec:
    """One real event and the listings of it (see the module docstring for the fields)."""

    key: str
    day: int
    start: str | None
    end: str | None
    organiser: str
    appearances: tuple[Appearance, ...]
    place: Place | None = None
    online_url: str | None = None
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ("unemployed",)
    languages: tuple[str, ...] = ("fi",)
    price: str | None = None
    status: str = "scheduled"
    deadline_day: int | None = None
    application_path: str | None = None
    last_day: int = 0
    weekend: bool = False


@dataclass(frozen=True)
class SeriesSpec:
    """A weekly series; occurrence ``n`` is the event ``f"{key}#{n}"``."""

    key: str
    series_id: str
    occurrence_key: str
    count: int
    weekday: int
    first_after: int
    start: str
    end: str
    template: EventSpec
    skipped: tuple[int, ...] = ()
    moved: tuple[tuple[int, str, str], ...] = ()
    relisted: tuple[tuple[int, Appearance], ...] = field(default=())

    def external_key(self, n: int) -> str:
        return self.occurrence_key.replace("{n}", str(n))


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise SpecError(f"{path}: {error}") from error


def _tuples(table: dict[str, Any]) -> dict[str, Any]:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in table.items()}


def _appearance(table: dict[str, Any]) -> Appearance:
    table = dict(table)
    translations = tuple(
        Translation(lang, title, text)
        for lang, (title, text) in table.pop("translations", {}).items()
    )
    return Appearance(**_tuples(table), translations=translations)


def _event(
    table: dict[str, Any], places: dict[str, Place], organisers: dict[str, str]
) -> EventSpec:
    table = {"start": None, "end": None, **table}
    appearances = tuple(_appearance(item) for item in table.pop("listing", ()))
    place = table.pop("place", None)
    table["organiser"] = organisers[table["organiser"]]
    return EventSpec(
        **_tuples(table), place=places[place] if place else None, appearances=appearances
    )


def _series(
    table: dict[str, Any], places: dict[str, Place], organisers: dict[str, str]
) -> SeriesSpec:
    table = dict(table)
    names = ("series_id", "occurrence_key", "count", "weekday", "first_after", "start", "end")
    fixed = {name: table.pop(name) for name in names}
    publisher = _appearance({"key": "", **table.pop("publisher")})
    relisted = tuple(
        (item["occurrence"], _appearance({k: v for k, v in item.items() if k != "occurrence"}))
        for item in table.pop("relisted", ())
    )
    skipped = tuple(table.pop("skipped", ()))
    moved = tuple((n, start, end) for n, start, end in table.pop("moved", ()))
    template = _event({**table, "day": 0}, places, organisers)
    return SeriesSpec(
        key=table["key"],
        **fixed,
        template=replace(template, appearances=(publisher,)),
        skipped=skipped,
        moved=moved,
        relisted=relisted,
    )


@cache
def load_specs(data_dir: Path = DATA) -> tuple[EventSpec | SeriesSpec, ...]:
    """Every event and series in ``data_dir``, in file order; :class:`SpecError` says what is
    wrong where."""
    try:
        places = {key: Place(**value) for key, value in _read(data_dir / "places.toml").items()}
    except TypeError as error:
        raise SpecError(f"{data_dir / 'places.toml'}: {error}") from error
    organisers: dict[str, str] = _read(data_dir / "organisers.toml")
    specs: list[EventSpec | SeriesSpec] = []
    for name in EVENT_FILES:
        data = _read(data_dir / name)
        for kind, build in (("event", _event), ("series", _series)):
            for table in data.get(kind, ()):
                try:
                    specs.append(build(table, places, organisers))
                except (KeyError, TypeError, ValueError) as error:
                    where = table.get("key", "?")
                    raise SpecError(f"{data_dir / name}: {kind} {where!r}: {error!r}") from error
    return tuple(specs)
