"""The admin's add form refuses a URL that is a source already, with services.sources' check
(the one `vahti sources add` uses), in fi, sv and en."""

from __future__ import annotations

from sqlalchemy import select

from store.models import Source
from tests.web.test_admin import log_in

URL = "https://93.184.215.14/events.ics"


def test_the_admin_refuses_a_url_that_is_a_source_already(web_factory) -> None:  # type: ignore[no-untyped-def]
    web = web_factory()
    token = log_in(web)
    form = {"csrf": token, "url": URL, "kind": "ics"}
    first = web.client.post("/admin/sources", data=form, follow_redirects=False)
    assert first.status_code == 303, first.text  # the positive control: a new URL is taken
    for language, words in (
        ("fi", "Tämä osoite on jo lähteenä"),
        ("sv", "Den här adressen är redan en källa"),
        ("en", "This address is already a source"),
    ):
        again = web.client.post(f"/admin/sources?lang={language}", data=form)
        assert again.status_code == 400, language
        assert words in again.text and "source 1" in again.text, language
    other = web.client.post(
        "/admin/sources", data={**form, "url": URL + "?page=2"}, follow_redirects=False
    )
    assert other.status_code == 303
    with web.db.sessions() as session:
        assert [s.url for s in session.scalars(select(Source).order_by(Source.id))] == [
            URL,
            URL + "?page=2",
        ]
