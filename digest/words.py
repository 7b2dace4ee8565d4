"""The words of a digest that come from vocabularies: msgids, translated at render time.

Every value here is a msgid in locales/{fi,sv,en}/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

from typing import Final

CATEGORY_LABELS: Final = {
    "seminar": "seminar",
    "job-fair": "job fair",
    "course": "course",
    "workshop": "workshop",
    "networking": "networking",
    "mentoring": "mentoring",
    "webinar": "webinar",
    "info-session": "info session",
    "volunteering": "volunteering",
    "other": "other",
}

AUDIENCE_PHRASES: Final = {
    "immigrants": "for immigrants",
    "women": "for women",
    "students": "for students",
    "youth": "for young people",
    "unemployed": "for job seekers",
    "entrepreneurs": "for entrepreneurs",
    "international": "for international people",
}

LANGUAGE_PHRASES: Final = {
    "fi": "in Finnish",
    "sv": "in Swedish",
    "en": "in English",
}

CHANGE_LABELS: Final = {
    "cancelled": "Cancelled",
    "postponed": "Postponed",
    "rescheduled": "New time",
    "deadline": "Deadline moved",
}
