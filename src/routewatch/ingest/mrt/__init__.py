"""MRT reader: archives (RFC 6396) to Arrow record batches of elems.

Data flow::

    file --decompress.ChunkReader--> bytes chunks (gzip / bzip2 / xz / zstd / none, by magic)
         --numpy uint8 buffer (+ the unconsumed tail of a partial record)
         --decoder.decode (one numba kernel)--> columns.ColumnBuffers (numpy)
         --ColumnBuffers.to_batch (zero-copy)--> pa.RecordBatch (schemas.ELEMS)

Public surface: :func:`read_elems` streams batches and fills an
:class:`~routewatch.ingest.report.IngestReport`; :func:`decode_chunks` does the same for
decompressed data handed in as chunks; :func:`collector_from_name` guesses the
collector from a RIS / RouteViews file name; :func:`routewatch.ingest.mrt.bgpdump.bgpdump_lines`
prints batches as ``bgpdump -m`` does.

Memory is bounded by the batch size plus one decompression chunk (and one record; while
resynchronising on damaged framing, up to the scan window plus the longest plausible record,
20 MiB), not by the file size. Failure modes: :class:`routewatch.errors.InputError` only
when the file cannot be opened; every other problem (corrupt or truncated compression, bad
record lengths, damaged framing, records cut inside their BGP message, unknown types,
malformed attributes) is counted in the report with its offset in the decompressed stream,
and what is readable is kept.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa

from routewatch.ingest.mrt import decoder as d
from routewatch.ingest.mrt.columns import ColumnBuffers, PeerDictionary
from routewatch.ingest.mrt.decompress import ChunkReader
from routewatch.ingest.report import IngestReport, ProblemKind

__all__ = ["collector_from_name", "decode_chunks", "read_elems"]

_KINDS: tuple[ProblemKind, ...] = tuple(ProblemKind)

_DETAILS: tuple[str, ...] = (
    "stream ends inside an MRT header ({} bytes left)",
    "stream ends inside a record ({} body bytes present)",
    "skipped {} bytes to the next plausible MRT header",
    "unknown MRT type {}",
    "unknown subtype {}",
    "deprecated subtype {} not decoded",
    "record body too short or inconsistent (check {})",
    "attribute runs past its section (check {})",
    "NLRI prefix length {} invalid or truncated",
    "RIB entries before any PEER_INDEX_TABLE",
    "peer index {} beyond the PEER_INDEX_TABLE",
    "record length disagrees with the data; {} body bytes used",
    "BGP marker is not all ones",
    "state change of unexpected length {}",
    "AS_PATH malformed (check {})",
    "no plausible MRT header in the next {} bytes; skipped",
    "BGP message runs {} bytes past the end of its MRT record; its complete fields decoded",
    "BGP4MP_ET microseconds {} not below 1,000,000; elems stamped at the whole second",
)

_TYPE_NAMES = {5: "BGP", 12: "TABLE_DUMP", 13: "TABLE_DUMP_V2", 16: "BGP4MP", 17: "BGP4MP_ET"}
_SUBTYPE_NAMES = {
    5: ("NULL", "UPDATE", "PREF_UPDATE", "STATE_CHANGE", "SYNC", "OPEN", "NOTIFY", "KEEPALIVE"),
    12: ("", "AFI_IPv4", "AFI_IPv6", "AFI_IPv4_32BIT_AS", "AFI_IPv6_32BIT_AS"),
    13: (
        "",
        "PEER_INDEX_TABLE",
        "RIB_IPV4_UNICAST",
        "RIB_IPV4_MULTICAST",
        "RIB_IPV6_UNICAST",
        "RIB_IPV6_MULTICAST",
        "RIB_GENERIC",
        "",
        "RIB_IPV4_UNICAST_ADDPATH",
        "RIB_IPV4_MULTICAST_ADDPATH",
        "RIB_IPV6_UNICAST_ADDPATH",
        "RIB_IPV6_MULTICAST_ADDPATH",
        "RIB_GENERIC_ADDPATH",
    ),
    16: (
        "STATE_CHANGE",
        "MESSAGE",
        "ENTRY",
        "SNAPSHOT",
        "MESSAGE_AS4",
        "STATE_CHANGE_AS4",
        "MESSAGE_LOCAL",
        "MESSAGE_AS4_LOCAL",
        "MESSAGE_ADDPATH",
        "MESSAGE_AS4_ADDPATH",
        "MESSAGE_LOCAL_ADDPATH",
        "MESSAGE_AS4_LOCAL_ADDPATH",
    ),
}
_SUBTYPE_NAMES[17] = _SUBTYPE_NAMES[16]
_SLOT_TYPES = (5, 12, 13, 16, 17)

_COLLECTOR_RE = re.compile(
    r"^(?:ris[-.])?(rrc\d\d|route-views[\w.-]*?)(?=[_.](?:updates|rib|bview|update)|$)"
)


def collector_from_name(path: str | os.PathLike[str]) -> str | None:
    """Collector name from a file name: ``ris-rrc21_updates...`` -> ``rrc21``.

    Also ``route-views2_rib...`` -> ``route-views2`` and ``ris.rrc04.updates...`` -> ``rrc04``;
    ``None`` when the name does not say.
    """
    name = Path(os.fspath(path)).name
    match = _COLLECTOR_RE.match(name)
    return match.group(1) if match else None


class _Decoder:
    """State of one file's decoding: persistent kernel tables, scratch and the report."""

    def __init__(self, name: str, report: IngestReport) -> None:
        self.name = name
        self.report = report
        self.state = np.zeros(d.N_STATE, np.int64)
        self.state[d.S_PIT] = -1
        self.pcounts = np.zeros(d.N_PKIND, np.int64)
        self.probs = np.zeros((4, 1024), np.int64)
        self.rec_counts = np.zeros((6, 16), np.int64)
        self.peers = PeerDictionary()
        self.pit_peer = np.zeros(1 << 16, np.int32)
        self.pit_asn = np.zeros(1 << 16, np.uint32)
        self.scratch = (
            np.zeros(d.N_A, np.int64),
            np.zeros((d.SC_MP + 16, 6), np.int64),
            np.zeros((d.SC_MP, 4), np.int64),
            np.zeros((2, 4096), np.int64),
            np.empty((3, 3, d.SC_SEG), np.int64),
            np.empty((3, d.SC_ASN), np.int64),
            np.empty(d.SC_TEXT, np.uint8),
            np.zeros(32, np.uint8),
            np.zeros(64, np.uint8),
            np.zeros(64, np.int64),
        )

    def run(
        self, buf: np.ndarray, start: int, end: int, final: bool, base: int, cols: ColumnBuffers
    ) -> tuple[int, int]:
        """Decode ``buf[start:end]`` into ``cols``; (status, position) as in the kernel.

        ``buf`` is marked read-only first: a chunk from ``np.frombuffer`` is, a concatenated
        one is not, and each flag is a separate numba signature (compiled and cache-loaded
        separately, which doubles the first-use cost).
        """
        buf.flags.writeable = False
        status, pos = d.decode(
            buf,
            start,
            end,
            final,
            base,
            cols.kernel_tuple(),
            self.state,
            self.pcounts,
            self.probs,
            self.rec_counts,
            self.peers.table,
            self.peers.hash,
            self.pit_peer,
            self.pit_asn,
            self.scratch,
        )
        self.drain_problems()
        return int(status), int(pos)

    def drain_problems(self) -> None:
        n = int(self.state[d.S_NPROB])
        for i in range(n):
            kind, offset, detail, value = (int(x) for x in self.probs[:, i])
            self.report.add_problem(_KINDS[kind], self.name, offset, _DETAILS[detail].format(value))
            self.pcounts[kind] -= 1
        self.state[d.S_NPROB] = 0
        # problems beyond the row buffer are only counted
        for k in np.nonzero(self.pcounts)[0]:
            self.report.problem_counts[_KINDS[int(k)]] += int(self.pcounts[k])
        self.pcounts[:] = 0

    def finish(self) -> None:
        for slot, row in enumerate(self.rec_counts[:5]):
            mrt_type = _SLOT_TYPES[slot]
            names = _SUBTYPE_NAMES[mrt_type]
            for sub in np.nonzero(row)[0]:
                sub_name = names[sub] if sub < len(names) and names[sub] else str(int(sub))
                self.report.records[f"{_TYPE_NAMES[mrt_type]}/{sub_name}"] += int(row[sub])


def _batch(
    cols: ColumnBuffers, dec: _Decoder, collector: str | None, report: IngestReport
) -> pa.RecordBatch:
    batch = cols.to_batch(dec.peers.array(int(dec.state[d.S_GPN])), collector)
    counts = np.bincount(cols.u8[d.U8_ETYPE, : cols.count], minlength=4)
    for code, name in enumerate(("R", "A", "W", "S")):
        if counts[code]:
            report.elems[name] += int(counts[code])
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
    end = yield from decode_chunks(
        reader, name=name, collector=coll, batch_size=batch_size, report=report
    )
    if reader.problem is not None:
        report.add_problem(ProblemKind.DECOMPRESSION, name, end, reader.problem)


def decode_chunks(
    chunks: Iterable[bytes],
    *,
    name: str,
    collector: str | None,
    batch_size: int,
    report: IngestReport,
) -> Generator[pa.RecordBatch, None, int]:
    """The elems of decompressed MRT data given as ``chunks`` of any sizes (what
    :func:`read_elems` does after decompression); returns the number of bytes decoded.

    The batches and the report are the same however the data is cut into chunks and
    whatever ``batch_size`` is (apart from where batches end): a framing decision that
    needs bytes beyond the current chunk waits for the next one, and a record is written
    with its problems entirely or not at all. ``name`` is the file named in problems.
    """
    dec = _Decoder(name, report)
    cap = max(int(batch_size), 1)
    scale = 1
    cols = ColumnBuffers(cap, scale)
    tail = np.zeros(0, np.uint8)
    base = 0  # stream offset of tail[0]
    chunk_iter = iter(chunks)
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
            if status == d.DONE:
                break
            if status == d.DRAIN:  # run() has taken the problem rows
                continue
            if status == d.GROW or (status == d.FULL and cols.count < cap // 2):
                if cols.count:
                    yield _batch(cols, dec, collector, report)
                if status == d.GROW:
                    cap *= 2
                scale *= 2
                cols = ColumnBuffers(cap, scale)
                continue
            yield _batch(cols, dec, collector, report)
            cols = ColumnBuffers(cap, scale)
        tail = buf[pos:].copy() if pos < len(buf) else np.zeros(0, np.uint8)
        base += pos
    if cols.count:
        yield _batch(cols, dec, collector, report)
    dec.finish()
    return base
