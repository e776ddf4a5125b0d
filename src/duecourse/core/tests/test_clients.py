"""The client's address: X-Forwarded-For is believed only from the configured reverse proxies."""

import pytest
from django.test import RequestFactory, override_settings

from duecourse.core.clients import client_address, parse_networks, throttle_key


def request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_direct_peer_is_the_client():
    assert client_address(request("198.51.100.7", "203.0.113.5")) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "2001:db8::1"])
def test_a_trusted_proxy_forwards_the_client_address():
    assert client_address(request("10.0.0.2", "203.0.113.5")) == "203.0.113.5"
    assert client_address(request("2001:db8::1", "203.0.113.5")) == "203.0.113.5"
    # Read from the right: our proxies are skipped, whatever a client put in front is not believed.
    assert client_address(request("10.0.0.2", "198.51.100.1, 203.0.113.5, 10.9.9.9")) == "203.0.113.5"
    # An untrusted peer's header is ignored.
    assert client_address(request("198.51.100.7", "203.0.113.5")) == "198.51.100.7"
    # No header, or a malformed hop: the nearest address we can vouch for.
    assert client_address(request("10.0.0.2")) == "10.0.0.2"
    assert client_address(request("10.0.0.2", "203.0.113.5, garbage")) == "10.0.0.2"
    assert client_address(request("10.0.0.2", "garbage, 10.3.3.3")) == "10.3.3.3"


def test_an_ipv6_client_is_counted_by_its_64():
    assert throttle_key("2001:db8:1:2:aaaa::1") == throttle_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert throttle_key("2001:db8:1:3::1") != throttle_key("2001:db8:1:2::1")
    assert throttle_key("::ffff:203.0.113.5") == throttle_key("203.0.113.5") == "203.0.113.5"


def test_trusted_proxies_are_addresses_or_networks():
    assert [str(n) for n in parse_networks(["10.0.0.1", " 192.168.0.0/16 ", "", "::1"])] == [
        "10.0.0.1/32",
        "192.168.0.0/16",
        "::1/128",
    ]
    with pytest.raises(ValueError, match="not-an-ip"):
        parse_networks(["not-an-ip"])
