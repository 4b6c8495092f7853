"""Schemathesis hooks for the routewatch API (loaded through ``SCHEMATHESIS_HOOKS``).

The API documents one custom string format, ``ip-prefix`` (an IPv4 or IPv6 prefix in canonical
form, no host bits set); this gives schemathesis a generator for it, so valid requests carry
real prefixes of every length of both families.
"""

from __future__ import annotations

import ipaddress

import schemathesis
from hypothesis import strategies as st


def _prefix(address: ipaddress.IPv4Address | ipaddress.IPv6Address, length: int) -> str:
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


PREFIXES = st.one_of(
    st.builds(_prefix, st.ip_addresses(v=4), st.integers(0, 32)),
    st.builds(_prefix, st.ip_addresses(v=6), st.integers(0, 128)),
)

schemathesis.openapi.format("ip-prefix", PREFIXES)
