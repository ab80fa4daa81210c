"""The client address behind trusted reverse proxies (X-Forwarded-For read from the right)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from mesocare.lib.proxies import client_address

PROXY = [ipaddress.ip_network("10.0.0.0/24")]


def test_a_trusted_proxy_names_the_client() -> None:
    assert client_address("10.0.0.2", "203.0.113.5", PROXY) == "203.0.113.5"


def test_an_untrusted_peer_keeps_its_own_address_whatever_it_claims() -> None:
    assert client_address("198.51.100.7", "203.0.113.5", PROXY) == "198.51.100.7"


def test_a_forged_entry_left_of_the_real_client_is_ignored() -> None:
    forged = "1.2.3.4, 203.0.113.5"
    assert client_address("10.0.0.2", forged, PROXY) == "203.0.113.5"


def test_a_chain_of_trusted_proxies_is_skipped() -> None:
    assert client_address("10.0.0.2", "203.0.113.5, 10.0.0.9", PROXY) == "203.0.113.5"


def test_malformed_entries_stop_at_the_last_good_hop() -> None:
    assert client_address("10.0.0.2", "nonsense", PROXY) == "10.0.0.2"
    assert client_address("10.0.0.2", "203.0.113.5, junk, 10.0.0.3", PROXY) == "10.0.0.3"


def test_no_trusted_proxies_means_the_peer_address() -> None:
    assert client_address("10.0.0.2", "203.0.113.5", []) == "10.0.0.2"


ips = st.ip_addresses(v=4).map(str)


@given(peer=ips, chain=st.lists(ips, max_size=5))
def test_an_untrusted_peer_is_always_the_client(peer: str, chain: list[str]) -> None:
    if ipaddress.ip_address(peer) in PROXY[0]:
        return
    assert client_address(peer, ", ".join(chain), PROXY) == peer


@given(client=ips, forged=st.lists(ips, max_size=4), proxies=st.integers(0, 3))
def test_what_the_client_puts_in_front_never_changes_the_answer(
    client: str, forged: list[str], proxies: int
) -> None:
    """Behind our proxies, the answer is the right-most untrusted hop, whatever is left of it."""
    if ipaddress.ip_address(client) in PROXY[0]:
        return
    chain = [*forged, client] + [f"10.0.0.{i + 10}" for i in range(proxies)]
    assert client_address("10.0.0.2", ", ".join(chain), PROXY) == client
