"""Offline demo organiser sites for Tapahtumavahti.

Six made-up organisers publish job-seeker and newcomer events in six formats (JSON-LD,
RSS, iCalendar, a plain HTML list, a Linked Events style API and schema.org microdata).
Everything is generated from one catalogue relative to a given ``today``, so the demo
always shows upcoming events, and the ground truth says which listings are the same event.

- :mod:`demo.catalogue`: the listings as plain data (``build_catalogue``).
- :mod:`demo.sites`: site metadata (``DEMO_SITES``) and rendering (``build_sites``).
- :mod:`demo.ground_truth`: which listings are one event, and the hard negatives.
- :mod:`demo.server`: a threaded HTTP server on 127.0.0.1 (``serve_sites``).

Only the standard library is used here; nothing imports the application packages.
"""
