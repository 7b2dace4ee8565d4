"""`vahti demo --database URL` on a database with other people's data: the demo changes and
mails only its own sources and subscribers."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path

from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session

from demo.sites import DEMO_SITES
from store.models import CrawlRun, Delivery, Source, Subscriber

THEIR_URL = "http://127.0.0.1:8100/tyollisyys/tapahtumat/"  # a demo path, but not the demo's


def _prepare(run_vahti, url: str) -> None:  # type: ignore[no-untyped-def]
    env = {"VAHTI_DATABASE__URL": url}
    assert run_vahti("db", "upgrade", env=env).returncode == 0
    for email in (
        "real.person@example.org",
        "gone.person@example.org",
        "sara.nykomling@example.fi",
    ):
        added = run_vahti("subscribers", "add", email, "--language", "fi", "--confirmed", env=env)
        assert added.returncode == 0, added.stderr
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add(Source(name="Our own employment events", url=THEIR_URL, kind="jsonld"))
        session.execute(
            update(Subscriber)
            .where(Subscriber.email.in_(["gone.person@example.org", "sara.nykomling@example.fi"]))
            .values(status="unsubscribed")
        )
    engine.dispose()


def test_demo_on_a_shared_database_leaves_the_others_alone(  # type: ignore[no-untyped-def]
    run_vahti, db_url: str, tmp_path: Path
) -> None:
    url = db_url  # SQLite, and PostgreSQL where VAHTI_TEST_POSTGRES_URL is set
    _prepare(run_vahti, url)
    outbox = tmp_path / "shared-outbox"
    result = run_vahti(
        "demo",
        "--no-serve",
        "--database",
        url,
        "--outbox",
        str(outbox),
        env={"VAHTI_DEMO__SITES_PORT": "0"},
        timeout=240,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    recipients = sorted(
        str(message_from_bytes(p.read_bytes(), policy=default)["To"]) for p in outbox.glob("*.eml")
    )
    # Positive control: the demo's own active subscribers got their digests ...
    assert recipients == ["aino.tyonhakija@example.fi", "david.newcomer@example.com"]
    engine = create_engine(url)
    with Session(engine) as session:
        status = dict(session.execute(select(Subscriber.email, Subscriber.status)).all())
        # ... nobody else did, and nobody's status changed (no reactivation, not even of a
        # demo address that unsubscribed).
        assert status["real.person@example.org"] == "active"
        assert status["gone.person@example.org"] == "unsubscribed"
        assert status["sara.nykomling@example.fi"] == "unsubscribed"
        mailed = set(
            session.scalars(
                select(Subscriber.email).join(Delivery, Delivery.subscriber_id == Subscriber.id)
            )
        )
        assert mailed == {"aino.tyonhakija@example.fi", "david.newcomer@example.com"}
        theirs = session.scalar(select(Source).where(Source.name == "Our own employment events"))
        assert theirs is not None
        assert theirs.url == THEIR_URL and theirs.kind == "jsonld" and theirs.enabled
        assert session.scalar(select(CrawlRun.id).where(CrawlRun.source_id == theirs.id)) is None
        assert session.execute(text("select count(*) from sources")).scalar() == 7
    engine.dispose()
    assert not (tmp_path / "var" / "demo").exists()  # pointed elsewhere: not its default


def test_demo_refuses_a_source_of_another_under_a_demo_name(run_vahti, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    _prepare(run_vahti, url)
    engine = create_engine(url)
    with Session(engine) as session, session.begin():
        session.add(
            Source(name=DEMO_SITES[0].name, url="https://example.org/events/", kind="jsonld")
        )
    engine.dispose()
    result = run_vahti(
        "demo", "--no-serve", "--database", url, env={"VAHTI_DEMO__SITES_PORT": "0"}, timeout=240
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is not the demo's" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    sources = json.loads(
        run_vahti("sources", "list", "--json", env={"VAHTI_DATABASE__URL": url}).stdout
    )
    assert {s["url"] for s in sources} == {"https://example.org/events/", THEIR_URL}
