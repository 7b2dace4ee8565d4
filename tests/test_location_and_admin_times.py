"""An ICS LOCATION names street and city once; admin times are HH:MM with the zone."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest

from web.feeds.ical import location_line
from web.formatting import iso_moment, moment


def _item(venue: str | None, address: str | None, city: str | None) -> Any:
    return cast(Any, SimpleNamespace(venue=venue, address=address, city=city, location="x"))


@pytest.mark.parametrize(
    ("venue", "address", "city", "line"),
    [
        ("Ode, Tölöviksgatan 4", "Tölöviksgatan 4, 00100 Helsingfors", "Helsinki",
         "Ode, Tölöviksgatan 4, 00100 Helsingfors"),
        ("Kulttuurikeskus Caisa", "Kaikukatu 4 B", "Helsinki",
         "Kulttuurikeskus Caisa, Kaikukatu 4 B, Helsinki"),  # control: the city is added
        ("Sellon kirjasto", "Leppävaarankatu 9, Espoo", "Espoo",
         "Sellon kirjasto, Leppävaarankatu 9, Espoo"),
        ("Stadion", "Paavo Nurmen tie 1", "Helsinki", "Stadion, Paavo Nurmen tie 1, Helsinki"),
    ],
)  # fmt: skip
def test_the_location_names_the_street_and_the_city_once(
    venue: str, address: str, city: str, line: str
) -> None:
    assert location_line(_item(venue, address, city)) == line


@pytest.mark.parametrize(
    ("language", "text"),
    [("fi", "7.12.2026 6.40 EET"), ("sv", "7 dec. 2026 06:40 EET"),
     ("en", "Dec 7, 2026 6:40\u202fAM EET")],
)  # fmt: skip
def test_admin_times_have_minutes_and_the_zone_but_no_seconds(language: str, text: str) -> None:
    value = datetime(2026, 12, 7, 4, 40, 12, tzinfo=UTC)
    assert moment(value, "Europe/Helsinki", language) == text
    assert iso_moment(value.isoformat(), "Europe/Helsinki", language) == text
    summer = datetime(2026, 7, 1, 10, 0, 5, tzinfo=UTC)
    assert moment(summer, "Europe/Helsinki", language).endswith(" EEST")
