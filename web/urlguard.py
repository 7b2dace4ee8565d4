"""Refusing admin-added source URLs that point into private or loopback networks.

The check itself is the crawler's address guard (`scrapers.netguard.check_url`), so the admin
pages, `vahti sources add` and every crawl refuse exactly the same addresses.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrapers.netguard import RefusedURL, check_url


class UrlRefused(ValueError):
    """The URL may not be added as a source; the message says why."""


def normalise_source_url(url: str) -> str:
    """webcal:// is https://; only http and https otherwise."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    return url


def check_source_url(url: str, *, allow_private: bool, trusted_hosts: Iterable[str] = ()) -> str:
    """The URL to store, or UrlRefused when it is not http(s) or reaches an internal address."""
    url = normalise_source_url(url)
    try:
        check_url(url, allow_private=allow_private, trusted_hosts=trusted_hosts)
    except RefusedURL as exc:
        raise UrlRefused(str(exc)) from exc
    return url
