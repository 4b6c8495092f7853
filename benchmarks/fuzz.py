"""Mutation fuzzing of the MRT reader and of every reference loader.

Not a test (the test suite runs a small deterministic sample: ``tests/test_mrt_fuzz.py``); a
tool that takes real files, damages them the way archives and downloads get damaged, feeds
them to routewatch's parsers in worker processes with time and memory limits, and counts
what happens.

Targets: ``mrt`` (:func:`routewatch.ingest.mrt.decode_chunks`) and one target per reference
format registered in :mod:`routewatch.reference.sniff` (``ref formats`` lists them), loaded
as ``routewatch ref show KIND FILE`` does (:func:`~routewatch.reference.sniff.load_any` with
the kind named). Seeds are the real files of ``tests/data`` (windows of at most 64 KiB of
the larger MRT streams; the reference seeds are the excerpts the loader tests use).

Mutations, 1 to 4 per case, drawn from a generator seeded by (target, case number), so a
case can be replayed alone (``--replay TARGET:CASE``):

* MRT, structured: a record's type, subtype, length (off by a few bytes, zero, huge),
  timestamp, microseconds; inside BGP messages the marker, message length, withdrawn and
  attribute lengths, an attribute's flags, type or length, an NLRI prefix length, an AS path
  segment; inside RIBs the entry count, a peer index, a PEER_INDEX_TABLE count;
* bytes: flips, runs set to 0x00 / 0xff, inserted and deleted runs, truncation, splicing
  (a run of another seed inserted);
* reference files: lines deleted, duplicated, swapped, cut, replaced by garbage or by a line
  of another format's seed, huge numbers, a byte-order mark, Latin-1 bytes, truncation.

Each MRT case is decoded once as a file is (one chunk, batches of 65,536), then again in
chunks of a few bytes and batches of 7 elems: the two results (elems, problems and counts)
must be the same; every 20th case small enough is also decoded by the interpreted engine
(which raises ``IndexError`` where compiled code would read out of bounds) and compared.
Every 10th case is also written compressed (gzip, bzip2, xz or zstd, chosen by the case; two
members or streams; every other one with a decompression bomb between them, 4 MiB of zero
bytes in a few kB; one in four with its compressed bytes damaged) and read back by the file
reader (:class:`~routewatch.ingest.mrt.decompress.ChunkReader`, 64 KiB chunks): no chunk may
reach twice the chunk size (``impossible``: an unbounded decompression call), and undamaged
files must give back exactly the bytes compressed, without a problem.
Every batch is validated (Arrow ``validate(full=True)``) and checked for impossible values
(prefix length beyond the family, problem offsets outside the input).

Outcomes per target: ``cases``; ``crashes`` (the worker died: a signal, or the memory limit);
``hangs`` (a case took longer than ``--timeout``); ``errors`` (unexpected exceptions, by
type: a bug, with the case to replay); ``refusals`` (a clear routewatch error, by type:
expected for damaged input); ``disagreements`` (chunk/batch or engine results differ);
``impossible`` values; the peak memory of the workers. The script exits 1 when any crash,
hang, error, disagreement or impossible value was found.

Usage::

    python benchmarks/fuzz.py                       # every target, 10,000 cases each
    python benchmarks/fuzz.py --targets mrt --cases 2000
    python benchmarks/fuzz.py --replay mrt:1234     # one case, in this process, verbose
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import select
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TESTS = ROOT / "tests" / "data"
MRT_SEEDS = (TESTS / "mrt", TESTS / "shared" / "mrt")
REF_SEEDS = (TESTS / "ref", TESTS / "shared")
WINDOW = 64 << 10  # bytes of a larger MRT stream taken as one seed
REF_SEED_BYTES = (16 << 10, 64 << 10, 256 << 10)  # cuts of a larger reference file tried
HEADER = struct.Struct(">IHHI")
INTERPRET_EVERY = 20  # every n-th MRT case is also decoded by the interpreted engine
INTERPRET_MAX = 24 << 10  # ... when it is at most this long
CHECK_CHUNK = 61  # bytes per chunk in the second decoding
CHECK_BATCH = 7  # elems per batch in the second decoding
FILE_EVERY = 10  # every n-th MRT case is also read back compressed from a file
FILE_CHUNK = 64 << 10  # chunk size of that reading
BOMB = 4 << 20  # zero bytes of the decompression bomb put into every other compressed case
COMPRESSIONS = ("gzip", "bzip2", "xz", "zstd")


# ------------------------------------------------------------------------------------------
# Seeds
# ------------------------------------------------------------------------------------------


def _decompressed(path: Path) -> bytes:
    from routewatch.ingest.mrt.decompress import ChunkReader

    return b"".join(ChunkReader(path))


def _records(data: bytes) -> list[int]:
    """Offsets of the MRT records found by walking the headers from the start."""
    offsets = []
    pos = 0
    while pos + 12 <= len(data):
        offsets.append(pos)
        pos += 12 + HEADER.unpack_from(data, pos)[3]
    return offsets


def mrt_seeds() -> list[tuple[str, bytes]]:
    """(name, decompressed bytes) of the real MRT seeds: whole small files, and a window of
    whole records from the middle of each larger one."""
    seeds = []
    for folder in MRT_SEEDS:
        for path in sorted(folder.rglob("*")):
            if (
                not path.is_file()
                or path.suffix in (".md", ".txt")
                or path.name.endswith(".bgp.gz")
            ):
                continue
            if path.name == "SHA256SUMS" or path.stat().st_size > 4 << 20:
                continue
            data = _decompressed(path)
            if len(data) > WINDOW:
                offsets = [o for o in _records(data) if o >= len(data) // 2] or [0]
                start = offsets[0]
                ends = [o for o in _records(data[start:]) if o <= WINDOW]
                data = data[start : start + (ends[-1] if len(ends) > 1 else WINDOW)]
            if data:
                seeds.append((path.name, data))
    return seeds


def ref_seeds() -> dict[str, list[tuple[str, bytes]]]:
    """Seeds per reference format: the largest files of the tests' data that the format
    reads, cut to their first 16 KiB (whole lines; 64 or 256 KiB when no shorter cut of any
    file loads), each kept only if it loads unmutated (a seed the loader refuses as it is
    would test nothing past the refusal)."""
    from routewatch.reference.sniff import detect, import_loaders, open_binary

    import_loaders()
    found: dict[str, list[Path]] = {}
    for folder in REF_SEEDS:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix in (".md", ".py") or "mrt" in path.parts:
                continue
            try:
                found.setdefault(detect(path).name, []).append(path)
            except Exception:  # noqa: BLE001 - not a reference file: not a seed
                continue
    seeds: dict[str, list[tuple[str, bytes]]] = {}
    for name, paths in found.items():
        for size in REF_SEED_BYTES:
            for path in sorted(paths, key=lambda p: -p.stat().st_size):
                with open_binary(path) as stream:
                    data = stream.read(size + 1)
                if len(data) > size:
                    data = data[: data.rfind(b"\n", 0, size) + 1]
                if _loads(name, path.name, data):
                    seeds.setdefault(name, []).append((path.name, data))
                if len(seeds.get(name, [])) == 3:
                    break
            if name in seeds:
                break
    return seeds


def _loads(format_name: str, file_name: str, data: bytes) -> bool:
    """True when ``data`` loads as ``format_name`` (kind named) without an error."""
    from routewatch.errors import RoutewatchError
    from routewatch.reference.sniff import import_loaders, load_any

    fmt = next(f for f in import_loaders() if f.name == format_name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / file_name
        path.write_bytes(data)
        try:
            return load_any([path], fmt.kind).format == format_name
        except RoutewatchError:
            return False


# ------------------------------------------------------------------------------------------
# Mutations
# ------------------------------------------------------------------------------------------

HUGE = (0xFFFFFFFF, 0x7FFFFFFF, 1 << 24, (1 << 24) + 1, 0xFFFF, 0x8000)


def _put(data: bytearray, at: int, size: int, value: int) -> None:
    if at >= 0 and at + size <= len(data):
        data[at : at + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "big")


def _length_value(rng: random.Random, old: int) -> int:
    choice = rng.randrange(4)
    if choice == 0:
        return old + rng.choice((-8, -4, -2, -1, 1, 2, 4, 8))
    if choice == 1:
        return 0
    if choice == 2:
        return rng.choice(HUGE)
    return rng.randrange(0, 2 * old + 64)


def _mutate_header(rng: random.Random, data: bytearray, rec: int) -> None:
    field = rng.choice(("type", "subtype", "length", "time", "usec"))
    if field == "type":
        _put(data, rec + 4, 2, rng.choice((5, 12, 13, 16, 17, 0, 11, 48, rng.randrange(65536))))
    elif field == "subtype":
        _put(data, rec + 6, 2, rng.randrange(16) if rng.random() < 0.8 else rng.randrange(65536))
    elif field == "length":
        old = int.from_bytes(data[rec + 8 : rec + 12], "big")
        _put(data, rec + 8, 4, _length_value(rng, old))
    elif field == "time":
        old = int.from_bytes(data[rec : rec + 4], "big")
        _put(data, rec, 4, rng.choice((0, 0xFFFFFFFF, old + 400 * 86400, old - 1)))
    else:
        _put(
            data, rec + 12, 4, rng.choice((999_999, 1_000_000, 0xFFFFFFFF, rng.randrange(1 << 32)))
        )


def _bgp_message(data: bytearray, rec: int) -> int:
    """Offset of the BGP marker inside a BGP4MP message record, -1 if it is not one."""
    if rec + 12 > len(data):
        return -1
    _, mrt_type, subtype, _ = HEADER.unpack_from(data, rec)
    if mrt_type not in (16, 17) or subtype in (0, 2, 3, 5):
        return -1
    body = rec + (16 if mrt_type == 17 else 12)
    asn = 4 if subtype in (4, 7, 9, 11) else 2
    if body + 2 * asn + 4 > len(data):
        return -1
    afi = int.from_bytes(data[body + 2 * asn + 2 : body + 2 * asn + 4], "big")
    return body + 2 * asn + 4 + (8 if afi == 1 else 32)


def _mutate_message(rng: random.Random, data: bytearray, rec: int) -> None:
    marker = _bgp_message(data, rec)
    if marker < 0 or marker + 23 > len(data):
        _mutate_header(rng, data, rec)
        return
    update = marker + 19
    withdrawn = int.from_bytes(data[update : update + 2], "big")
    attrs = update + 2 + withdrawn
    field = rng.choice(("marker", "msglen", "withdrawn", "attrlen", "attr", "nlri", "segment"))
    if field == "marker":
        _put(data, marker + rng.randrange(16), 1, rng.randrange(255))
    elif field == "msglen":
        old = int.from_bytes(data[marker + 16 : marker + 18], "big")
        _put(data, marker + 16, 2, _length_value(rng, old))
    elif field == "withdrawn":
        _put(data, update, 2, _length_value(rng, withdrawn))
    elif field == "attrlen" and attrs + 2 <= len(data):
        old = int.from_bytes(data[attrs : attrs + 2], "big")
        _put(data, attrs, 2, _length_value(rng, old))
    elif field in ("attr", "segment") and attrs + 5 <= len(data):
        pos = attrs + 2 + 3 * rng.randrange(4)
        part = rng.randrange(3)
        _put(data, pos + part, 1, rng.choice((0x40, 0x50, 0x80, 0xC0, 0xD0, 2, 14, 15, 17, 255)))
    else:  # an NLRI prefix length (withdrawn routes or announcements)
        pos = update + 2 if withdrawn and rng.random() < 0.5 else attrs + 2 + rng.randrange(64)
        _put(data, pos, 1, rng.choice((0, 25, 32, 33, 64, 128, 129, 255)))


def _mutate_rib(rng: random.Random, data: bytearray, rec: int) -> None:
    _, mrt_type, subtype, length = HEADER.unpack_from(data, rec)
    body = rec + 12
    if mrt_type != 13 or body + 8 > len(data):
        _mutate_header(rng, data, rec)
        return
    if subtype == 1:  # PEER_INDEX_TABLE: the peer count, or a peer type
        view = int.from_bytes(data[body + 4 : body + 6], "big")
        where = body + 6 + view
        if rng.random() < 0.5:
            _put(data, where, 2, rng.choice((0, 1, 0xFFFF, rng.randrange(64))))
        else:
            _put(data, where + 2, 1, rng.randrange(4))
        return
    plen_at = body + 4 + (3 if subtype in (6, 12) else 0)
    nbytes = (data[plen_at] + 7) // 8 if plen_at < len(data) else 0
    count_at = plen_at + 1 + nbytes
    field = rng.choice(("plen", "count", "index", "attrlen"))
    if field == "plen":
        _put(data, plen_at, 1, rng.choice((0, 33, 129, 255, rng.randrange(256))))
    elif field == "count":
        _put(data, count_at, 2, rng.choice((0, 0xFFFF, rng.randrange(256))))
    elif field == "index":
        _put(data, count_at + 2, 2, rng.choice((0xFFFF, 300, rng.randrange(64))))
    else:
        head = 10 if subtype >= 8 else 6
        _put(data, count_at + 2 + head, 2, rng.choice((*HUGE[3:], 0, length)))


def mutate_mrt(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """1 to 4 structured or byte-level mutations of ``data`` (``other``: a splice source)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        records = _records(bytes(out)) or [0]
        rec = rng.choice(records)
        op = rng.choice(
            ("header", "message", "rib", "flip", "set", "insert", "delete", "cut", "splice")
        )
        if not out:
            break
        at = rng.randrange(len(out))
        if op == "header" and rec + 16 <= len(out):
            _mutate_header(rng, out, rec)
        elif op == "message" and rec + 12 <= len(out):
            _mutate_message(rng, out, rec)
        elif op == "rib" and rec + 12 <= len(out):
            _mutate_rib(rng, out, rec)
        elif op == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif op == "set":
            value = rng.choice((0, 0xFF))
            out[at : at + rng.randint(1, 32)] = bytes([value]) * len(out[at : at + 32])
        elif op == "insert":
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        elif op == "delete":
            del out[at : at + rng.randint(1, 64)]
        elif op == "cut":
            del out[at:]
        elif other:
            start = rng.randrange(len(other))
            out[at:at] = other[start : start + rng.randint(1, 4096)]
    return bytes(out)


GARBAGE_LINES = (
    b"",
    b"#",
    b"\xff\xfe\x00garbage",
    b"999999999999999999999999999999|1|-1",
    b"AS99999999999|x",
    b"10.0.0.0/33,AS1,24",
    b"::/200",
    b'{"roas": [{"prefix": 1}]}',
    b"}" * 3,
    b"a" * 5000,
    b"route: 300.1.1.0/24",
    b"1|2|3|4|5|6|7|8|9|10|11|12|13|14",
    "caf\xe9".encode("latin-1"),
)


def mutate_text(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """1 to 4 line-level or byte-level mutations of a reference file."""
    lines = data.split(b"\n")
    foreign = other.split(b"\n") or [b""]
    for _ in range(rng.randint(1, 4)):
        if not lines:
            lines = [b""]
        i = rng.randrange(len(lines))
        op = rng.choice(("delete", "dup", "swap", "cut", "garbage", "foreign", "number", "bytes"))
        if op == "delete":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "cut":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
            if rng.random() < 0.3:
                del lines[i + 1 :]
        elif op == "garbage":
            lines.insert(i, rng.choice(GARBAGE_LINES))
        elif op == "foreign":
            lines.insert(i, rng.choice(foreign))
        elif op == "number":
            digits = [k for k, c in enumerate(lines[i]) if 48 <= c <= 57]
            if digits:
                k = rng.choice(digits)
                lines[i] = (
                    lines[i][:k]
                    + rng.choice((b"9" * 25, b"-1", b"0", b"4294967296"))
                    + lines[i][k + 1 :]
                )
        else:
            raw = bytearray(lines[i])
            if raw:
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            lines[i] = bytes(raw)
    out = b"\n".join(lines)
    if rng.random() < 0.05:
        out = b"\xef\xbb\xbf" + out
    if rng.random() < 0.05:
        out = out[: rng.randrange(len(out) + 1)]
    return out


# ------------------------------------------------------------------------------------------
# Running one case (inside a worker)
# ------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one case did."""

    case: int
    kind: str  # ok | refusal | error | disagreement | impossible
    detail: str = ""
    rows: int = 0


def case_rng(target: str, case: int) -> random.Random:
    return random.Random(f"{target}:{case}")


class MrtTarget:
    """The MRT reader: decode, decode again otherwise, compare."""

    name = "mrt"

    def __init__(self) -> None:
        self.seeds = mrt_seeds()

    def input(self, case: int) -> bytes:
        rng = case_rng(self.name, case)
        _, data = self.seeds[case % len(self.seeds)]
        _, other = rng.choice(self.seeds)
        return mutate_mrt(rng, data, other)

    def run(self, case: int) -> Outcome:
        data = self.input(case)
        first = decode_mrt([data], 65536, "compiled")
        second = decode_mrt(_pieces(data, CHECK_CHUNK), CHECK_BATCH, "compiled")
        if first[1:] != second[1:] or not first[0].equals(second[0]):
            return Outcome(case, "disagreement", "chunks/batches", first[0].num_rows)
        bad = impossible(first[0], first[1], len(data))
        if bad:
            return Outcome(case, "impossible", bad, first[0].num_rows)
        if case % INTERPRET_EVERY == 0 and len(data) <= INTERPRET_MAX:
            third = decode_mrt([data], 65536, "interpreted")
            if first[1:] != third[1:] or not first[0].equals(third[0]):
                return Outcome(case, "disagreement", "engines", first[0].num_rows)
        if case % FILE_EVERY == 0:
            found = read_compressed(case_rng(f"{self.name}-file", case), data)
            if found:
                return Outcome(case, found[0], found[1], first[0].num_rows)
        return Outcome(case, "ok", rows=first[0].num_rows)


def compress(kind: str, data: bytes) -> bytes:
    """``data`` as one member / stream / frame of ``kind``."""
    import bz2
    import gzip
    import lzma

    import zstandard

    if kind == "gzip":
        return gzip.compress(data, mtime=0)
    if kind == "bzip2":
        return bz2.compress(data)
    if kind == "xz":
        return lzma.compress(data)
    return zstandard.ZstdCompressor().compress(data)


_BOMBS: dict[str, bytes] = {}


def read_compressed(rng: random.Random, data: bytes) -> tuple[str, str] | None:
    """Write ``data`` compressed (maybe with a bomb, maybe damaged) and read it back with
    the file reader; (outcome kind, detail) when something is wrong, else None."""
    from routewatch.ingest.mrt.decompress import ChunkReader

    kind = rng.choice(COMPRESSIONS)
    cut = rng.randrange(len(data) + 1)
    bomb = rng.random() < 0.5
    if bomb and kind not in _BOMBS:
        _BOMBS[kind] = compress(kind, bytes(BOMB))
    packed = bytearray(
        compress(kind, data[:cut]) + (_BOMBS[kind] if bomb else b"") + compress(kind, data[cut:])
    )
    damaged = rng.random() < 0.25
    if damaged:
        at = rng.randrange(len(packed))
        if rng.random() < 0.5:
            packed[at] ^= 1 << rng.randrange(8)
        else:
            del packed[at:]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case"
        path.write_bytes(packed)
        reader = ChunkReader(path, chunk_size=FILE_CHUNK)
        sizes = []
        out = bytearray()
        for chunk in reader:
            sizes.append(len(chunk))
            out += chunk
    what = f"{kind}{' bomb' if bomb else ''}{' damaged' if damaged else ''}"
    if max(sizes, default=0) >= 2 * FILE_CHUNK:
        return "impossible", f"{what}: a chunk of {max(sizes):,} bytes"
    expected = data[:cut] + (bytes(BOMB) if bomb else b"") + data[cut:]
    if not damaged and (out != expected or reader.problem is not None):
        return "disagreement", f"{what}: decompressed bytes differ ({reader.problem})"
    return None


def _pieces(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def decode_mrt(chunks: list[bytes], batch_size: int, engine: str) -> tuple[Any, ...]:
    """(table, problems, records, elems) of decompressed MRT ``chunks``; batches validated."""
    import pyarrow as pa

    from routewatch.ingest.mrt import decode_chunks
    from routewatch.ingest.report import IngestReport
    from routewatch.schemas import ELEMS

    report = IngestReport(max_problems_kept=1_000_000)
    batches = list(
        decode_chunks(
            chunks,
            name="case",
            collector=None,
            batch_size=batch_size,
            report=report,
            engine=engine,  # type: ignore[arg-type]
        )
    )
    for batch in batches:
        batch.validate(full=True)
    table = pa.Table.from_batches(batches, schema=ELEMS)
    plain = pa.schema(
        [f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f for f in ELEMS]
    )
    problems = [(p.kind.value, p.offset, p.detail) for p in report.problems]
    return table.cast(plain), problems, dict(report.records), dict(report.elems)


def impossible(table: Any, problems: list[tuple[str, int, str]], size: int) -> str:
    """What in a decoded table cannot be (empty when nothing)."""
    import pyarrow.compute as pc

    for kind, offset, _ in problems:
        if not 0 <= offset <= size:
            return f"{kind} offset {offset} outside the input ({size} bytes)"
    if table.num_rows:
        plen = table.column("prefix_len")
        afi = table.column("afi")
        v4_long = pc.and_(pc.equal(afi, 4), pc.greater(plen, 32))
        if pc.any(pc.or_(v4_long, pc.greater(plen, 128))).as_py():
            return "prefix longer than its address family"
        offsets = table.column("record_offset")
        if pc.max(offsets).as_py() >= size:
            return "record offset outside the input"
    return ""


class RefTarget:
    """One reference format, loaded with its kind named (as ``ref show KIND`` does)."""

    def __init__(self, name: str, seeds: list[tuple[str, bytes]], others: list[bytes]) -> None:
        self.name = name
        self.seeds = seeds
        self.others = others
        self.tmp = Path(tempfile.mkdtemp(prefix="rw-fuzz-"))

    def input(self, case: int) -> tuple[str, bytes]:
        rng = case_rng(self.name, case)
        file_name, data = self.seeds[case % len(self.seeds)]
        return file_name, mutate_text(rng, data, rng.choice(self.others))

    def run(self, case: int) -> Outcome:
        from routewatch.errors import RoutewatchError
        from routewatch.reference.sniff import import_loaders, load_any

        fmt = next(f for f in import_loaders() if f.name == self.name)
        file_name, data = self.input(case)
        path = self.tmp / file_name
        path.write_bytes(data)
        try:
            snapshot = load_any([path], fmt.kind)
        except RoutewatchError as exc:
            return Outcome(case, "refusal", type(exc).__name__)
        finally:
            path.unlink()
        snapshot.table.validate(full=True)
        return Outcome(case, "ok", rows=snapshot.table.num_rows)


def make_target(name: str) -> MrtTarget | RefTarget:
    if name == "mrt":
        return MrtTarget()
    seeds = ref_seeds()
    others = [data for items in seeds.values() for _, data in items]
    return RefTarget(name, seeds[name], others)


def target_names() -> list[str]:
    from routewatch.reference.sniff import import_loaders

    return ["mrt", *(f.name for f in import_loaders())]


def worker(target_name: str, start: int, stop: int, memory_mb: int) -> None:
    """Run cases ``start..stop-1``, one JSON line each on stdout (``start`` line first)."""
    limit = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    target = make_target(target_name)
    if isinstance(target, MrtTarget):
        decode_mrt([target.seeds[0][1]], 65536, "compiled")  # compile / load before timing
    ignored: list[str] = []
    sys.unraisablehook = lambda u: ignored.append(_unraisable(u))
    print(json.dumps({"ready": True}), flush=True)
    for case in range(start, stop):
        print(json.dumps({"start": case}), flush=True)
        ignored.clear()
        try:
            outcome = target.run(case)
        except Exception as exc:  # noqa: BLE001 - the fuzzer's job: report any exception
            where = traceback.extract_tb(exc.__traceback__)[-1]
            detail = f"{type(exc).__name__} at {Path(where.filename).name}:{where.lineno}"
            outcome = Outcome(case, "error", detail)
        if ignored and outcome.kind != "error":  # raised where Python could only ignore it
            outcome = Outcome(case, "error", ignored[0])
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({**outcome.__dict__, "peak_mb": peak}), flush=True)


def _unraisable(hook: Any) -> str:
    """An exception Python ignored (raised in a callback of a C library, a destructor)."""
    where = traceback.extract_tb(hook.exc_traceback)[-1] if hook.exc_traceback else None
    place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return f"ignored {hook.exc_type.__name__}{place}"


# ------------------------------------------------------------------------------------------
# The driver: workers in subprocesses, limits, the table
# ------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes of one target."""

    target: str
    cases: int = 0
    crashes: list[int] = field(default_factory=list)
    hangs: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    error_cases: list[int] = field(default_factory=list)
    refusals: Counter[str] = field(default_factory=Counter)
    disagreements: list[int] = field(default_factory=list)
    impossible: list[int] = field(default_factory=list)
    peak_mb: float = 0.0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        """No crash, hang, unexpected exception, disagreement or impossible value."""
        return not (
            self.crashes or self.hangs or self.errors or self.disagreements or self.impossible
        )

    def add(self, line: dict[str, Any]) -> None:
        self.cases += 1
        self.peak_mb = max(self.peak_mb, float(line.get("peak_mb", 0.0)))
        kind, case = line["kind"], int(line["case"])
        if kind == "error":
            self.errors[line["detail"]] += 1
            self.error_cases.append(case)
        elif kind == "refusal":
            self.refusals[line["detail"]] += 1
        elif kind == "disagreement":
            self.disagreements.append(case)
        elif kind == "impossible":
            self.impossible.append(case)


def _spawn(target: str, start: int, stop: int, memory_mb: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", target, str(start)]
    cmd += [str(stop), str(memory_mb)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def _line(proc: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
    """The worker's next JSON line, or None when it died or said nothing for ``timeout``."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        return None
    text = proc.stdout.readline()
    if not text:
        return None
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def fuzz(target: str, cases: int, timeout: float, memory_mb: int, first: int = 0) -> Tally:
    """Run ``cases`` cases of ``target`` in workers; a dead or stuck worker costs one case."""
    tally = Tally(target)
    started = time.perf_counter()
    case = first
    stop = first + cases
    while case < stop:
        proc = _spawn(target, case, stop, memory_mb)
        ready = _line(proc, 600.0)  # the first compilation of the kernels takes a while
        if ready is None:
            proc.kill()
            proc.wait()
            raise RuntimeError(f"{target}: worker did not start")
        current = case
        while True:
            line = _line(proc, timeout)
            if line is None:
                break
            if "start" in line:
                current = int(line["start"])
                continue
            tally.add(line)
            current = case = int(line["case"]) + 1
            if case >= stop:
                break
        if case >= stop:
            proc.wait()
            break
        alive = proc.poll() is None
        proc.kill()
        proc.wait()
        (tally.hangs if alive else tally.crashes).append(current)
        tally.cases += 1
        case = current + 1
    tally.seconds = time.perf_counter() - started
    return tally


def table(tallies: Sequence[Tally]) -> str:
    """The tallies as a text table (counts; the cases to replay below it)."""
    head = (
        "target",
        "cases",
        "crashes",
        "hangs",
        "errors",
        "disagree",
        "impossible",
        "refused",
        "peak MB",
        "s",
    )
    rows = [head]
    for t in tallies:
        rows.append(
            (
                t.target,
                f"{t.cases:,}",
                str(len(t.crashes)),
                str(len(t.hangs)),
                str(sum(t.errors.values())),
                str(len(t.disagreements)),
                str(len(t.impossible)),
                f"{sum(t.refusals.values()):,}",
                f"{t.peak_mb:.0f}",
                f"{t.seconds:.0f}",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    for t in tallies:
        for what, cases in (
            ("crash", t.crashes),
            ("hang", t.hangs),
            ("error", t.error_cases),
            ("disagreement", t.disagreements),
            ("impossible", t.impossible),
        ):
            for case in cases[:5]:
                lines.append(f"{what}: --replay {t.target}:{case}")
        for detail, count in t.errors.most_common():
            lines.append(f"{t.target}: {count} x {detail}")
        refused = ", ".join(f"{k} {v:,}" for k, v in t.refusals.most_common())
        if refused:
            lines.append(f"{t.target} refused (clear errors): {refused}")
    return "\n".join(lines)


def replay(spec: str) -> int:
    """Run one case in this process and print what it did (with a traceback)."""
    target_name, _, number = spec.rpartition(":")
    target = make_target(target_name)
    outcome = target.run(int(number))
    print(outcome)
    return 0 if outcome.kind in ("ok", "refusal") else 1


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--targets", default="all", help="comma-separated targets, or all")
    parser.add_argument("--cases", type=int, default=10_000, help="cases per target")
    parser.add_argument("--first", type=int, default=0, help="number of the first case")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per case")
    parser.add_argument("--memory-mb", type=int, default=4096, help="address space per worker")
    parser.add_argument("--json", type=Path, help="also write the tallies as JSON here")
    parser.add_argument("--replay", metavar="TARGET:CASE", help="run one case here, verbosely")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Fuzz the selected targets; 1 when anything but clear refusals was found."""
    args = _arguments(argv)
    if args.worker:
        target, start, stop, memory = args.worker
        worker(target, int(start), int(stop), int(memory))
        return 0
    if args.replay:
        return replay(args.replay)
    names = target_names()
    if args.list:
        print("\n".join(names))
        return 0
    chosen = names if args.targets == "all" else [t.strip() for t in args.targets.split(",")]
    unknown = sorted(set(chosen) - set(names))
    if unknown:
        raise SystemExit(f"unknown targets: {', '.join(unknown)}; see --list")
    tallies = []
    for name in chosen:
        tally = fuzz(name, args.cases, args.timeout, args.memory_mb, args.first)
        print(f"{name}: {tally.cases:,} cases, clean={tally.clean}", file=sys.stderr, flush=True)
        tallies.append(tally)
    print(table(tallies))
    print(
        f"machine: {os.cpu_count()} cores; one worker at a time; limits {args.timeout:.0f} s per "
        f"case, {args.memory_mb} MB address space per worker."
    )
    if args.json is not None:
        args.json.write_text(json.dumps([t.__dict__ for t in tallies], default=list, indent=1))
    return 0 if all(t.clean for t in tallies) else 1


if __name__ == "__main__":
    sys.exit(main())
