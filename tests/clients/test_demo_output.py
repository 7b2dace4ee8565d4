"""The client tests' fixture itself: the demo left mail, events and sources to open."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser

from tests.clients.conftest import DemoRun


def test_the_demo_leaves_digests_that_the_email_parser_reads(demo_run: DemoRun) -> None:
    for path in demo_run.messages():
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        assert message["Message-ID"] and message["To"], path
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None
    events = json.loads(demo_run.vahti("events", "list", "--json").stdout)
    assert len(events) >= 20
