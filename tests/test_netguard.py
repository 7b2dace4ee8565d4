"""The private-network guard as pure functions: address forms, classification, URL checks.

The guard inside a real crawl (start URL and redirect refused) is in tests/test_crawl_faults.py.
"""

from __future__ import annotations

import ipaddress

import pytest

from scrapers.netguard import (
    IPAddress,
    RefusedURL,
    address_problem,
    check_url,
    parse_ip_literal,
)


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0x7F.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("10.1", "10.0.0.1"),
        ("192.168.257", "192.168.1.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1%eth0"),
    ],
)
def test_addresses_are_read_in_every_form_resolvers_accept(written: str, address: str) -> None:
    assert parse_ip_literal(written) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "written", ["example.fi", "1.2.3.4.5", "08.1.1.1", "0x100.0.0.1", "256.1.1.1", "", "::g"]
)
def test_names_and_impossible_numbers_are_not_addresses(written: str) -> None:
    assert parse_ip_literal(written) is None


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("192.0.2.10", "private"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_internal_addresses_are_named(address: str, problem: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(
    "address",
    ["::ffff:127.0.0.1", "::ffff:10.0.0.1", "::127.0.0.1", "2002:7f00:1::", "64:ff9b::a00:1"],
)
def test_ipv4_inside_ipv6_is_judged_by_the_ipv4_address(address: str) -> None:
    problem = address_problem(ipaddress.ip_address(address))
    assert problem is not None and "inside IPv6" in problem


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"]
)
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(ipaddress.ip_address(address)) is None


def resolver(table: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def resolve(host: str) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in table.get(host, [])]

    return resolve


PUBLIC_DNS = resolver(
    {
        "tapahtumat.example.fi": ["93.184.216.34"],
        "sisainen.example.fi": ["10.20.30.40"],
        "sekalainen.example.fi": ["93.184.216.34", "192.168.0.7"],
    }
)


def test_a_public_site_may_be_crawled() -> None:
    check_url("https://tapahtumat.example.fi/tapahtumat/", resolve=PUBLIC_DNS)


def test_a_name_that_resolves_inside_is_refused_with_the_address() -> None:
    with pytest.raises(RefusedURL, match=r"sisainen\.example\.fi \(10\.20\.30\.40\) is a private"):
        check_url("https://sisainen.example.fi/", resolve=PUBLIC_DNS)


def test_one_internal_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(RefusedURL, match=r"192\.168\.0\.7"):
        check_url("http://sekalainen.example.fi/", resolve=PUBLIC_DNS)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0177.0.0.1:8080/",
        "http://[::ffff:127.0.0.1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.1.1/",
    ],
)
def test_written_addresses_are_refused_without_asking_dns(url: str) -> None:
    def no_dns(host: str) -> list[IPAddress]:
        raise AssertionError(f"{host} should not need resolving")

    with pytest.raises(RefusedURL, match=r"crawl\.allow_private_networks"):
        check_url(url, resolve=no_dns)


def test_a_name_that_does_not_resolve_is_left_to_the_fetch() -> None:
    check_url("https://ei-ole.example.fi/", resolve=PUBLIC_DNS)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.fi/x", "data:text/html,hi", "gopher://x/"]
)
def test_only_http_and_https_even_when_private_networks_are_allowed(url: str) -> None:
    with pytest.raises(RefusedURL, match="only http and https"):
        check_url(url, allow_private=True)


def test_allow_private_networks_opens_every_host() -> None:
    check_url("http://127.0.0.1:8100/", allow_private=True)
    check_url("http://sisainen.example.fi/", allow_private=True, resolve=PUBLIC_DNS)


def test_a_trusted_host_is_exempt_and_nothing_else() -> None:
    check_url(
        "http://sisainen.example.fi/", trusted_hosts=["Sisainen.Example.fi"], resolve=PUBLIC_DNS
    )
    with pytest.raises(RefusedURL):
        check_url("http://127.0.0.1/", trusted_hosts=["sisainen.example.fi"], resolve=PUBLIC_DNS)


def test_a_url_without_a_host_is_refused() -> None:
    with pytest.raises(RefusedURL, match="names no host"):
        check_url("http:///tapahtumat")
