"""Prefix bits: round trips, host bits, containment across families."""

from __future__ import annotations

import numpy as np
import pytest

from routewatch.prefixes import covers, covers_many, format_prefix, parse_prefix


@pytest.mark.parametrize(
    "text", ["0.0.0.0/0", "192.0.2.0/24", "10.0.0.0/8", "2001:db8::/32", "::/0", "2001:db8::1/128"]
)
def test_round_trip(text: str) -> None:
    p = parse_prefix(text)
    assert format_prefix(*p) == text


def test_ipv4_is_left_aligned() -> None:
    p = parse_prefix("192.0.2.0/24")
    assert p.hi == 0xC0000200 << 32 and p.lo == 0 and p.afi == 4


def test_host_bits_cleared() -> None:
    assert format_prefix(*parse_prefix("192.0.2.77/24")) == "192.0.2.0/24"


@pytest.mark.parametrize("bad", ["192.0.2.0/33", "foo/8", "2001:db8::/129", "1.2.3/24", ""])
def test_bad_prefix_names_the_text(bad: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        parse_prefix(bad)


def test_covers() -> None:
    assert covers(parse_prefix("10.0.0.0/8"), parse_prefix("10.1.0.0/16"))
    assert not covers(parse_prefix("10.1.0.0/16"), parse_prefix("10.0.0.0/8"))
    assert not covers(parse_prefix("0.0.0.0/0"), parse_prefix("::/0"))
    assert covers(parse_prefix("2001:db8::/32"), parse_prefix("2001:db8:ffff:1::/64"))


def test_covers_many_matches_scalar() -> None:
    texts = ["10.0.0.0/8", "10.2.0.0/16", "11.0.0.0/8", "2001:db8::/48"]
    ps = [parse_prefix(t) for t in texts]
    arr = [
        np.array([getattr(p, f) for p in ps], dtype=d)
        for f, d in (("afi", np.uint8), ("hi", np.uint64), ("lo", np.uint64), ("length", np.uint8))
    ]
    outer = parse_prefix("10.0.0.0/8")
    assert covers_many(outer, *arr).tolist() == [covers(outer, p) for p in ps]
