"""The web app: feeds for readers and calendars, subscriber pages, admin pages.

Built by :func:`web.app.create_app` from a plain :class:`web.config.WebConfig` and a session
factory; the shell (`vahti serve`, `vahti run`) makes both from the settings.
"""
