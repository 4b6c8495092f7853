"""MRT reader: archives (RFC 6396) to Arrow record batches of elems.

Data flow::

    file --decompress.ChunkReader--> bytes chunks (gzip / bzip2 / xz / zstd / none, by magic)
         --numpy uint8 buffer (+ the unconsumed tail of a partial record)
         --decoder.decode (the kernel: framing, bgp4mp, table_dump, attributes, elems)
         --> columns.ColumnBuffers (numpy) --ColumnBuffers.to_batch (zero-copy)-->
         pa.RecordBatch (schemas.ELEMS)

Public surface: :func:`read_elems` streams batches and fills an
:class:`~routewatch.ingest.report.IngestReport`; :func:`decode_chunks` does the same for
decompressed data handed in as chunks; :func:`collector_from_name` and :func:`collector_for`
guess the collector from a RIS / RouteViews file name and folders (:mod:`.names`);
:func:`routewatch.ingest.mrt.bgpdump.bgpdump_lines` prints batches as ``bgpdump -m`` does.

The kernel runs compiled by numba, or interpreted when the whole input is small
(:data:`INTERPRET_MAX_BYTES` decompressed; see :mod:`.jit`): a command reading a few
kilobytes does not load numba and LLVM. Both give the same batches.

Memory is bounded by the batch size plus one decompression chunk (and one record; while
resynchronising on damaged framing, up to the scan window plus the longest plausible record,
20 MiB), not by the file size. Failure modes: :class:`routewatch.errors.InputError` only
when the file cannot be opened; every other problem (corrupt or truncated compression, bad
record lengths, damaged framing, records cut inside their BGP message, malformed
attributes) is counted in the report with its offset in the decompressed stream, and what
is readable is kept. A file that decompresses to more than the setting ``max-mrt-bytes``
(64 GiB) is read that far: the rest is skipped with a ``decompression-error`` problem at that
offset, so a decompression bomb costs bounded time as well as bounded memory.
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from typing import Literal

import numpy as np
import pyarrow as pa

from routewatch import settings
from routewatch.ingest.mrt import decoder, jit
from routewatch.ingest.mrt.codes import SUBTYPE_NAMES, TYPE_NAMES
from routewatch.ingest.mrt.columns import ColumnBuffers, PeerDictionary
from routewatch.ingest.mrt.decompress import ChunkReader
from routewatch.ingest.mrt.layout import U8_ETYPE
from routewatch.ingest.mrt.names import collector_for, collector_from_name
from routewatch.ingest.mrt.problems import KINDS, detail_text
from routewatch.ingest.mrt.state import S_NPROB, S_PEERS, new_scratch, new_tables
from routewatch.ingest.report import IngestReport, ProblemKind
from routewatch.schemas import ELEM_TYPES

__all__ = [
    "INTERPRET_MAX_BYTES",
    "Engine",
    "collector_for",
    "collector_from_name",
    "decode_chunks",
    "read_elems",
]

#: Which kernel engine decodes: ``compiled`` (numba), ``interpreted`` (plain Python, same
#: code) or ``auto`` (interpreted for a whole input of at most INTERPRET_MAX_BYTES, unless
#: the kernels are compiled in this process already).
Engine = Literal["auto", "compiled", "interpreted"]

#: Largest decompressed input the ``auto`` engine interprets instead of compiling: below it,
#: interpreting costs less time and memory than loading numba (see benchmarks/mrt.py).
INTERPRET_MAX_BYTES = 16 << 10

_SLOT_TYPES = tuple(TYPE_NAMES)  # rows of the kernel's record counts, by MRT type

class _Decoder:
    """One file's decoding: the kernel's tables and scratch, the engine, and the report."""

    def __init__(self, name: str, report: IngestReport, interpreted: bool) -> None:
        self.name = name
        self.report = report
        self.interpreted = interpreted
        self.tables = new_tables()
        self.scratch = new_scratch()
        self.peers = PeerDictionary(self.tables.peers)
        if not interpreted:
            jit.compile_kernels()

    def run(
        self, buf: np.ndarray, start: int, end: int, final: bool, base: int, cols: ColumnBuffers
    ) -> tuple[int, int]:
        """Decode ``buf[start:end]`` into ``cols``; (status, position) as in the kernel.

        ``buf`` is marked read-only first: a chunk from ``np.frombuffer`` is, a concatenated
        one is not, and each flag is a separate numba signature (compiled and cache-loaded
        separately, which doubles the first-use cost).
        """
        buf.flags.writeable = False
        args = (buf, start, end, final, base, cols.columns(), self.tables, self.scratch)
        if self.interpreted:
            with jit.interpreted():
                status, pos = decoder.decode(*args)
        else:
            status, pos = decoder.decode(*args)
        self.drain_problems()
        return int(status), int(pos)

    def drain_problems(self) -> None:
        """Move the kernel's problem rows and counts into the report."""
        tables = self.tables
        for i in range(int(tables.state[S_NPROB])):
            kind, offset, detail, value = (int(x) for x in tables.probs[:, i])
            self.report.add_problem(KINDS[kind], self.name, offset, detail_text(detail, value))
            tables.pcounts[kind] -= 1
        tables.state[S_NPROB] = 0
        # problems beyond the row buffer are only counted
        for k in np.nonzero(tables.pcounts)[0]:
            self.report.problem_counts[KINDS[int(k)]] += int(tables.pcounts[k])
        tables.pcounts[:] = 0

    def finish(self) -> None:
        """Record counts by ``TYPE/SUBTYPE`` into the report."""
        for slot, row in enumerate(self.tables.rec_counts[: len(_SLOT_TYPES)]):
            mrt_type = _SLOT_TYPES[slot]
            names = SUBTYPE_NAMES[mrt_type]
            for sub in np.nonzero(row)[0]:
                label = names.get(int(sub), str(int(sub)))
                self.report.records[f"{TYPE_NAMES[mrt_type]}/{label}"] += int(row[sub])

    def batch(self, cols: ColumnBuffers, collector: str | None) -> pa.RecordBatch:
        """The filled rows of ``cols`` as a record batch; elem counts into the report."""
        batch = cols.to_batch(self.peers.array(int(self.tables.state[S_PEERS])), collector)
        counts = np.bincount(cols.u8[U8_ETYPE, : cols.count], minlength=len(ELEM_TYPES))
        for code, name in enumerate(ELEM_TYPES):
            if counts[code]:
                self.report.elems[name] += int(counts[code])
        return batch


def read_elems(
    path: str | os.PathLike[str],
    *,
    collector: str | None = None,
    batch_size: int = 65536,
    report: IngestReport | None = None,
) -> Iterator[pa.RecordBatch]:
    """Stream the elems of one MRT file as record batches with the ELEMS schema.

    ``collector`` fills the collector column (default: :func:`collector_from_name`, else
    null). Batches hold at most ``batch_size`` elems unless one record alone has more.
    ``report`` receives the file name, record counts by ``TYPE/SUBTYPE``, elem counts by type,
    decompressed bytes read and every problem. Raises :class:`routewatch.errors.InputError`
    only if the file cannot be opened.
    """
    report = report if report is not None else IngestReport()
    name = os.fspath(path)
    reader = ChunkReader(path)
    report.files.append(name)
    coll = collector if collector is not None else collector_from_name(path)
    limit = int(settings.get("max-mrt-bytes"))
    cut: list[int] = []
    end = yield from decode_chunks(
        _capped(reader, limit, cut), name=name, collector=coll, batch_size=batch_size,
        report=report,
    )  # fmt: skip
    if cut:
        detail = (
            f"decompressed to more than max-mrt-bytes ({limit:,} bytes): the rest of the "
            "file is skipped (a decompression bomb, or a genuine file larger than the "
            "setting: then raise ROUTEWATCH_MAX_MRT_BYTES and read it again)"
        )
        report.add_problem(ProblemKind.DECOMPRESSION, name, cut[0], detail)
    elif reader.problem is not None:
        report.add_problem(ProblemKind.DECOMPRESSION, name, end, reader.problem)


def _capped(chunks: Iterable[bytes], limit: int, cut: list[int]) -> Iterator[bytes]:
    """``chunks`` up to ``limit`` bytes in all; where more follow, the offset of the cut is
    appended to ``cut`` and the source is closed (no byte beyond the limit is decompressed
    beyond the chunk that crossed it)."""
    source = iter(chunks)
    seen = 0
    try:
        for chunk in source:
            if seen + len(chunk) > limit:
                yield chunk[: limit - seen]
                cut.append(limit)
                return
            seen += len(chunk)
            yield chunk
    finally:
        close = getattr(source, "close", None)
        if close is not None:
            close()


def _choose_engine(chunks: Iterator[bytes], engine: Engine) -> tuple[Iterator[bytes], bool]:
    """The chunks (with any looked at put back) and whether to interpret the kernel."""
    if engine != "auto":
        return chunks, engine == "interpreted"
    if jit.compiled():  # numba is loaded anyway
        return chunks, False
    head: list[bytes] = []
    size = 0
    for chunk in chunks:  # look ahead until the input is known to be small, or is not
        head.append(chunk)
        size += len(chunk)
        if size > INTERPRET_MAX_BYTES:
            return chain(head, chunks), False
    return iter(head), True


def decode_chunks(
    chunks: Iterable[bytes],
    *,
    name: str,
    collector: str | None,
    batch_size: int,
    report: IngestReport,
    engine: Engine = "auto",
) -> Generator[pa.RecordBatch, None, int]:
    """The elems of decompressed MRT data given as ``chunks`` of any sizes (what
    :func:`read_elems` does after decompression); returns the number of bytes decoded.

    The batches and the report are the same however the data is cut into chunks, whatever
    ``batch_size`` is (apart from where batches end) and whichever ``engine`` runs: a framing
    decision that needs bytes beyond the current chunk waits for the next one, and a record
    is written with its problems entirely or not at all. ``name`` is the file named in
    problems.
    """
    chunk_iter, interpreted = _choose_engine(iter(chunks), engine)
    dec = _Decoder(name, report, interpreted)
    cap = max(int(batch_size), 1)
    scale = 1
    cols = ColumnBuffers(cap, scale)
    tail = np.zeros(0, np.uint8)
    base = 0  # stream offset of tail[0]
    final = False
    while not final:
        chunk = next(chunk_iter, None)
        if chunk is None:
            final = True
            buf = tail
        elif not chunk:
            continue
        else:
            report.bytes_read += len(chunk)
            data = np.frombuffer(chunk, np.uint8)
            buf = np.concatenate((tail, data)) if len(tail) else data
        pos = 0
        while True:
            status, pos = dec.run(buf, pos, len(buf), final, base, cols)
            if status == decoder.DONE:
                break
            if status == decoder.DRAIN:  # run() has taken the problem rows
                continue
            if status == decoder.GROW or (status == decoder.FULL and cols.count < cap // 2):
                if cols.count:
                    yield dec.batch(cols, collector)
                if status == decoder.GROW:
                    cap *= 2
                scale *= 2
                cols = ColumnBuffers(cap, scale)
                continue
            yield dec.batch(cols, collector)
            cols = ColumnBuffers(cap, scale)
        tail = buf[pos:].copy() if pos < len(buf) else np.zeros(0, np.uint8)
        base += pos
    if cols.count:
        yield dec.batch(cols, collector)
    dec.finish()
    return base
