"""Subscriber pages: sign up, confirm (by button), preferences, one-click unsubscribe, tokens."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from store.models import Subscriber
from store.tokens import make_token
from tests.web.conftest import SECRET, WebEnv

pytestmark = pytest.mark.postgres

FORM = {
    "email": "Maija.Meikalainen@Example.FI",
    "language": "sv",
    "categories": ["job-fair", "mentoring"],
    "cities": "Helsinki, Espoo",
    "online": "on",
    "event_languages": ["fi", "en"],
    "keywords": "IT, data",
    "day": "wed",
    "hour": "7",
    "website": "",
}


def subscriber(web: WebEnv, email: str = "Maija.Meikalainen@example.fi") -> Subscriber:
    with web.db.sessions() as session:
        found = session.scalar(select(Subscriber).where(Subscriber.email == email))
        assert found is not None
        return found


def link_in(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(r"http://testserver(/\S+)", text.get_content())
    assert found is not None
    return found.group(1)


def test_sign_up_stores_a_pending_subscriber_and_mails_a_confirmation_link(web: WebEnv) -> None:
    page = web.client.post("/subscribe", data=FORM)
    assert page.status_code == 200
    assert "Titta i din e-post" in page.text  # the chosen mail language speaks from here on
    stored = subscriber(web)
    assert stored.status == "pending"
    assert stored.language == "sv"
    assert stored.categories == ["job-fair", "mentoring"]
    assert stored.cities == ["Helsinki", "Espoo"]
    assert stored.event_languages == ["fi", "en"]
    assert stored.keywords == ["IT", "data"]
    assert (stored.send_day, stored.send_hour, stored.include_online) == ("wed", 7, True)
    (mail,) = web.mails()
    assert mail["To"] == "Maija.Meikalainen@example.fi"
    assert mail["Subject"] == "Bekräfta din prenumeration på Tapahtumavahti"
    assert mail["Content-Language"] == "sv"
    assert mail["Message-ID"] and mail["Date"]
    assert link_in(mail).startswith("/confirm/")
    assert mail.get_body(preferencelist=("html",)) is not None


def test_following_the_link_does_not_confirm_only_the_button_does(web: WebEnv) -> None:
    web.client.post("/subscribe", data=FORM)
    link = link_in(web.mails()[0])
    page = web.client.get(link)
    assert page.status_code == 200
    assert "Ja, starta mitt veckomejl" in page.text
    assert subscriber(web).status == "pending"
    done = web.client.post(link)
    assert done.status_code == 200 and "Du prenumererar nu" in done.text
    stored = subscriber(web)
    assert stored.status == "active" and stored.confirmed_at == web.clock.now
    # The confirmed page leads on to the preferences page.
    preferences = re.search(r'href="http://testserver(/s/[^"]+)"', done.text)
    assert preferences is not None
    assert web.client.get(preferences.group(1)).status_code == 200


def test_confirmation_links_expire(web: WebEnv) -> None:
    web.client.post("/subscribe", data=FORM)
    link = link_in(web.mails()[0])
    web.clock.advance(hours=73)
    page = web.client.post(link)
    assert page.status_code == 400
    assert "Bekräftelselänken har gått ut" in page.text
    assert subscriber(web).status == "pending"


def test_signing_up_again_says_the_same_and_sends_at_most_one_mail_an_hour(web: WebEnv) -> None:
    first = web.client.post("/subscribe", data=FORM)
    again = web.client.post("/subscribe", data=FORM)
    assert again.status_code == first.status_code == 200
    assert again.text == first.text
    assert len(web.mails()) == 1
    web.clock.advance(minutes=61)
    web.client.post("/subscribe", data=FORM)
    assert len(web.mails()) == 2


def test_an_active_address_is_not_changed_from_the_public_form_and_gets_its_own_link(
    web: WebEnv,
) -> None:
    web.add_subscriber(
        "maija.meikalainen@example.fi", status="active", language="fi", categories=["course"]
    )
    page = web.client.post("/subscribe", data={**FORM, "email": "maija.meikalainen@example.fi"})
    assert page.status_code == 200
    stored = subscriber(web, "maija.meikalainen@example.fi")
    assert stored.status == "active" and stored.categories == ["course"]
    (mail,) = web.mails()
    assert mail["Subject"] == "Tapahtumavahti-tilauksesi"
    assert link_in(mail).startswith("/s/")


def test_the_honeypot_catches_bots_without_telling_them(web: WebEnv) -> None:
    page = web.client.post("/subscribe", data={**FORM, "website": "http://spam.example"})
    assert page.status_code == 200
    assert web.mails() == []
    with web.db.sessions() as session:
        assert session.scalars(select(Subscriber)).all() == []


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not an address"}, "email", "Skriv en e-postadress"),
        ({"categories": ["party"]}, "categories", "Välj kategorier i listan."),
        ({"hour": "25"}, "hour", "Välj en timme mellan 0 och 23."),
        ({"cities": ",".join(f"c{i}" for i in range(11))}, "cities", "Högst 10 poster"),
    ],
)
def test_bad_form_values_are_shown_next_to_their_field(
    web: WebEnv, changes: dict[str, object], field: str, message: str
) -> None:
    page = web.client.post("/subscribe?lang=sv", data={**FORM, **changes})
    assert page.status_code == 400
    assert message in page.text
    assert "Kontrollera fälten som markerats nedan." in page.text
    assert web.mails() == []


def test_preferences_page_shows_and_saves_the_preferences(web: WebEnv) -> None:
    stored = web.add_subscriber(status="active", language="en", categories=["course"])
    token = make_token(SECRET, stored.id, "preferences", 1)
    page = web.client.get(f"/s/{token}")
    assert page.status_code == 200
    assert 'value="course" checked' in page.text and "Your preferences" in page.text
    assert "/feeds/" in page.text and "/u/" in page.text
    saved = web.client.post(
        f"/s/{token}",
        data={"language": "fi", "categories": ["webinar"], "cities": "Oulu", "day": "fri"},
    )
    assert saved.status_code == 200 and "Asetuksesi on tallennettu." in saved.text
    after = subscriber(web, "maija@example.fi")
    assert after.language == "fi" and after.categories == ["webinar"]
    assert after.cities == ["Oulu"] and after.send_day == "fri" and after.include_online is False


def test_preferences_page_refuses_bad_values_without_saving(web: WebEnv) -> None:
    stored = web.add_subscriber(status="active", language="en", categories=["course"])
    token = make_token(SECRET, stored.id, "preferences", 1)
    page = web.client.post(f"/s/{token}", data={"language": "de", "categories": ["course"]})
    assert page.status_code == 400 and "Choose a language from the list." in page.text
    assert subscriber(web, "maija@example.fi").language == "en"


def test_one_click_unsubscribe_needs_nothing_but_the_signed_url(web: WebEnv) -> None:
    stored = web.add_subscriber(status="active", language="fi")
    token = make_token(SECRET, stored.id, "unsubscribe", 1)
    web.client.cookies.clear()
    response = web.client.post(
        f"/u/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    after = subscriber(web, "maija@example.fi")
    assert after.status == "unsubscribed" and after.unsubscribed_at == web.clock.now
    # Idempotent: a mail client retrying gets 200 again and nothing changes.
    web.clock.advance(minutes=5)
    assert web.client.post(f"/u/{token}", content=b"List-Unsubscribe=One-Click").status_code == 200
    assert subscriber(web, "maija@example.fi").unsubscribed_at == web.clock.now - timedelta(
        minutes=5
    )


def test_unsubscribe_link_shows_a_page_with_a_button_first(web: WebEnv) -> None:
    stored = web.add_subscriber(status="active", language="sv")
    token = make_token(SECRET, stored.id, "unsubscribe", 1)
    page = web.client.get(f"/u/{token}")
    assert page.status_code == 200 and "Ja, avsluta prenumerationen" in page.text
    assert subscriber(web, "maija@example.fi").status == "active"


def test_resubscribing_after_unsubscribing_works(web: WebEnv) -> None:
    web.add_subscriber("maija@example.fi", status="unsubscribed")
    web.client.post("/subscribe", data={**FORM, "email": "maija@example.fi"})
    link = link_in(web.mails()[0])
    web.client.post(link)
    assert subscriber(web, "maija@example.fi").status == "active"


@pytest.mark.parametrize(
    ("purpose", "path"),
    [("preferences", "/u/"), ("unsubscribe", "/s/"), ("confirm", "/s/"), ("feed", "/u/")],
)
def test_tokens_cannot_stand_in_for_each_other(web: WebEnv, purpose: str, path: str) -> None:
    stored = web.add_subscriber(status="active", language="en")
    token = make_token(SECRET, stored.id, purpose, 1)
    response = web.client.post(
        f"{path}{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 404
    assert "This link is not valid or no longer works." in response.text
    assert subscriber(web, "maija@example.fi").status == "active"


def test_stale_and_forged_links_get_a_clear_page_in_the_subscribers_language(
    web: WebEnv,
) -> None:
    stored = web.add_subscriber(status="active", language="fi", token_version=2)
    stale = make_token(SECRET, stored.id, "preferences", 1)
    page = web.client.get(f"/s/{stale}")
    assert page.status_code == 404
    assert "Linkki ei ole kelvollinen tai ei enää toimi." in page.text
    assert web.client.get("/s/not-a-token").status_code == 404
    forged = make_token(b"guess", stored.id, "preferences", 2)
    assert web.client.get(f"/u/{forged}").status_code == 404
    assert web.client.get(f"/s/{make_token(SECRET, 999, 'preferences', 1)}").status_code == 404


def test_a_mail_that_cannot_be_sent_says_so_and_lets_the_person_retry_at_once(
    web: WebEnv,
) -> None:
    web.outbox.write_text("a file where the outbox folder should be")
    page = web.client.post("/subscribe", data=FORM)
    assert page.status_code == 500
    assert "Vi kunde inte skicka bekräftelsemejlet" in page.text
    assert subscriber(web).confirm_sent_at is None
    web.outbox.unlink()
    assert web.client.post("/subscribe", data=FORM).status_code == 200
    assert len(web.mails()) == 1
