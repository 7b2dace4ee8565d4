"""Which language a page speaks, and the words for our closed vocabularies.

The language comes from, in order: an explicit ``?lang=`` switch, the ``lang`` cookie the
switch leaves behind, the browser's Accept-Language, and the site default. Token pages use the
subscriber's own language unless the visitor switches.
"""

from __future__ import annotations

from store import vocab

LANGUAGES: tuple[str, ...] = vocab.LANGUAGES
LANG_COOKIE = "lang"


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; it is translated where shown."""
    return message


def accepted_languages(header: str | None) -> list[str]:
    """Our languages named in an Accept-Language header, best first (q=0 excluded)."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        # Norwegian and Danish readers understand Swedish better than Finnish.
        if primary in ("nb", "nn", "no", "da"):
            primary, quality = "sv", quality * 0.5
        if primary in LANGUAGES and quality > 0:
            weighted.append((-quality, index, primary))
    seen: list[str] = []
    for _q, _i, language in sorted(weighted):
        if language not in seen:
            seen.append(language)
    return seen


def negotiate(
    query: str | None,
    cookie: str | None,
    accept_language: str | None,
    default: str,
    preferred: str | None = None,
) -> str:
    """The page language; `preferred` (a subscriber's) beats the cookie and the browser."""
    if query in LANGUAGES:
        return query
    if preferred in LANGUAGES:
        return preferred
    if cookie in LANGUAGES:
        return cookie
    accepted = accepted_languages(accept_language)
    return accepted[0] if accepted else default


CATEGORY_LABELS: dict[str, str] = {
    "seminar": N_("Seminar"),
    "job-fair": N_("Job fair"),
    "course": N_("Course"),
    "workshop": N_("Workshop"),
    "networking": N_("Networking"),
    "mentoring": N_("Mentoring"),
    "webinar": N_("Webinar"),
    "info-session": N_("Info session"),
    "volunteering": N_("Volunteering"),
    "other": N_("Other"),
}

LANGUAGE_LABELS: dict[str, str] = {
    "fi": N_("Finnish"),
    "sv": N_("Swedish"),
    "en": N_("English"),
    "other": N_("Other language"),
}

# Each language names itself in the switcher.
LANGUAGE_NATIVE: dict[str, str] = {"fi": "Suomi", "sv": "Svenska", "en": "English"}

STATUS_LABELS: dict[str, str] = {
    vocab.SCHEDULED: N_("Scheduled"),
    vocab.CANCELLED: N_("Cancelled"),
    vocab.POSTPONED: N_("Postponed"),
    vocab.RESCHEDULED: N_("Rescheduled"),
}

WEEKDAY_LABELS: dict[str, str] = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}

SUBSCRIBER_STATUS_LABELS: dict[str, str] = {
    vocab.SUBSCRIBER_PENDING: N_("Pending"),
    vocab.SUBSCRIBER_ACTIVE: N_("Active"),
    vocab.SUBSCRIBER_UNSUBSCRIBED: N_("Unsubscribed"),
    vocab.SUBSCRIBER_BOUNCED: N_("Bounced"),
}

# A source's health and a crawl run's status: the admin pages show these words in the reader's
# language, the CLI the English ones (vahti/cli/progress.py), so both say the same.
HEALTH_LABELS: dict[str, str] = {
    vocab.HEALTH_NEW: N_("Not crawled yet"),
    vocab.HEALTH_OK: N_("Healthy"),
    vocab.HEALTH_DEGRADED: N_("Degraded"),
    vocab.HEALTH_FAILING: N_("Failing"),
}

RUN_STATUS_LABELS: dict[str, str] = {
    vocab.RUN_RUNNING: N_("Running"),
    vocab.RUN_OK: N_("Crawled"),
    vocab.RUN_NOT_MODIFIED: N_("Not modified"),
    vocab.RUN_SUSPECT: N_("Suspect: listings vanished"),
    vocab.RUN_FAILED: N_("Failed"),
    vocab.RUN_TIMEOUT: N_("Timed out"),
    vocab.RUN_CANCELLED: N_(
        "Cancelled: not the site's fault (a shutdown, the database or a crawl node)"
    ),
}

# Statuses of a digest's Delivery row; a status not named here is shown as it is stored.
DELIVERY_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting"),
    "sending": N_("Sending"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "empty": N_("Nothing to send"),
}
