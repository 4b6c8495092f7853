"""Text of numbers and addresses, written by the kernel straight into byte buffers.

Role: :func:`fmt_uint` (decimal), :func:`fmt_v4` (dotted quad), :func:`fmt_v6` (as glibc's
``inet_ntop`` and Python's ``socket.inet_ntop`` write it) and :func:`fmt_addr` write at
``out[o:]`` and return the end position; callers make sure there is room (an address takes at
most 45 bytes, a number 10). No failure modes.
"""

from __future__ import annotations

import numpy as np

from routewatch.ingest.mrt.jit import i64, inline, kernel
from routewatch.ingest.mrt.layout import U8s

__all__ = ["fmt_addr", "fmt_uint", "fmt_v4", "fmt_v6"]

_ZERO, _DOT, _COLON = 48, 46, 58


@inline
def fmt_uint(out: U8s, o: int, v: int) -> int:
    """Decimal text of ``v`` (0 <= v < 2**32 * 10) at ``out[o:]``; returns the end position."""
    if v < 10:
        k = 1
    elif v < 100:
        k = 2
    elif v < 1000:
        k = 3
    elif v < 10000:
        k = 4
    elif v < 100000:
        k = 5
    else:
        k = 6
        t = v // 1000000
        while t > 0:
            t //= 10
            k += 1
    e = o + k
    for i in range(1, k + 1):
        out[e - i] = _ZERO + v % 10
        v //= 10
    return e


@inline
def fmt_v4(out: U8s, o: int, a: int) -> int:
    """Dotted-quad text of the IPv4 address ``a`` (an int) at ``out[o:]``."""
    for i in range(4):
        v = (a >> (24 - 8 * i)) & 255
        if v >= 100:
            out[o] = _ZERO + v // 100
            out[o + 1] = _ZERO + (v // 10) % 10
            out[o + 2] = _ZERO + v % 10
            o += 3
        elif v >= 10:
            out[o] = _ZERO + v // 10
            out[o + 1] = _ZERO + v % 10
            o += 2
        else:
            out[o] = _ZERO + v
            o += 1
        if i < 3:
            out[o] = _DOT
            o += 1
    return o


@inline
def _fmt_hex(out: U8s, o: int, v: int) -> int:
    started = False
    for s in range(12, -4, -4):
        d = (v >> s) & 15
        if d != 0 or started or s == 0:
            started = True
            out[o] = _ZERO + d if d < 10 else 87 + d
            o += 1
    return o


@inline
def _word(hi: np.uint64, lo: np.uint64, i: int) -> int:
    """The ``i``-th 16-bit group of the IPv6 address (hi, lo)."""
    if i < 4:
        return i64((hi >> np.uint64(48 - 16 * i)) & np.uint64(0xFFFF))
    return i64((lo >> np.uint64(112 - 16 * i)) & np.uint64(0xFFFF))


@inline
def _longest_zero_run(hi: np.uint64, lo: np.uint64) -> tuple[int, int]:
    """Start and length of the run of zero groups ``::`` replaces (-1 when none of 2+)."""
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i in range(8):
        if _word(hi, lo, i) == 0:
            if cur_base == -1:
                cur_base, cur_len = i, 1
            else:
                cur_len += 1
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if cur_base != -1 and (best_base == -1 or cur_len > best_len):
        best_base, best_len = cur_base, cur_len
    if best_base != -1 and best_len < 2:
        best_base = -1
    return best_base, best_len


@kernel
def fmt_v6(out: U8s, o: int, hi: np.uint64, lo: np.uint64) -> int:
    """IPv6 text as glibc ``inet_ntop`` writes it (and so as Python's ``socket.inet_ntop``)."""
    best_base, best_len = _longest_zero_run(hi, lo)
    w5 = _word(hi, lo, 5)
    w7 = _word(hi, lo, 7)
    i = 0
    while i < 8:
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out[o] = _COLON
                o += 1
            i += 1
            continue
        if i != 0:
            out[o] = _COLON
            o += 1
        if (
            i == 6
            and best_base == 0
            and (best_len == 6 or (best_len == 7 and w7 != 1) or (best_len == 5 and w5 == 0xFFFF))
        ):
            o = fmt_v4(out, o, i64(lo & np.uint64(0xFFFFFFFF)))
            i = 8
            break
        o = _fmt_hex(out, o, _word(hi, lo, i))
        i += 1
    if best_base != -1 and best_base + best_len == 8:
        out[o] = _COLON
        o += 1
    return o


@inline
def fmt_addr(out: U8s, o: int, afi: int, hi: np.uint64, lo: np.uint64) -> int:
    """Text of an IPv4 (``afi`` 4: the top 32 bits of ``hi``) or IPv6 address."""
    if afi == 4:
        return fmt_v4(out, o, i64(hi >> np.uint64(32)))
    return fmt_v6(out, i64(o), np.uint64(hi), np.uint64(lo))
