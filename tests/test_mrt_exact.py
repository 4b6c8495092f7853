"""The MRT reader's output does not depend on chunk or batch sizes.

The same decompressed bytes, handed to :func:`routewatch.ingest.mrt.decode_chunks` in chunks
of many sizes (a decompressor's chunks end anywhere) and decoded into batches of many sizes,
must give the same elems, the same problems (kind, offset, detail) and the same counts. Inputs
are the real files of ``tests/data/mrt`` (among them RIS files of 2000 with damaged framing),
the real 2000 RIS RIB whose record lengths are 4 bytes short (problem counts used to double at
batch flushes), and a real RIS update file with one damaged header byte, where the reader must
resynchronise (which used to depend on where a chunk ended).
"""

from __future__ import annotations

import bz2
import gzip
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pytest

from _data import shared_data
from routewatch.ingest.mrt import decode_chunks, decompress
from routewatch.ingest.report import IngestReport, Problem
from routewatch.schemas import ELEMS

DATA = Path(__file__).parent / "data" / "mrt"


def stream(path: Path) -> bytes:
    """The decompressed MRT stream of a real file."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    return data


@dataclass(frozen=True)
class Decoded:
    """Everything a read produces, batch boundaries aside."""

    table: pa.Table
    problems: list[Problem]
    counts: Counter[str]
    records: Counter[str]
    elems: Counter[str]


def pieces(data: bytes, size: int) -> Iterator[bytes]:
    """``data`` in chunks of ``size`` bytes."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def split_at(data: bytes, *points: int) -> Iterator[bytes]:
    """``data`` cut at the given offsets."""
    edges = [0, *points, len(data)]
    for start, end in pairwise(edges):
        yield data[start:end]


def decode(chunks: Iterator[bytes], batch_size: int = 65536) -> Decoded:
    report = IngestReport(max_problems_kept=100_000)
    batches = list(
        decode_chunks(chunks, name="stream", collector=None, batch_size=batch_size, report=report)
    )
    table = pa.Table.from_batches(batches, schema=ELEMS).combine_chunks()
    counts = Counter({k.value: v for k, v in report.problem_counts.items()})
    return Decoded(table, report.problems, counts, report.records, report.elems)


def assert_same(got: Decoded, want: Decoded, what: str) -> None:
    assert got.counts == want.counts, what
    assert got.problems == want.problems, what
    assert got.records == want.records, what
    assert got.elems == want.elems, what
    assert got.table.num_rows == want.table.num_rows, what
    # peer_ip is a dictionary column: compare its values, not the dictionaries
    assert got.table.cast(_PLAIN).equals(want.table.cast(_PLAIN)), what


_PLAIN = pa.schema(
    [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in ELEMS]
)

FILES = sorted(p.name for p in DATA.iterdir() if p.name != "PROVENANCE.md")
CHUNK_SIZES = [1, 12, 13, 100, 1021, 4096, 65537]
BATCH_SIZES = [1, 7, 1000]


@pytest.mark.parametrize("name", FILES)
def test_real_files_give_the_same_elems_whatever_the_chunk_and_batch_size(name: str) -> None:
    data = stream(DATA / name)
    want = decode(iter([data]))
    assert want.table.num_rows > 0
    for size in CHUNK_SIZES if len(data) < 60_000 else CHUNK_SIZES[1:]:
        assert_same(decode(pieces(data, size)), want, f"chunks of {size}")
    for batch in BATCH_SIZES:
        assert_same(decode(iter([data]), batch), want, f"batches of {batch}")
    assert_same(decode(pieces(data, 97), 3), want, "chunks of 97, batches of 3")


def damaged_rrc06() -> tuple[bytes, int]:
    """RIS rrc06 updates (2015) with the type of the record at 70,992 set to 99 (the one
    changed byte): a header the reader must skip and resynchronise after."""
    data = bytearray(stream(DATA / "ris-rrc06_updates.20150401.0000.gz"))
    offset = 70_992
    assert data[offset + 4 : offset + 6] == b"\x00\x10"  # a BGP4MP record
    data[offset + 5] = 99
    return bytes(data), offset


def test_resynchronisation_does_not_depend_on_where_a_chunk_ends() -> None:
    data, offset = damaged_rrc06()
    want = decode(iter([data]))
    assert want.counts["framing-recovered"] == 1
    # every split point from the damaged header to two records after it
    for point in range(offset, offset + 520):
        assert_same(decode(split_at(data, point)), want, f"split at {point}")
    for size in (1, 12, 200, 4096):
        assert_same(decode(pieces(data, size), 7), want, f"chunks of {size}")


def test_problems_are_counted_once_whatever_the_batch_size() -> None:
    """The real 2000 RIS RIB: 2,490 records 4 bytes longer than their length says. Each is
    one bad-record-length problem, also when a batch fills up inside the record."""
    data = stream(shared_data("mrt/ris_historical/ris-rrc00_bview.20000111.0032.gz"))
    want = decode(iter([data]), 1 << 20)
    assert want.counts["bad-record-length"] > 0
    for batch in (1000, 65536):
        assert_same(decode(iter([data]), batch), want, f"batches of {batch}")
    assert_same(decode(pieces(data, 1 << 20), 777), want, "chunks of 1 MiB, batches of 777")


def test_bzip2_gives_the_same_bytes_with_each_decoder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real RouteViews RIB (the decompressed part of the 2014 excerpt), compressed again
    in 100 kB blocks so that the chunks cross many blocks: lbzip2 (where installed, two
    cores), indexed_bzip2 and the standard library give the same bytes."""
    raw = b"".join(
        decompress.ChunkReader(
            shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2")
        )
    )
    path = tmp_path / "rib.bz2"
    path.write_bytes(bz2.compress(raw, compresslevel=1))
    fast = list(decompress.ChunkReader(path, chunk_size=1 << 20))
    monkeypatch.setattr(decompress, "_lbzip2", lambda: None)
    indexed = list(decompress.ChunkReader(path, chunk_size=1 << 20))
    monkeypatch.setattr(decompress, "_indexed_bzip2", lambda: None)
    standard = list(decompress.ChunkReader(path, chunk_size=1 << 20))
    assert b"".join(fast) == b"".join(indexed) == b"".join(standard) == raw
    assert len(fast) > 2
