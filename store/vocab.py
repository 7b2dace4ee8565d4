"""The closed vocabularies every part of Tapahtumavahti maps onto.

Extractors and normalisation produce only these values; the digest, the feeds and the admin
pages translate them for people (the msgids are in web/i18n.py, the words in locales/; the CLI
prints the English words).
"""

from __future__ import annotations

from typing import Final

LANGUAGES: Final = ("fi", "sv", "en")
EVENT_LANGUAGES: Final = ("fi", "sv", "en", "other")

SCHEDULED: Final = "scheduled"
CANCELLED: Final = "cancelled"
POSTPONED: Final = "postponed"
RESCHEDULED: Final = "rescheduled"
STATUSES: Final = (SCHEDULED, CANCELLED, POSTPONED, RESCHEDULED)

ONSITE: Final = "onsite"
ONLINE: Final = "online"
HYBRID: Final = "hybrid"
ATTENDANCE_MODES: Final = (ONSITE, ONLINE, HYBRID)

CATEGORIES: Final = (
    "seminar",
    "job-fair",
    "course",
    "workshop",
    "networking",
    "mentoring",
    "webinar",
    "info-session",
    "volunteering",
    "other",
)

AUDIENCES: Final = (
    "immigrants",
    "women",
    "students",
    "youth",
    "unemployed",
    "entrepreneurs",
    "international",
)

SOURCE_KINDS: Final = ("auto", "jsonld", "ics", "rss", "linkedevents", "css")
SPIDER_KIND_PREFIX: Final = "spider:"

# A source's health (Source.health), set when a crawl closes (scrapers.bookkeeping).
HEALTH_NEW: Final = "new"  # not crawled yet
HEALTH_OK: Final = "ok"
HEALTH_DEGRADED: Final = "degraded"  # errors, a suspect crawl, or far fewer records than usual
HEALTH_FAILING: Final = "failing"  # the last crawl failed
HEALTHS: Final = (HEALTH_NEW, HEALTH_OK, HEALTH_DEGRADED, HEALTH_FAILING)

# A crawl run's status (CrawlRun.status).
RUN_RUNNING: Final = "running"
RUN_OK: Final = "ok"
RUN_NOT_MODIFIED: Final = "not_modified"  # every page answered 304: nothing to read
RUN_SUSPECT: Final = "suspect"  # too many listings vanished at once: none marked gone
RUN_FAILED: Final = "failed"  # the source's page could not be read
RUN_TIMEOUT: Final = "timeout"  # the crawl hit its time limit
# stopped by a shutdown, a database outage or a lost crawl node: says nothing of the source
RUN_CANCELLED: Final = "cancelled"
RUN_STATUSES: Final = (
    RUN_RUNNING,
    RUN_OK,
    RUN_NOT_MODIFIED,
    RUN_SUSPECT,
    RUN_FAILED,
    RUN_TIMEOUT,
    RUN_CANCELLED,
)
RUN_FAILED_STATUSES: Final = (RUN_FAILED, RUN_TIMEOUT)
RUN_COMPLETE_STATUSES: Final = (RUN_OK, RUN_NOT_MODIFIED)  # the source was read in full

SUBSCRIBER_PENDING: Final = "pending"
SUBSCRIBER_ACTIVE: Final = "active"
SUBSCRIBER_UNSUBSCRIBED: Final = "unsubscribed"
SUBSCRIBER_BOUNCED: Final = "bounced"
SUBSCRIBER_STATUSES: Final = (
    SUBSCRIBER_PENDING,
    SUBSCRIBER_ACTIVE,
    SUBSCRIBER_UNSUBSCRIBED,
    SUBSCRIBER_BOUNCED,
)

WEEKDAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def is_source_kind(kind: str) -> bool:
    """True for a generic kind or a site-specific spider (``spider:NAME``)."""
    return kind in SOURCE_KINDS or (
        kind.startswith(SPIDER_KIND_PREFIX) and len(kind) > len(SPIDER_KIND_PREFIX)
    )
