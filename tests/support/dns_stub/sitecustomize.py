"""Test-only start-up code for the crawl children of tests/test_dns_rebinding.py.

The test copies this file into a folder of its own, writes ``dns_stub.json`` beside it and puts
the folder on PYTHONPATH, so every Python process it starts imports it at start-up. Such a
process then:

* resolves every host name (socket.getaddrinfo and socket.gethostbyname, which Scrapy, Twisted
  and asyncio use) by asking the test's DNS server on 127.0.0.1 instead of the system's, and
* connects nowhere but 127.0.0.1: a connection to an address listed under "nat" goes to the
  same port on 127.0.0.1 (a stand-in for a public site; the connection still reports the
  public address as its peer), any other address is refused on the spot and written to the
  "blocked" file. Nothing leaves the machine, whatever the code under test does.

Without the JSON file beside it, this module does nothing.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import socket
from pathlib import Path
from typing import Any

_CONFIG = Path(__file__).with_name("dns_stub.json")


def _install(config: dict[str, Any]) -> None:
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    dns_port = int(config["dns_port"])
    nat = {(host, int(port)) for host, port in config["nat"]}
    blocked = Path(config["blocked"])
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_socket = socket.socket

    def local(host: str) -> bool:
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host.casefold().rstrip(".") == "localhost"
        return True

    def ask(host: str) -> list[str]:
        query = dns.message.make_query(host.rstrip(".") + ".", "A")
        answer = dns.query.udp(query, "127.0.0.1", port=dns_port, timeout=5)
        found = [
            item.address
            for rrset in answer.answer
            if rrset.rdtype == dns.rdatatype.A
            for item in rrset
        ]
        if answer.rcode() != dns.rcode.NOERROR or not found:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return found

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host is None or isinstance(host, bytes) or local(host):
            return real_getaddrinfo(host, port, *args, **kwargs)
        number = int(port) if port else 0
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, number))
            for address in ask(host)
        ]

    def gethostbyname(host: str) -> str:
        return real_gethostbyname(host) if local(host) else ask(host)[0]

    class LocalOnly(real_socket):  # type: ignore[misc, valid-type]
        def _target(self, address: Any) -> Any:
            if self.family not in (socket.AF_INET, socket.AF_INET6):
                return address
            host, port = str(address[0]), int(address[1])
            if (host, port) in nat:
                return ("127.0.0.1", port)
            if not ipaddress.ip_address(host.split("%", 1)[0]).is_loopback:
                with blocked.open("a") as log:
                    log.write(f"{host}:{port}\n")
                raise ConnectionRefusedError(errno.ECONNREFUSED, f"test: {host} is off limits")
            return address

        def connect(self, address: Any) -> None:
            super().connect(self._target(address))

        def connect_ex(self, address: Any) -> int:
            try:
                target = self._target(address)
            except ConnectionRefusedError:
                return errno.ECONNREFUSED
            return int(super().connect_ex(target))

    socket.getaddrinfo = getaddrinfo
    socket.gethostbyname = gethostbyname
    socket.socket = LocalOnly  # type: ignore[misc]


if _CONFIG.exists():
    _install(json.loads(_CONFIG.read_text()))
