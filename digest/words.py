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

# The "Why" line's language reason: the reader chose events held in it ...
CHOSEN_LANGUAGE_PHRASES: Final = {
    "fi": "you chose Finnish",
    "sv": "you chose Swedish",
    "en": "you chose English",
}

# ... and the card's badge: the languages the event is held in (the same for every reader).
LANGUAGE_NAMES: Final = {"fi": "Finnish", "sv": "Swedish", "en": "English"}
HELD_IN: Final = "held in %(languages)s"

# A card's mark for an event whose status is not "scheduled" (as the web list shows it).
STATUS_LABELS: Final = {
    "cancelled": "Cancelled",
    "postponed": "Postponed",
    "rescheduled": "Rescheduled",
}

CHANGE_LABELS: Final = {
    "cancelled": "Cancelled",
    "postponed": "Postponed",
    "rescheduled": "New time",
    "deadline": "Deadline moved",
}
