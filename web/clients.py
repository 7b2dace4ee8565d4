"""Who a request comes from, as the login and sign-up limits count it.

The address is the connecting peer's, or the one a trusted reverse proxy names
(web.trusted_proxies: the app installs uvicorn's ProxyHeadersMiddleware for those addresses
only, so X-Forwarded-For from anyone else changes nothing). An IPv6 client counts as its /64:
one host usually has a whole /64 to pick addresses from.
"""

from __future__ import annotations

import ipaddress

from starlette.requests import Request

MAX_CLIENT = 64  # the column's width (store.models: LoginAttempt, SentSignupMail)


def client_key(host: str | None) -> str:
    """The key a client is counted by: an IPv4 address, an IPv6 /64, or the text as given
    (a test client's name) cut to the column's width."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:MAX_CLIENT]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def request_client(request: Request) -> str:
    return client_key(request.client.host if request.client else None)
