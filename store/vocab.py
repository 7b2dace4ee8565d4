"""The closed vocabularies every part of Tapahtumavahti maps onto.

Extractors and normalisation produce only these values; the digest, the feeds and the admin
pages translate them for people (see locales/).
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

HEALTH_NEW: Final = "new"
HEALTH_OK: Final = "ok"
HEALTH_DEGRADED: Final = "degraded"
HEALTH_FAILING: Final = "failing"
HEALTHS: Final = (HEALTH_NEW, HEALTH_OK, HEALTH_DEGRADED, HEALTH_FAILING)

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
