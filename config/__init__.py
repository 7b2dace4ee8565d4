"""The typed settings schema, a leaf: it imports nothing of ours.

``config.schema`` holds the section models and Settings (plain values); ``config.loader`` reads
them from the settings file and the environment, for the shell (vahti/) only.
"""

from config.schema import (
    CrawlSettings,
    DatabaseSettings,
    DedupeSettings,
    DemoSettings,
    DigestSettings,
    Language,
    MailSettings,
    SchedulerSettings,
    Section,
    Settings,
    WebSettings,
    Weekday,
    documented_keys,
    sections,
)

__all__ = [
    "CrawlSettings",
    "DatabaseSettings",
    "DedupeSettings",
    "DemoSettings",
    "DigestSettings",
    "Language",
    "MailSettings",
    "SchedulerSettings",
    "Section",
    "Settings",
    "WebSettings",
    "Weekday",
    "documented_keys",
    "sections",
]
