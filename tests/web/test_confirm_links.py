"""A confirmation link works once and for web.confirm_link_hours; a used or expired one says so
(fi/sv/en) and never leads to the preferences page."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import select

from store.models import Subscriber
from store.tokens import make_token
from tests.web.conftest import SECRET, WebEnv

pytestmark = pytest.mark.postgres

ADDRESS = "maija@example.fi"
FORM = {
    "email": ADDRESS,
    "language": "sv",
    "categories": ["job-fair"],
    "day": "wed",
    "hour": "7",
    "website": "",
}
USED = {
    "fi": "Tämä vahvistuslinkki on jo käytetty.",
    "sv": "Den här bekräftelselänken har redan använts.",
    "en": "This confirmation link has already been used.",
}
EXPIRED = {
    "fi": "Vahvistuslinkki on vanhentunut.",
    "sv": "Bekräftelselänken har gått ut.",
    "en": "This confirmation link has expired.",
}
PREFERENCES_LINK = re.compile(r"/s/[A-Za-z0-9_-]+\.")


def link_in(message: EmailMessage) -> str:
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(r"http://testserver(/confirm/\S+)", text.get_content())
    assert found is not None
    return found.group(1)


def signed_up(web: WebEnv) -> str:
    """Sign up; the confirmation link of the mail that went out."""
    assert web.client.post("/subscribe", data=FORM).status_code == 200
    return link_in(web.mails()[-1])


def status(web: WebEnv) -> str:
    with web.db.sessions() as session:
        found = session.scalar(select(Subscriber.status).where(Subscriber.email == ADDRESS))
        assert found is not None
        return found


def assert_dead(web: WebEnv, link: str, words: dict[str, str], code: int = 400) -> None:
    for language, text in words.items():
        for method in (web.client.get, web.client.post):
            page = method(f"{link}?lang={language}")
            assert page.status_code == code
            assert text in page.text
            assert not PREFERENCES_LINK.search(page.text), "a dead link led to preferences"


def test_a_used_link_says_so_and_shows_no_preferences_link(apps: Any) -> None:
    web = apps()
    link = signed_up(web)
    # Positive control: the one use confirms and leads on to the preferences page.
    done = web.client.post(link)
    assert done.status_code == 200 and PREFERENCES_LINK.search(done.text)
    assert status(web) == "active"
    assert_dead(web, link, USED)


def test_an_old_link_stays_dead_after_a_new_sign_up(apps: Any) -> None:
    """Confirmed, unsubscribed, signed up again: the first mail's link is used, the new
    mail's link works."""
    web = apps()
    first = signed_up(web)
    web.client.post(first)
    with web.db.sessions.begin() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == ADDRESS))
        assert subscriber is not None
        unsubscribe = make_token(SECRET, subscriber.id, "unsubscribe", subscriber.token_version)
    web.client.post(f"/u/{unsubscribe}")
    assert status(web) == "unsubscribed"
    web.clock.advance(minutes=61)
    second = signed_up(web)
    assert second != first
    assert_dead(web, first, USED)
    assert status(web) == "pending"
    assert web.client.post(second).status_code == 200
    assert status(web) == "active"


def test_a_link_expires_after_its_hours_even_when_a_newer_mail_went_out(apps: Any) -> None:
    web = apps(confirm_valid_hours=72)
    old = signed_up(web)
    web.clock.advance(hours=70)
    new = signed_up(web)
    web.clock.advance(hours=3)
    assert_dead(web, old, EXPIRED)
    assert status(web) == "pending"
    # Positive control: the newer link (3 hours old) still works.
    page = web.client.get(new)
    assert page.status_code == 200 and "Ja, starta mitt veckomejl" in page.text
    assert web.client.post(new).status_code == 200
    assert status(web) == "active"


def test_the_lifetime_is_a_setting(apps: Any) -> None:
    web = apps(confirm_valid_hours=1)
    link = signed_up(web)
    web.clock.advance(minutes=59)
    assert web.client.get(link).status_code == 200
    web.clock.advance(minutes=2)
    assert_dead(web, link, EXPIRED)


def test_a_link_made_before_links_carried_their_time_still_works_once(apps: Any) -> None:
    """Mails sent before the upgrade carry the old form of link (no time in it)."""
    web = apps()
    signed_up(web)
    with web.db.sessions() as session:
        subscriber = session.scalar(select(Subscriber).where(Subscriber.email == ADDRESS))
        assert subscriber is not None
        old_form = f"/confirm/{make_token(SECRET, subscriber.id, 'confirm', 1)}"
    assert web.client.get(old_form).status_code == 200
    assert web.client.post(old_form).status_code == 200
    assert_dead(web, old_form, USED)
