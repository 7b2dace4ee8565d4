"""Every link a digest carries, in one place, in the shapes the web app serves.

* preferences    GET  {base}/s/{token}                      token purpose "preferences"
* unsubscribe    GET  {base}/u/{token} (confirm page); POST the same URL is the RFC 8058
                 one-click unsubscribe (no cookies: the URL alone names the subscriber)
                                                            token purpose "unsubscribe"
* personal feeds {base}/feeds/{token}/events.{ics,atom,rss,json}   token purpose "feed"
* add to calendar {base}/events/{event_id}.ics

Tokens are signed with the web secret key and carry the subscriber's token version, so bumping
the version (web: "invalidate my links") kills every link sent before.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.tokens import make_token

FEED_FORMATS = ("ics", "atom", "rss", "json")


@dataclass(frozen=True, slots=True)
class SubscriberLinks:
    preferences: str
    unsubscribe: str
    feeds: dict[str, str]


def subscriber_links(
    base_url: str, secret: bytes, subscriber_id: int, token_version: int
) -> SubscriberLinks:
    base = base_url.rstrip("/")

    def token(purpose: str) -> str:
        return make_token(secret, subscriber_id, purpose, token_version)

    feed = token("feed")
    return SubscriberLinks(
        preferences=f"{base}/s/{token('preferences')}",
        unsubscribe=f"{base}/u/{token('unsubscribe')}",
        feeds={fmt: f"{base}/feeds/{feed}/events.{fmt}" for fmt in FEED_FORMATS},
    )


def event_calendar_url(base_url: str, event_id: int) -> str:
    """The event as an .ics file, for the "add to calendar" link."""
    return f"{base_url.rstrip('/')}/events/{event_id}.ics"
