"""Broken MRT input never crashes or hangs the reader; every problem is counted with its offset.

Real records from ``tests/data/mrt`` are mutated (bytes flipped, inserted, deleted, the stream
truncated) with hypothesis; compressed streams are cut short; the damaged 1999-2010 RIS files
and the truncated RouteViews RIBs of the shared corpus (``tests/_data.py``) are read to the end.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest
import zstandard
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from _data import shared_data, shared_files
from routewatch.errors import InputError
from routewatch.ingest.mrt import read_elems
from routewatch.ingest.mrt.decompress import detect_compression
from routewatch.ingest.report import IngestReport, ProblemKind
from routewatch.schemas import ELEMS

DATA = Path(__file__).parent / "data" / "mrt"

SAMPLES = [
    "ris-rrc06_updates.20150401.0000.gz",
    "bview.ipv4_unicast_add_path.gz",
    "bview.ipv6_unicast_add_path.gz",
    "quagga_rib",
    "openbgpd_rib_table",
    "ris-rrc01_updates.20001104.0124.gz",
    "updates.20240914.2230_peer-AS140684.bz2",
]


def _raw(name: str, limit: int = 40_000) -> bytes:
    data = (DATA / name).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    elif data[:3] == b"BZh":
        data = bz2.decompress(data)
    return data[:limit]


RAW = {name: _raw(name) for name in SAMPLES}


def _read(path: Path, **kwargs: object) -> tuple[int, IngestReport]:
    report = IngestReport()
    n = 0
    for batch in read_elems(path, report=report, **kwargs):  # type: ignore[arg-type]
        assert batch.schema.equals(ELEMS)
        batch.validate(full=True)
        n += batch.num_rows
    return n, report


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(RAW[draw(st.sampled_from(SAMPLES))])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "truncate"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at] = draw(st.sampled_from([0, 0xFF, 0x7F, 0x80, 1]))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 16))]
        else:
            del data[at:]
    return bytes(data)


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=mutated(), batch_size=st.sampled_from([7, 1000, 65536]))
def test_mutated_records_never_crash(tmp_path: Path, data: bytes, batch_size: int) -> None:
    # a mutation that writes a compression magic at the start (once: 28 b5 2f fd, zstd) makes
    # the file a damaged compressed one (test_truncated_compressed_stream_keeps_what_is_readable)
    assume(detect_compression(data[:8]) == "none")
    path = tmp_path / "mutated.mrt"
    path.write_bytes(data)
    n, report = _read(path, batch_size=batch_size)
    assert n >= 0
    assert report.bytes_read == len(data)
    for problem in report.problems:
        assert 0 <= problem.offset <= len(data)


@pytest.mark.parametrize("name", SAMPLES)
def test_truncated_compressed_stream_keeps_what_is_readable(tmp_path: Path, name: str) -> None:
    raw = RAW[name]
    full, _ = _read(_write(tmp_path / "full", raw))
    cut = gzip.compress(raw)[: -max(len(raw) // 20, 40)]
    path = tmp_path / "cut.gz"
    path.write_bytes(cut)
    n, report = _read(path)
    assert n <= full
    assert report.problem_counts[ProblemKind.DECOMPRESSION] == 1


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_compression_is_detected_from_magic_bytes_not_the_name(tmp_path: Path) -> None:
    raw = RAW["ris-rrc06_updates.20150401.0000.gz"]
    expected, _ = _read(_write(tmp_path / "plain.bz2", raw))
    assert expected > 0
    variants = {
        "a.mrt": gzip.compress(raw),
        "b.gz": bz2.compress(raw),
        "c": lzma.compress(raw),
        "d.xz": zstandard.ZstdCompressor().compress(raw),
        "multi-member": gzip.compress(raw[:5000]) + gzip.compress(raw[5000:]),
        "multi-stream": bz2.compress(raw[:7000]) + bz2.compress(raw[7000:]),
    }
    for name, data in variants.items():
        n, report = _read(_write(tmp_path / name, data))
        assert n == expected, name
        assert not report.problem_counts[ProblemKind.DECOMPRESSION], (name, report.problems[:3])


def test_missing_file_raises_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Cannot open MRT file"):
        list(read_elems(tmp_path / "nope.gz"))


def test_empty_and_garbage_files(tmp_path: Path) -> None:
    assert _read(_write(tmp_path / "empty", b""))[0] == 0
    n, report = _read(_write(tmp_path / "garbage", bytes(range(256)) * 64))
    assert n == 0
    assert report.partial


HISTORICAL = shared_files("mrt/ris_historical", "*.gz")
FIRST_MB = shared_files("mrt/routeviews", "*_firstMB.bz2")


@pytest.mark.parametrize("path", HISTORICAL + FIRST_MB, ids=lambda p: p.name)
def test_damaged_real_files_are_read_to_the_end(path: Path) -> None:
    n, report = _read(path)
    assert n > 0
    assert report.records
    if "firstMB" in path.name:
        assert report.problem_counts[ProblemKind.DECOMPRESSION] == 1


def test_historical_framing_is_recovered() -> None:
    n, report = _read(shared_data("mrt/ris_historical/ris-rrc00_bview.20000111.0032.gz"))
    assert n > 100_000  # bgpdump stops after the first entry
    assert report.problem_counts[ProblemKind.BAD_RECORD_LENGTH] > 0
    n, report = _read(shared_data("mrt/ris_historical/ris-rrc00_updates.20000325.0345.gz"))
    assert report.problem_counts[ProblemKind.FRAMING_RECOVERED] >= 1


def _bgp4mp_update(attrs: bytes, nlri: bytes) -> bytes:
    """One BGP4MP MESSAGE (2-byte ASN) record carrying an UPDATE with ``attrs`` and ``nlri``."""
    update = b"\x00\x00" + len(attrs).to_bytes(2, "big") + attrs + nlri
    message = b"\xff" * 16 + b"\x00\x00" + b"\x02" + update  # length 0: use the record's
    body = (
        (64500).to_bytes(2, "big")
        + (64501).to_bytes(2, "big")
        + b"\x00\x00\x00\x01"
        + bytes([192, 0, 2, 1, 192, 0, 2, 2])
        + message
    )
    return (
        (1_600_000_000).to_bytes(4, "big")
        + b"\x00\x10\x00\x01"
        + len(body).to_bytes(4, "big")
        + body
    )


def test_largest_as_paths_fit_the_scratch(tmp_path: Path) -> None:
    seg2 = b"\x02\xff" + b"\xfd\xe8" * 255  # 255 x AS 65000, 2-byte
    seg4 = b"\x02\xff" + (70000).to_bytes(4, "big") * 255
    as_path = seg2 * 78  # together as long as an UPDATE's attribute section allows
    as4_path = seg4 * 24
    attrs = (
        b"\x40\x01\x01\x00"
        + b"\x50\x02"
        + len(as_path).to_bytes(2, "big")
        + as_path
        + b"\xd0\x11"
        + len(as4_path).to_bytes(2, "big")
        + as4_path
    )
    path = _write(tmp_path / "big.mrt", _bgp4mp_update(attrs, b"\x18\x0a\x00\x00"))
    rows = [r for b in read_elems(path) for r in b.to_pylist()]
    assert len(rows) == 1
    assert rows[0]["prefix"] == "10.0.0.0/24"
    asns = rows[0]["path_asns"]
    assert len(asns) == 255 * 78  # the RFC 6793 merge keeps AS_PATH's length
    assert asns[0] == 65000 and asns[-1] == 70000
    assert rows[0]["as_path"].endswith("...")
