"""Feeds of events for readers and calendars: Atom, RSS 2.0, JSON Feed 1.1, iCalendar.

Every format is built from the same plain :class:`FeedItem` values (see :mod:`web.feeds.items`),
so the formats agree with each other and with the pages.
"""
