"""The total elem order: time, then source, then position — the same in every engine.

Route state depends on the order of the messages of each collector peer, and results must
not depend on how files are listed, cut into batches, stored or shuffled across a cluster.
So every elem carries two columns (:data:`~routewatch.schemas.ELEM_ORDER`), and detection
sorts by the key ``(timestamp, source_order, elem_seq)``:

- ``source_order`` (uint64, one value per source file):
  bit 63 is 0 for a RIB dump and 1 for update files, so at one instant a RIB comes first
  (state is rebuilt from the RIB, then updates apply from the dump's time — RFC 6396 use, see
  ROUTING-REFERENCE "MRT and route state"); bits 31–62 are the file's first record time in
  seconds (of two files sharing an instant, the earlier file first); bits 0–30 are the low
  31 bits of the file id (the sha256 of its bytes) to tell apart files of the same kind and
  first second. It depends only on the file's bytes, never on the run.
- ``elem_seq`` (uint64): the elem's position in its file — record offset order, then the
  order of the elems inside a record, as the reader emits them.

Two different files could share a ``source_order`` only with the same kind, first second and
31 bits of their hashes; their elems would then interleave by position at equal times
(deterministically).

Failure modes: none; a file without elems gives no batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from routewatch.schemas import ELEM_ORDER

__all__ = ["ORDER_KEYS", "ordered", "source_order"]

#: The sort key of the total elem order.
ORDER_KEYS: tuple[str, ...] = ("timestamp", "source_order", "elem_seq")
_UPDATES_BIT = 1 << 63
_SECONDS_MASK = (1 << 32) - 1
_ID_MASK = (1 << 31) - 1


def source_order(rib: bool, first_time_us: int, file_id: str) -> int:
    """The ``source_order`` of a file (see the module doc); ``file_id`` is hex."""
    seconds = (first_time_us // 1_000_000) & _SECONDS_MASK
    return (0 if rib else _UPDATES_BIT) | (seconds << 31) | (int(file_id, 16) & _ID_MASK)


def ordered(batches: Iterable[pa.RecordBatch], file_id: str) -> Iterator[pa.RecordBatch]:
    """The elems of one file with ``source_order`` and ``elem_seq`` appended.

    The file's kind and first time are read from its first elem (a RIB file holds ``R``
    elems only). Empty batches are dropped.
    """
    order: int | None = None
    seq = 0
    for batch in batches:
        if batch.num_rows == 0:
            continue
        if order is None:
            first = batch.slice(0, 1)
            rib = pc.cast(first.column("elem_type"), pa.string())[0].as_py() == "R"
            stamp = int(first.column("timestamp").cast(pa.int64())[0].as_py())
            order = source_order(rib, stamp, file_id)
        n = batch.num_rows
        extra = [pa.array(np.full(n, order, np.uint64)),
                 pa.array(np.arange(seq, seq + n, dtype=np.uint64))]  # fmt: skip
        seq += n
        yield pa.RecordBatch.from_arrays([*batch.columns, *extra],
                                         schema=batch.schema.append(ELEM_ORDER.field(0))
                                         .append(ELEM_ORDER.field(1)))  # fmt: skip
