"""Refusing admin-added source URLs that point into private or loopback networks.

A stand-in until the crawler's address guard (``scrapers/netguard.py``) lands: the app takes
any ``url -> url`` callable that raises :class:`UrlRefused` (see ``create_app(url_guard=...)``),
so the shell can hand it the crawler's guard instead of this one.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class UrlRefused(ValueError):
    """The URL may not be added as a source; the message says why."""


def normalise_source_url(url: str) -> str:
    """webcal:// is https://; only http and https otherwise."""
    url = url.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused(f"{url!r} is not an http:// or https:// address")
    return url


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UrlRefused(f"the host {host!r} cannot be resolved: {exc}") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for loopback, private, link-local, CGNAT (100.64/10), unspecified
    # and reserved ranges; multicast is global for some ranges, so it is refused on its own.
    return not address.is_global or address.is_multicast


def check_source_url(url: str, *, allow_private: bool) -> str:
    """The URL to store, or UrlRefused when it is not http(s) or reaches an internal address.

    Names are resolved here (numeric forms such as 2130706433 or 0x7f.1 resolve to loopback
    through the system resolver and are refused the same way).
    """
    url = normalise_source_url(url)
    if allow_private:
        return url
    host = urlsplit(url).hostname or ""
    for address in _addresses(host):
        if _internal(address):
            raise UrlRefused(
                f"{host} resolves to the internal address {address}; sources must be public "
                "(crawl.allow_private_networks allows internal ones)"
            )
    return url
