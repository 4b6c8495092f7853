"""Prefixes as address bits: parsing, formatting and containment shared by every stage.

An address is left-aligned in 128 bits split into two unsigned 64-bit words (``hi``, ``lo``):
IPv4 ``a.b.c.d`` is ``hi = addr << 32, lo = 0``; IPv6 fills both words. With that layout
"prefix P covers prefix Q" is the same test for both families: same ``afi``, ``P.len <= Q.len``
and the first ``P.len`` bits equal (see :func:`covers`). Vectorised versions work on numpy
arrays of those words.

Failure modes: :func:`parse_prefix` raises :class:`ValueError` with the offending text for
anything that is not ``address/length`` of a known family with a length in range; host bits
set beyond the length are cleared (as routers and RPKI validators do), never an error.
"""

from __future__ import annotations

import socket
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["Prefix", "covers", "covers_many", "format_prefix", "mask_words", "parse_prefix"]

_MASK64 = (1 << 64) - 1


class Prefix(NamedTuple):
    """A prefix as address family (4 or 6), left-aligned words and length."""

    afi: int
    hi: int
    lo: int
    length: int


def mask_words(length: int) -> tuple[int, int]:
    """The network mask of ``length`` leading bits as (hi, lo) 64-bit words."""
    if length <= 0:
        return 0, 0
    if length <= 64:
        return (_MASK64 << (64 - length)) & _MASK64, 0
    return _MASK64, (_MASK64 << (128 - length)) & _MASK64


def parse_prefix(text: str) -> Prefix:
    """Parse ``192.0.2.0/24`` or ``2001:db8::/32`` (a bare address is a host prefix)."""
    address, _, length_text = text.strip().partition("/")
    try:
        if ":" in address:
            raw, afi, width = socket.inet_pton(socket.AF_INET6, address), 6, 128
        else:
            raw, afi, width = socket.inet_pton(socket.AF_INET, address), 4, 32
        length = int(length_text) if length_text else width
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a prefix: {text!r} (expected address/length)") from exc
    if not 0 <= length <= width:
        raise ValueError(f"prefix length out of range in {text!r} (0..{width})")
    value = int.from_bytes(raw, "big") << (128 - width)
    mask_hi, mask_lo = mask_words(length)
    return Prefix(afi, (value >> 64) & mask_hi, value & _MASK64 & mask_lo, length)


def format_prefix(afi: int, hi: int, lo: int, length: int) -> str:
    """The canonical text of a prefix (RFC 5952 for IPv6)."""
    if afi == 4:
        return f"{socket.inet_ntop(socket.AF_INET, (hi >> 32).to_bytes(4, 'big'))}/{length}"
    raw = ((hi << 64) | lo).to_bytes(16, "big")
    return f"{socket.inet_ntop(socket.AF_INET6, raw)}/{length}"


def covers(outer: Prefix, inner: Prefix) -> bool:
    """True when ``outer`` contains ``inner`` (same family, shorter or equal, same leading bits)."""
    if outer.afi != inner.afi or outer.length > inner.length:
        return False
    mask_hi, mask_lo = mask_words(outer.length)
    return (inner.hi & mask_hi) == outer.hi and (inner.lo & mask_lo) == outer.lo


def covers_many(
    outer: Prefix,
    afi: npt.NDArray[np.uint8],
    hi: npt.NDArray[np.uint64],
    lo: npt.NDArray[np.uint64],
    length: npt.NDArray[np.uint8],
) -> npt.NDArray[np.bool_]:
    """Vectorised :func:`covers`: which of the given prefixes ``outer`` contains."""
    mask_hi, mask_lo = mask_words(outer.length)
    inside: npt.NDArray[np.bool_] = (
        (afi == outer.afi)
        & (length >= outer.length)
        & ((hi & np.uint64(mask_hi)) == np.uint64(outer.hi))
        & ((lo & np.uint64(mask_lo)) == np.uint64(outer.lo))
    )
    return inside
