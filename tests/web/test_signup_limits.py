"""Sign-up floods: one mail per address (case-insensitively), per client and in all, shared by
web processes through the database; a refused sign-up looks exactly like an accepted one."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.signup_limits import Refusal, SignupLimits, reserve
from store.db import session_scope
from store.models import SentSignupMail, Subscriber
from tests.conftest import Database
from tests.web.conftest import BASE_URL, WebEnv

pytestmark = pytest.mark.postgres

FORM = {
    "email": "maija.meikalainen@example.fi",
    "language": "en",
    "categories": ["job-fair"],
    "cities": "Helsinki",
    "day": "wed",
    "hour": "7",
    "website": "",
}


def sign_up(client: TestClient, email: str) -> str:
    page = client.post("/subscribe", data={**FORM, "email": email})
    assert page.status_code == 200, page.text
    return page.text


def recipients(*envs: WebEnv) -> list[str]:
    return [str(mail["To"]) for env in envs for mail in env.mails()]


def other_client(env: WebEnv, address: str) -> TestClient:
    return TestClient(env.app, base_url=BASE_URL, client=(address, 40000))


def case_variants(address: str, count: int) -> list[str]:
    local, _, domain = address.partition("@")
    letters = [i for i, c in enumerate(local) if c.isalpha()]
    variants = []
    for n in range(count):
        chars = list(local)
        for bit, index in enumerate(letters):
            if n >> bit & 1:
                chars[index] = chars[index].upper()
        variants.append("".join(chars) + "@" + domain)
    assert len(set(variants)) == count
    return variants


def test_case_variants_of_one_address_get_one_mail(apps: Any) -> None:
    web = apps(signup_client_mails_per_hour=1000)
    for variant in case_variants("maija.meikalainen@example.fi", 100):
        sign_up(web.client, variant)
    assert recipients(web) == ["maija.meikalainen@example.fi"]
    # Positive control: another address still gets its mail, and a variant of the first one
    # does once the interval has passed (stored as given, upper case and all).
    sign_up(web.client, "pekka@example.fi")
    web.clock.advance(minutes=61)
    sign_up(web.client, "Maija.Meikalainen@example.fi")
    assert recipients(web) == [
        "maija.meikalainen@example.fi",
        "pekka@example.fi",
        "Maija.Meikalainen@example.fi",
    ]
    with web.db.sessions() as session:
        stored = set(session.scalars(select(Subscriber.email)))
    assert "Maija.Meikalainen@example.fi" in stored


def test_one_client_gets_its_limit_of_mails_and_refused_pages_look_accepted(apps: Any) -> None:
    web = apps(signup_client_mails_per_hour=3)
    flood = other_client(web, "203.0.113.7")
    pages = {f"a{i}@example.fi": sign_up(flood, f"a{i}@example.fi") for i in range(6)}
    assert recipients(web) == ["a0@example.fi", "a1@example.fi", "a2@example.fi"]
    with web.db.sessions() as session:
        # A refused sign-up changes nothing: no subscriber rows for the refused addresses.
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 3
    # Another client is not held back by this one (positive control), and the page it gets
    # for an accepted sign-up is, byte for byte, the page the flood got when refused.
    accepted = sign_up(other_client(web, "198.51.100.20"), "a4@example.fi")
    assert recipients(web)[-1] == "a4@example.fi"
    assert accepted == pages["a4@example.fi"]
    assert "a4@example.fi" in accepted
    # The hour passes: the client may sign up again.
    web.clock.advance(minutes=61)
    sign_up(flood, "a5@example.fi")
    assert recipients(web)[-1] == "a5@example.fi"


def test_an_ipv6_client_counts_as_its_slash_64(apps: Any) -> None:
    web = apps(signup_client_mails_per_hour=2)
    for host in range(1, 5):
        sign_up(other_client(web, f"2001:db8:1:2::{host:x}"), f"v6-{host}@example.fi")
    sign_up(other_client(web, "2001:db8:1:3::1"), "v6-other@example.fi")
    assert recipients(web) == ["v6-1@example.fi", "v6-2@example.fi", "v6-other@example.fi"]


def test_the_hourly_cap_counts_every_client(apps: Any) -> None:
    web = apps(signup_mails_per_hour=3)
    pages = [sign_up(other_client(web, f"192.0.2.{n}"), f"cap{n}@example.fi") for n in range(1, 6)]
    assert recipients(web) == ["cap1@example.fi", "cap2@example.fi", "cap3@example.fi"]
    web.clock.advance(minutes=61)
    # Positive control: the next hour's sign-ups go out, with the page the refused one got.
    accepted = sign_up(other_client(web, "192.0.2.5"), "cap5@example.fi")
    assert recipients(web)[-1] == "cap5@example.fi"
    assert accepted == pages[4]


def test_two_app_instances_share_the_sign_up_limits(apps: Any) -> None:
    first = apps(signup_client_mails_per_hour=2)
    second = apps(signup_client_mails_per_hour=2)
    sign_up(first.client, "one@example.fi")
    sign_up(second.client, "two@example.fi")
    sign_up(first.client, "three@example.fi")
    sign_up(second.client, "four@example.fi")
    assert sorted(recipients(first, second)) == ["one@example.fi", "two@example.fi"]
    # The address limit is shared too, across case.
    sign_up(other_client(first, "192.0.2.1"), "Shared@example.fi")
    sign_up(other_client(second, "192.0.2.2"), "shared@EXAMPLE.fi")
    assert sorted(recipients(first, second)) == [
        "Shared@example.fi",
        "one@example.fi",
        "two@example.fi",
    ]


def test_a_failed_mail_frees_its_place_in_the_limits(apps: Any) -> None:
    web = apps(signup_client_mails_per_hour=1)
    outbox = web.outbox
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a folder: the file outbox cannot write here")
    failed = web.client.post("/subscribe", data=FORM)
    assert failed.status_code == 500
    outbox.unlink()
    sign_up(web.client, FORM["email"])
    assert recipients(web) == [FORM["email"]]


def test_parallel_reservations_never_pass_the_cap(db: Database, now: datetime) -> None:
    """Eight threads (sessions of their own), sixteen reservations, a cap of five."""
    limits = SignupLimits(resend_after=timedelta(minutes=60), per_client=100, per_hour=5)
    answers: list[Refusal | None] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(worker: int) -> None:
        start.wait()
        for n in range(2):
            with session_scope(db.sessions) as session:
                _record, refused = reserve(
                    session, f"p{worker}-{n}@example.fi", f"192.0.2.{worker}", now, limits
                )
            with lock:
                answers.append(refused)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 16
    assert answers.count(None) == 5
    assert set(answers) == {None, Refusal.CAP}
    with db.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SentSignupMail)) == 5
