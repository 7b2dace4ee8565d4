"""The web app on the demo's database (as `vahti serve` would build it), for client tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from store.db import make_engine, session_factory
from tests.clients.conftest import DemoRun
from web.app import create_app
from web.config import WebConfig

BASE_URL = "http://testserver"
_FEED = re.compile(r"https?://[^\s\"'<>]+/feeds/[^\s\"'<>/]+/events\.atom")


@contextmanager
def demo_client(run: DemoRun) -> Iterator[TestClient]:
    engine = make_engine(run.database_url)
    config = WebConfig(base_url=BASE_URL, secret_key=run.env["VAHTI_WEB__SECRET_KEY"].encode())
    try:
        with TestClient(create_app(config, session_factory(engine)), base_url=BASE_URL) as client:
            yield client
    finally:
        engine.dispose()


def digests(run: DemoRun) -> list[EmailMessage]:
    parser = BytesParser(policy=policy.default)
    found = []
    for path in run.messages():
        message = parser.parsebytes(path.read_bytes())
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def digest_texts(run: DemoRun) -> list[str]:
    """Each digest's text and HTML parts, decoded."""
    texts = []
    for message in digests(run):
        for kind in ("plain", "html"):
            part = message.get_body(preferencelist=(kind,))
            assert part is not None
            texts.append(part.get_content())
    return texts


def personal_feed_paths(run: DemoRun) -> list[str]:
    """The personal Atom feeds the digests link to, as paths on the app."""
    paths = {urlsplit(url).path for text in digest_texts(run) for url in _FEED.findall(text)}
    return sorted(paths)
