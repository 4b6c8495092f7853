"""Prefix buckets: split elems so route state and every detector run one bucket at a time.

A bucket is the leading ``bucket_bits_v4`` (IPv4) or ``bucket_bits_v6`` (IPv6) bits of
``prefix_hi`` (from the methodology object: 8 and 16), so a prefix and all its more
specifics share a bucket. Prefixes shorter than the bucket width go to one **short**
bucket per family (:data:`SHORT_V4`, :data:`SHORT_V6`), processed like any other: their own
findings (bogons, leaks, MOAS among themselves) are complete, but a sub-MOAS of a more
specific in a normal bucket against an origin of a shorter-than-bucket prefix is not seen
(announcements shorter than /8 or /16 are almost never legitimate, and M3/M1 still judge
them). Session state changes (``S`` elems, no prefix) are replicated into every bucket seen
so far and every bucket of their batch, because a reset removes a peer's routes everywhere.

Reference data is passed to each partition explicitly, so a cluster runs the same
functions per bucket; only :func:`routewatch.detect.incidents.build_incidents` needs every
partition's findings at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.methodology import Methodology

__all__ = ["SHORT_V4", "SHORT_V6", "Partitioner", "bucket_name", "bucket_of"]

SHORT_V4 = -4
SHORT_V6 = -6
_STATE = -1
_V6_BASE = 1 << 20


def bucket_of(
    afi: npt.NDArray[np.integer],
    hi: npt.NDArray[np.uint64],
    length: npt.NDArray[np.integer],
    method: Methodology,
) -> npt.NDArray[np.int64]:
    """Bucket number of each prefix; -1 for rows without a prefix (state changes)."""
    b4, b6 = method.bucket_bits_v4, method.bucket_bits_v6
    v4 = (hi >> np.uint64(64 - b4)).astype(np.int64)
    v6 = _V6_BASE + (hi >> np.uint64(64 - b6)).astype(np.int64)
    out = np.where(afi == 4, np.where(length >= b4, v4, SHORT_V4), _STATE)
    out = np.where(afi == 6, np.where(length >= b6, v6, SHORT_V6), out)
    return out.astype(np.int64)


def bucket_name(bucket: int, method: Methodology) -> str:
    """Readable bucket name: ``v4-10``, ``v6-2001``, ``v4-short``."""
    if bucket == SHORT_V4:
        return "v4-short"
    if bucket == SHORT_V6:
        return "v6-short"
    if bucket >= _V6_BASE:
        return f"v6-{bucket - _V6_BASE:0{method.bucket_bits_v6 // 4}x}"
    return f"v4-{bucket}"


@dataclass
class Partitioner:
    """Splits ELEMS batches into per-bucket batches, replicating state changes."""

    method: Methodology
    seen: set[int] = field(default_factory=set)

    def split(self, batch: pa.RecordBatch) -> dict[int, pa.RecordBatch]:
        """Per-bucket batches of one batch (row order kept within each bucket)."""
        afi = np.asarray(batch.column("afi").fill_null(0).to_numpy(zero_copy_only=False))
        hi = np.asarray(
            batch.column("prefix_hi").fill_null(0).to_numpy(zero_copy_only=False), np.uint64
        )
        length = np.asarray(batch.column("prefix_len").fill_null(0).to_numpy(zero_copy_only=False))
        bucket = bucket_of(afi, hi, length, self.method)
        present = set(np.unique(bucket[bucket != _STATE]).tolist())
        self.seen |= present
        state_rows = bucket == _STATE
        out: dict[int, pa.RecordBatch] = {}
        for b in sorted(self.seen):
            mask = (bucket == b) | state_rows
            if b not in present and not state_rows.any():
                continue
            out[b] = batch.filter(pa.array(mask))
        return out
