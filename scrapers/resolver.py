"""The DNS resolver of every crawl, probe and dry run: the address checked is the one used.

The private-network guard (`scrapers.netguard`) resolves a host name before a request is
sent, but Scrapy resolves the name again to connect. A name whose second answer differs (DNS
rebinding: first a public address, then ``127.0.0.1``) would slip past a check made on the
first answer only. `GuardedResolver` is installed as Scrapy's resolver (the Scrapy setting
``TWISTED_DNS_RESOLVER``, see `scrapers.scrapy_settings`), so every connection to a name goes
through it: each answer is checked by the same rules as the guard (`netguard.host_problem`)
before it is handed to the connection or kept in Scrapy's DNS cache. A refused answer fails
the lookup; the guard's ``process_exception`` turns that failure into a refusal naming the
address (`GuardedResolver.refusal`).

``crawl.allow_private_networks`` turns the check off, ``crawl.trusted_hosts`` exempts single
names, as for the guard. Like Scrapy's default resolver (``CachingThreadedResolver``, which this
one extends), it resolves IPv4 only, honours DNS_TIMEOUT and caches answers per process.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from scrapy.resolver import CachingThreadedResolver, dnscache
from twisted.internet import defer
from twisted.internet.base import ThreadedResolver
from twisted.internet.error import DNSLookupError

from scrapers.netguard import host_problem, normalised_host, normalised_hosts

if TYPE_CHECKING:
    from twisted.internet.base import ReactorBase
    from twisted.internet.defer import Deferred


class AddressRefused(DNSLookupError):
    """A name answered with an address the crawler may not connect to."""


class GuardedResolver(CachingThreadedResolver):
    """Scrapy's caching resolver that refuses non-public answers (see the module docstring)."""

    def __init__(
        self,
        reactor: ReactorBase,
        cache_size: int,
        timeout: float,
        *,
        allow_private: bool = False,
        trusted_hosts: Iterable[str] = (),
    ) -> None:
        super().__init__(reactor, cache_size, timeout)
        self.allow_private = allow_private
        self.trusted = normalised_hosts(trusted_hosts)
        # Why the last answer for a name (normalised) was refused; cleared by a good answer.
        self.refused: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: ReactorBase) -> GuardedResolver:
        # Scrapy passes its CrawlerProcess here, which has the process's settings.
        settings = crawler.settings
        cache_size = settings.getint("DNSCACHE_SIZE") if settings.getbool("DNSCACHE_ENABLED") else 0
        return cls(
            reactor,
            cache_size,
            settings.getfloat("DNS_TIMEOUT"),
            allow_private=settings.getbool("VAHTI_ALLOW_PRIVATE_NETWORKS"),
            trusted_hosts=settings.getlist("VAHTI_TRUSTED_HOSTS"),
        )

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        if name in dnscache:  # only checked answers are ever kept
            return defer.succeed(dnscache[name])
        # Scrapy's DNS_TIMEOUT, not Twisted's default, as CachingThreadedResolver does (the
        # sequence of seconds may hold floats, whatever its type says).
        seconds: Any = (self.timeout,)
        looked_up: Deferred[str] = ThreadedResolver.getHostByName(self, name, seconds)
        return looked_up.addCallback(self._checked, name)

    def _checked(self, address: str, name: str) -> str:
        key = normalised_host(name)
        if not self.allow_private and key not in self.trusted:
            problem = _problem(name, address)
            if problem:
                self.refused[key] = problem
                raise AddressRefused(name, problem)
        self.refused.pop(key, None)
        if dnscache.limit:
            dnscache[name] = address
        return address

    def refusal(self, host: str) -> str | None:
        """Why the last answer for `host` was refused ("x (127.0.0.1) is a loopback
        address"), or None when it was not."""
        return self.refused.get(normalised_host(host))


def _problem(name: str, address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{name} answered {address!r}, which is not an address"
    return host_problem(name, [parsed])


def installed_resolver() -> GuardedResolver | None:
    """The GuardedResolver this process's reactor resolves names with, or None."""
    from twisted.internet import reactor

    resolver = getattr(reactor, "resolver", None)
    return resolver if isinstance(resolver, GuardedResolver) else None
