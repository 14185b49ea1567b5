"""Which addresses the server may send notification requests to (the SSRF policy)."""

from __future__ import annotations

import re

import pytest

from togglr.domain.egress import (
    EgressPolicy,
    EgressRefusedError,
    UnresolvableHostError,
    refusal,
    url_target,
)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("fc00::1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "link-local"),  # cloud metadata
        ("fe80::1", "link-local"),
        ("fe80::1%eth0", "link-local"),
        ("::ffff:169.254.169.254", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "non-public"),  # carrier-grade NAT
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
        ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ],
)
def test_internal_addresses_are_refused(address: str, reason: str) -> None:
    assert refusal(address) == reason


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"]
)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_url_targets() -> None:
    assert url_target("http://[::ffff:127.0.0.1]:81/x") == ("::ffff:127.0.0.1", 81)
    assert url_target("https://Hooks.Example.COM/x?y") == ("hooks.example.com", 443)
    assert url_target("http://user:pw@10.0.0.1/") == ("10.0.0.1", 80)


class Dns:
    """A resolver whose answers the test chooses, one list per lookup (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        if not self.answers[0]:
            raise UnresolvableHostError(host)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


async def test_host_names_are_judged_by_every_address_they_resolve_to() -> None:
    policy = EgressPolicy(Dns(["127.0.0.1", "::1"]))
    with pytest.raises(
        EgressRefusedError, match=re.escape("localhost resolves to 127.0.0.1, a loopback address")
    ):
        await policy.addresses("localhost", 80)
    # One internal address among public ones is enough to refuse the name.
    policy = EgressPolicy(Dns(["93.184.216.34", "10.0.0.7"]))
    with pytest.raises(EgressRefusedError, match=re.escape("10.0.0.7, a private address")):
        await policy.addresses("mixed.example", 443)
    policy = EgressPolicy(Dns(["93.184.216.34", "2606:4700:4700::1111"]))
    assert await policy.addresses("ok.example", 443) == ["93.184.216.34", "2606:4700:4700::1111"]


async def test_literal_addresses_are_not_looked_up() -> None:
    dns = Dns(["93.184.216.34"])
    policy = EgressPolicy(dns)
    with pytest.raises(
        EgressRefusedError, match="^" + re.escape("169.254.169.254 is a link-local address")
    ):
        await policy.addresses("169.254.169.254", 80)
    assert await policy.addresses("8.8.8.8", 53) == ["8.8.8.8"] and dns.lookups == []


async def test_each_lookup_is_judged_on_its_own_answer() -> None:
    """DNS rebinding: a name that was public when the channel was saved and is internal now is
    refused now; what is returned is what the connection must use."""
    policy = EgressPolicy(Dns(["93.184.216.34"], ["127.0.0.1"]))
    assert await policy.addresses("rebind.example", 80) == ["93.184.216.34"]
    with pytest.raises(EgressRefusedError, match=re.escape("127.0.0.1, a loopback address")):
        await policy.addresses("rebind.example", 80)


async def test_the_allow_setting_lets_internal_addresses_through() -> None:
    policy = EgressPolicy(Dns(["127.0.0.1"]), allow_private=True)
    assert await policy.addresses("localhost", 8080) == ["127.0.0.1"]
    assert await policy.addresses("10.0.0.1", 80) == ["10.0.0.1"]
    with pytest.raises(UnresolvableHostError):
        await EgressPolicy(Dns([]), allow_private=True).addresses("nowhere.invalid", 80)
