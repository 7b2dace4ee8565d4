"""The settings a crawl or probe child gets from its parent, as JSON on the child's stdin.

A child (``scrapers.crawl_child``, ``scrapers.probe_child``) never reads the operator's
environment or settings file: the parent, which loaded and checked the settings, hands over the
sections the child needs, and starts it with a fixed environment (``scrapers.runner
.child_environment``). The database URL may hold a password, so it travels on stdin, never in
the command line; children that store nothing (probes, dry runs) get no database at all.
"""

from __future__ import annotations

from typing import TextIO

from pydantic import BaseModel, ConfigDict, ValidationError

from config import CrawlSettings, DatabaseSettings


class HandoffError(Exception):
    """The settings on stdin are missing or broken (one line)."""


class ChildSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    crawl: CrawlSettings = CrawlSettings()
    # Only a crawl that stores its listings needs it.
    database: DatabaseSettings | None = None

    def without_database(self) -> ChildSettings:
        """For a child that stores nothing (a probe, a dry run)."""
        return ChildSettings(crawl=self.crawl)

    def to_json(self) -> str:
        return self.model_dump_json()


def read_settings(stream: TextIO) -> ChildSettings:
    """The settings the parent wrote on `stream` (the child's stdin)."""
    if stream.isatty():
        raise HandoffError(
            "the settings come as JSON on stdin from the parent process (scrapers.runner)"
        )
    text = stream.read()
    if not text.strip():
        raise HandoffError("no settings on stdin (the parent hands them over as JSON)")
    try:
        return ChildSettings.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        raise HandoffError(f"settings on stdin: {where}: {first['msg']}") from None
