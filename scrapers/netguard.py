"""The private-network guard: crawl only http(s) URLs on public addresses.

An admin pastes organiser URLs, and organiser sites answer with redirects: without a guard, a
URL (or a redirect) pointing at ``127.0.0.1``, ``169.254.169.254`` or ``10.0.0.5`` would make
the crawler fetch from inside our own network. Every request is checked before it is sent:

* the scheme must be http or https (Scrapy would happily read ``file://``);
* a host written as an address in any form a resolver accepts (``2130706433``, ``0177.0.0.1``,
  ``0x7f.1``, ``[::ffff:127.0.0.1]``) is classified as it stands;
* any other host name is resolved, and refused when any of its addresses is not public;
* the connection itself resolves the name again, through `scrapers.resolver.GuardedResolver`
  (Scrapy's resolver in every crawl, probe and dry run), which refuses a non-public answer
  before it is connected to or cached: a name that answers differently the second time (DNS
  rebinding) never reaches an internal address. A lookup it refused comes back here
  (``process_exception``) and is reported as a refusal naming the address; a process whose
  resolver is not the guarded one fetches no host names at all;
* after the download, the address actually connected to is checked again.

Redirects are new requests, so they pass the same checks. ``crawl.allow_private_networks``
turns the address checks off (the demo and the tests crawl 127.0.0.1); ``crawl.trusted_hosts``
exempts single host names. `check_url` is the same check as a plain function for other code
(adding a source, the probe).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.http import Request, Response

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str], list[IPAddress]]

ALLOWED_SCHEMES = ("http", "https")
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
_HINT = "set crawl.allow_private_networks or list the host in crawl.trusted_hosts to allow it"
_UNGUARDED = (
    "host names are fetched only through scrapers.resolver.GuardedResolver, which this process"
    " does not use (Scrapy setting TWISTED_DNS_RESOLVER, see scrapers.scrapy_settings)"
)


class RefusedURL(ValueError):
    """A URL the crawler will not fetch; the message says why."""


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address `host` denotes when it is written as one, else None.

    Besides the usual forms, this reads what C resolvers (inet_aton) accept for IPv4: one to
    four dot-separated parts, each decimal, octal (leading 0) or hexadecimal (0x), the last
    part filling the remaining bytes: ``2130706433``, ``0177.0.0.1``, ``0x7f.1``, ``127.1``.
    """
    text = host.strip().rstrip(".").removeprefix("[").removesuffix("]")
    if not text:
        return None
    if ":" in text:
        try:
            return ipaddress.IPv6Address(text)
        except ValueError:
            return None
    parts = text.split(".")
    if len(parts) > 4:
        return None
    values: list[int] = []
    for part in parts:
        value = _inet_aton_part(part)
        if value is None:
            return None
        values.append(value)
    *head, last = values
    if any(v > 0xFF for v in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _inet_aton_part(part: str) -> int | None:
    lowered = part.casefold()
    try:
        if lowered.startswith("0x"):
            return int(lowered[2:] or "0", 16)
        if len(lowered) > 1 and lowered.startswith("0"):
            return int(lowered[1:], 8)
        if lowered.isdigit():
            return int(lowered, 10)
    except ValueError:
        return None
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why an address may not be crawled ("loopback", "private", ...), or None when public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} (IPv4 {embedded} inside IPv6)" if problem else None
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in _SHARED, "shared (CGNAT)"),
        (isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK, "unspecified"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "non-public"),
    )
    return next((name for failed, name in checks if failed), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def resolve_host(host: str) -> list[IPAddress]:
    """Every address `host` resolves to; empty when it does not resolve (the fetch will fail)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    return _addresses(infos)


def _addresses(infos: Iterable[tuple[Any, ...]]) -> list[IPAddress]:
    found: list[IPAddress] = []
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            continue
        if address not in found:
            found.append(address)
    return found


def url_host(url: str) -> str:
    """The host of an http(s) URL, lower-cased, without brackets; RefusedURL otherwise."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError as exc:
        raise RefusedURL(f"{url}: not a valid URL ({exc})") from None
    if parts.scheme.casefold() not in ALLOWED_SCHEMES:
        raise RefusedURL(f"{url}: only http and https URLs are crawled")
    if not host:
        raise RefusedURL(f"{url}: the URL names no host")
    return host.rstrip(".")


def host_problem(host: str, addresses: Iterable[IPAddress]) -> str | None:
    """The first reason among `addresses` that makes `host` refused, worded for a person."""
    for address in addresses:
        problem = address_problem(address)
        if problem:
            shown = host if str(address) == host else f"{host} ({address})"
            return f"{shown} is a {problem} address"
    return None


def check_url(
    url: str,
    *,
    allow_private: bool = False,
    trusted_hosts: Iterable[str] = (),
    resolve: Resolver = resolve_host,
) -> None:
    """Raise RefusedURL unless `url` is http(s) on a public address (or allowed by settings)."""
    host = url_host(url)
    if allow_private or host in normalised_hosts(trusted_hosts):
        return
    literal = parse_ip_literal(host)
    problem = host_problem(host, [literal] if literal is not None else resolve(host))
    if problem:
        raise RefusedURL(f"refused {url}: {problem}; {_HINT}")


def normalised_host(host: str) -> str:
    """A host name as the guard compares it: trimmed, case-folded, no final dot or brackets."""
    return host.strip().casefold().rstrip(".").removeprefix("[").removesuffix("]")


def normalised_hosts(hosts: Iterable[str]) -> set[str]:
    return {normalised_host(host) for host in hosts}


class PrivateNetworkGuard:
    """Downloader middleware: `check_url` before every request, and the peer after it."""

    def __init__(self, allow_private: bool, trusted_hosts: Iterable[str]) -> None:
        self.allow_private = allow_private
        self.trusted = normalised_hosts(trusted_hosts)
        self._resolved: dict[str, list[IPAddress]] = {}
        self._resolver_guarded: bool | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateNetworkGuard:
        settings = crawler.settings
        return cls(
            settings.getbool("VAHTI_ALLOW_PRIVATE_NETWORKS"),
            settings.getlist("VAHTI_TRUSTED_HOSTS"),
        )

    async def process_request(self, request: Request) -> None:
        from scrapy.exceptions import IgnoreRequest

        try:
            host = url_host(request.url)
        except RefusedURL as exc:
            raise IgnoreRequest(str(exc)) from None
        if self.allow_private or host in self.trusted:
            return
        literal = parse_ip_literal(host)
        if literal is not None:
            addresses = [literal]
        elif not self._guarded_resolver():
            raise IgnoreRequest(f"refused {request.url}: {_UNGUARDED}")
        elif host in self._resolved:
            addresses = self._resolved[host]
        else:
            # Resolution blocks: run it in a thread so the crawl keeps going meanwhile.
            loop = asyncio.get_running_loop()
            try:
                infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            except (socket.gaierror, UnicodeError, OSError):
                infos = []
            addresses = self._resolved[host] = _addresses(infos)
        problem = host_problem(host, addresses)
        if problem:
            raise IgnoreRequest(f"refused {request.url}: {problem}; {_HINT}")

    def _guarded_resolver(self) -> bool:
        """Whether this process connects through the GuardedResolver (checked once)."""
        if self._resolver_guarded is None:
            from scrapers.resolver import installed_resolver

            self._resolver_guarded = installed_resolver() is not None
        return self._resolver_guarded

    def process_exception(self, request: Request, exception: Exception) -> None:
        """A lookup the GuardedResolver refused becomes a refusal naming the address (and is
        not retried); any other failure goes on as it is."""
        from scrapy.exceptions import IgnoreRequest

        from scrapers.resolver import installed_resolver

        resolver = installed_resolver()
        if self.allow_private or resolver is None or not _is_lookup_failure(exception):
            return
        proxy = request.meta.get("proxy")
        for host in (urlsplit(request.url).hostname, urlsplit(proxy).hostname if proxy else None):
            problem = resolver.refusal(host) if host else None
            if problem:
                raise IgnoreRequest(f"refused {request.url}: on connecting, {problem}; {_HINT}")

    def process_response(self, request: Request, response: Response) -> Response:
        from scrapy.exceptions import IgnoreRequest

        address = getattr(response, "ip_address", None)
        if self.allow_private or address is None:
            return response
        host = urlsplit(response.url).hostname or ""
        if host in self.trusted:
            return response
        problem = host_problem(host, [address])
        if problem:
            raise IgnoreRequest(f"refused {response.url}: connected to {problem}; {_HINT}")
        return response


def _is_lookup_failure(exception: Exception) -> bool:
    """A failed name lookup, as Twisted or Scrapy (CannotResolveHostError) reports it."""
    from twisted.internet.error import DNSLookupError

    return isinstance(exception, DNSLookupError) or any(
        cls.__name__ == "CannotResolveHostError" for cls in type(exception).__mro__
    )
