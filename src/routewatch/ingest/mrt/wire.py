"""Reading big-endian integers and addresses out of the MRT byte buffer.

Role: the kernel's only way to read numbers: :func:`u16`, :func:`u32`, :func:`read_addr`
(up to 16 bytes as left-aligned 128 bits in two ``uint64``) and :func:`mask_prefix` (clear
the bits beyond a prefix length). Callers check bounds before reading. No failure modes.
"""

from __future__ import annotations

import numpy as np

from routewatch.ingest.mrt.jit import i64, inline
from routewatch.ingest.mrt.layout import U8s

__all__ = ["mask_prefix", "read_addr", "u16", "u32"]


@inline
def u16(b: U8s, p: int) -> int:
    """The 16-bit integer at ``b[p]``."""
    return (i64(b[p]) << 8) | i64(b[p + 1])


@inline
def u32(b: U8s, p: int) -> int:
    """The 32-bit integer at ``b[p]``."""
    return (i64(b[p]) << 24) | (i64(b[p + 1]) << 16) | (i64(b[p + 2]) << 8) | i64(b[p + 3])


@inline
def read_addr(b: U8s, p: int, n: int) -> tuple[np.uint64, np.uint64]:
    """``n`` (<= 16) bytes at ``p`` as left-aligned 128 bits (hi, lo)."""
    hi = np.uint64(0)
    lo = np.uint64(0)
    for i in range(n):
        v = np.uint64(b[p + i])
        if i < 8:
            hi |= v << np.uint64(56 - 8 * i)
        else:
            lo |= v << np.uint64(56 - 8 * (i - 8))
    return hi, lo


@inline
def mask_prefix(hi: np.uint64, lo: np.uint64, plen: int) -> tuple[np.uint64, np.uint64]:
    """The address bits (hi, lo) with every bit beyond ``plen`` cleared."""
    if plen <= 0:
        return np.uint64(0), np.uint64(0)
    if plen < 64:
        return hi & ~(np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(plen)), np.uint64(0)
    if plen == 64:
        return hi, np.uint64(0)
    if plen < 128:
        return hi, lo & ~(np.uint64(0xFFFFFFFFFFFFFFFF) >> np.uint64(plen - 64))
    return hi, lo
