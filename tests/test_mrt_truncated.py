"""Records cut inside their BGP message, and BGP4MP_ET microsecond fields out of range.

Quagga collectors around 2008 capped the MRT length of BGP4MP records at 4,096 bytes while the
BGP message inside said it was a few bytes longer: the framing is intact (the next record
starts right after the 4,096 bytes), only the message is cut. The inputs here are built from
*real* records the same way: a window of five whole records of a real RIS / RouteViews file
(``tests/data/mrt/*_records-*.gz``, see its PROVENANCE.md), whose third record gets a smaller
MRT length and loses the bytes beyond it; nothing else is changed. Debian ``bgpdump -m`` is
the oracle for what a cut record still holds: every complete field.
"""

from __future__ import annotations

import bz2
import gzip
import shutil
import struct
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from click.testing import CliRunner

from _data import shared_data
from routewatch.cli.main import EXIT_PARTIAL, cli
from routewatch.ingest.mrt import read_elems
from routewatch.ingest.mrt.bgpdump import bgpdump_lines
from routewatch.ingest.report import IngestReport, ProblemKind
from routewatch.schemas import ELEMS

DATA = Path(__file__).parent / "data" / "mrt"
BGPDUMP = shutil.which("bgpdump")
HEADER = struct.Struct(">IHHI")


@dataclass(frozen=True)
class Window:
    """Whole real records ``[start, end)`` of a shared file's stream; the cut one at ``target``."""

    file: str
    shared: str
    start: int
    end: int
    target: int  # offset of the record to cut, inside the window

    def records(self) -> bytes:
        return gzip.decompress((DATA / self.file).read_bytes())


RRC01 = Window(
    "ris-rrc01_updates.20100827.0840_records-872321-880406.gz",
    "mrt/ris/ris-rrc01_updates.20100827.0840.gz",
    872321,
    880406,
    273,
)
ET2015 = Window(
    "updates.et-header.2015_records-41559-50221.gz",
    "mrt/misc/updates.et-header.2015.gz",
    41559,
    50221,
    761,
)


def cut_record(data: bytes, offset: int, length: int) -> bytes:
    """``data`` with the MRT record at ``offset`` given MRT length ``length`` and cut to it."""
    _, _, _, old = HEADER.unpack_from(data, offset)
    assert length < old
    head = data[offset : offset + 8] + length.to_bytes(4, "big")
    body = data[offset + 12 : offset + 12 + length]
    return data[:offset] + head + body + data[offset + 12 + old :]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _ours(path: Path) -> tuple[list[str], IngestReport]:
    report = IngestReport()
    lines: list[str] = []
    for batch in read_elems(path, report=report):
        lines += bgpdump_lines(batch)
    return lines, report


def _bgpdump(path: Path) -> list[str]:
    assert BGPDUMP is not None
    out = subprocess.run([BGPDUMP, "-m", str(path)], capture_output=True, check=False)
    return out.stdout.decode("utf-8", "replace").splitlines()


@pytest.mark.parametrize("window", [RRC01, ET2015], ids=["rrc01", "et2015"])
def test_windows_are_the_real_records(window: Window) -> None:
    data = window.records()
    assert len(data) == window.end - window.start
    offset = 0
    while offset < len(data):  # whole records, back to back
        offset += 12 + HEADER.unpack_from(data, offset)[3]
    assert offset == len(data)
    source = shared_data(window.shared)
    if source.exists():  # the larger corpus is optional; the copy must match it when present
        stream = gzip.decompress(source.read_bytes())
        assert stream[window.start : window.end] == data


# (window, MRT length given to the cut record, what the cut leaves of the message)
CUTS = [
    # Quagga's cap: 4,096 of 4,110 bytes; the cut falls 12 bytes before the end of the
    # withdrawn routes, so the last (partial) withdrawn prefixes are lost
    pytest.param(RRC01, 4096, id="rrc01-4096-inside-withdrawals"),
    # withdrawals complete, the trailing 2-byte attribute length missing (or half of it)
    pytest.param(RRC01, 4108, id="rrc01-attribute-length-missing"),
    pytest.param(RRC01, 4109, id="rrc01-attribute-length-half"),
    # an announcement: attributes complete, the NLRI cut after its 997th whole prefix
    pytest.param(ET2015, 4096, id="et-4096-inside-nlri"),
    # cut inside the attributes: no announcement can be read, the record is still counted
    pytest.param(ET2015, 100, id="et-inside-attributes"),
]


@pytest.mark.skipif(BGPDUMP is None, reason="needs Debian bgpdump (installed by make test)")
@pytest.mark.parametrize(("window", "length"), CUTS)
def test_cut_record_decodes_its_complete_fields_like_bgpdump(
    tmp_path: Path, window: Window, length: int
) -> None:
    data = cut_record(window.records(), window.target, length)
    path = _write(tmp_path, "cut.mrt", data)
    ours, report = _ours(path)
    assert ours == _bgpdump(path)
    assert dict(report.problem_counts) == {ProblemKind.TRUNCATED_MESSAGE: 1}
    (problem,) = report.problems
    assert problem.offset == window.target
    assert "past the end of its MRT record" in problem.detail
    # the records around it are untouched
    whole, _ = _ours(_write(tmp_path, "whole.mrt", window.records()))
    assert ours[:3] == whole[:3] and ours[-3:] == whole[-3:]


def test_quagga_cut_keeps_the_complete_withdrawals(tmp_path: Path) -> None:
    whole, _ = _ours(_write(tmp_path, "whole.mrt", RRC01.records()))
    path = _write(tmp_path, "cut.mrt", cut_record(RRC01.records(), RRC01.target, 4108))
    ours, report = _ours(path)
    # every one of the 1,020 withdrawals is there: the cut took only the attribute length
    assert ours == whole
    assert sum(1 for line in ours if "|W|" in line) == 1020 + 880
    assert report.partial
    result = CliRunner().invoke(cli, ["mrt", "stats", str(path)])
    assert result.exit_code == EXIT_PARTIAL
    assert "truncated-message: 1" in result.output


def test_cut_at_4096_loses_only_the_partial_prefixes(tmp_path: Path) -> None:
    whole, _ = _ours(_write(tmp_path, "whole.mrt", RRC01.records()))
    path = _write(tmp_path, "cut.mrt", cut_record(RRC01.records(), RRC01.target, 4096))
    ours, _ = _ours(path)
    assert len(whole) - len(ours) == 3  # 12 bytes = the last three /24 withdrawals
    assert set(ours) < set(whole)


def _et_record(data: bytes) -> tuple[int, int]:
    """Offset and timestamp of the first BGP4MP_ET record in ``data``."""
    offset = 0
    while True:
        stamp, mrt_type, _, length = HEADER.unpack_from(data, offset)
        if mrt_type == 17:
            return offset, stamp
        offset += 12 + length


@pytest.mark.parametrize("usec", [1_000_000, 4_294_967_295])
def test_et_microseconds_out_of_range_are_a_problem_not_a_shifted_time(
    tmp_path: Path, usec: int
) -> None:
    """A real BGP4MP_ET record (bgpkit's 2024 sample) with its microsecond field overwritten."""
    data = bytearray(
        bz2.decompress((DATA / "updates.20240914.2230_peer-AS140684.bz2").read_bytes())
    )
    offset, stamp = _et_record(bytes(data))
    data[offset + 12 : offset + 16] = usec.to_bytes(4, "big")
    report = IngestReport()
    table = pa.Table.from_batches(
        list(read_elems(_write(tmp_path, "et.mrt", bytes(data)), report=report)), schema=ELEMS
    )
    rows = [r for r in table.to_pylist() if r["record_offset"] == offset]
    assert rows
    assert {r["timestamp"] for r in rows} == {datetime.fromtimestamp(stamp, UTC)}
    assert dict(report.problem_counts) == {ProblemKind.BAD_TIMESTAMP: 1}
    (problem,) = report.problems
    assert problem.offset == offset
    assert f"microseconds {usec} not below 1,000,000" in problem.detail
    result = CliRunner().invoke(cli, ["mrt", "dump", str(tmp_path / "et.mrt")])
    assert result.exit_code == EXIT_PARTIAL
