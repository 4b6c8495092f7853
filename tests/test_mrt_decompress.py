"""The MRT reader's decompression: early stops and decompression bombs.

A reader that stops early (``mrt dump | head``) closes its file and ends without a
traceback. Every decompression call is bounded: a small file
that expands a thousandfold (a "bomb") is read to the end in memory of a few chunk sizes,
checked in a child process under an address-space limit (``RLIMIT_AS``) that one unbounded
call would exceed. The bombs are invented data (runs of zero bytes, compressed), built here:
no real archive is a bomb. The other inputs are real files of ``tests/data``.
"""

from __future__ import annotations

import bz2
import gzip
import json
import lzma
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from _data import shared_data
from routewatch.ingest.mrt import decompress

DATA = Path(__file__).parent / "data" / "mrt"
GZIP_FILE = shared_data("mrt/ris/ris-rrc21_updates.20160811.1600.gz")
BZIP2_FILE = DATA / "updates.20240914.2230_peer-AS140684.bz2"


@pytest.mark.parametrize("path", [GZIP_FILE, BZIP2_FILE], ids=["gzip", "bzip2"])
def test_an_early_stop_closes_the_file(path: Path) -> None:
    reader = decompress.ChunkReader(path, chunk_size=1 << 10)
    chunks = iter(reader)
    assert next(chunks)
    chunks.close()  # what a consumer that stops (a closed pipe, a break) does
    assert reader._fh.closed


def test_an_early_stop_of_mrt_dump_through_a_pipe_ends_cleanly() -> None:
    """``routewatch mrt dump FILE | head -n 3``: three lines, and the command ends at once
    without a traceback."""
    dump = subprocess.Popen(
        [sys.executable, "-m", "routewatch", "mrt", "dump", str(GZIP_FILE)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert dump.stdout is not None
    head = [dump.stdout.readline() for _ in range(3)]
    dump.stdout.close()
    _, err = dump.communicate(timeout=60)
    assert all(line.count(b"|") > 5 for line in head)
    assert b"Traceback" not in err, err.decode()


# ------------------------------------------------------------------------------------------
# decompression bombs (invented data: compressed runs of zero bytes)
# ------------------------------------------------------------------------------------------

BOMB_MEMBER = 64 << 20  # decompressed bytes of one member / stream / frame
BOMB_MEMBERS = 3
CHUNK = 1 << 20
#: address space a child may add to what it has mapped once the reader's modules are loaded:
#: a few chunks fit; one member decompressed in a single call (and joined) does not
MARGIN = 96 << 20


def _member(kind: str) -> bytes:
    zeros = bytes(BOMB_MEMBER)
    if kind == "gzip":
        return gzip.compress(zeros, compresslevel=9, mtime=0)
    if kind == "bzip2":
        return bz2.compress(zeros, compresslevel=9)
    if kind == "xz":
        return lzma.compress(zeros, preset=0)
    return zstandard.ZstdCompressor(level=3).compress(zeros)


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bombs")
    paths = {}
    for kind in ("gzip", "bzip2", "xz", "zstd"):
        paths[kind] = folder / f"bomb.{kind}"
        paths[kind].write_bytes(_member(kind) * BOMB_MEMBERS)
    return paths


CHILD = """
import json, resource, sys
from routewatch.ingest.mrt import decompress
path, mode = sys.argv[1], sys.argv[2]
if mode != "fast":
    decompress._lbzip2 = lambda: None
if mode == "standard":
    decompress._isal_zlib = lambda: None
    decompress._indexed_bzip2 = lambda: None
decompress._errors()  # the decompressors' modules, loaded before the limit
with open("/proc/self/status") as status:
    mapped = next(int(l.split()[1]) << 10 for l in status if l.startswith("VmSize"))
limit = mapped + int(sys.argv[3])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
reader = decompress.ChunkReader(path, chunk_size=int(sys.argv[4]))
total = largest = 0
for chunk in reader:
    total += len(chunk)
    largest = max(largest, len(chunk))
print(json.dumps({"total": total, "largest": largest, "problem": reader.problem}))
"""


def _read_in_child(path: Path, mode: str, margin: int) -> subprocess.CompletedProcess[str]:
    """``mode``: ``fast`` (every fast decoder: lbzip2 first), ``in-process`` (no lbzip2),
    ``standard`` (the standard library only)."""
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode, str(margin), str(CHUNK)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("kind", "mode"),
    [("gzip", "fast"), ("gzip", "standard"), ("bzip2", "fast"), ("bzip2", "in-process"),
     ("bzip2", "standard"), ("xz", "standard"), ("zstd", "standard")],
    ids=["gzip-fast", "gzip-standard", "bzip2-lbzip2", "bzip2-indexed", "bzip2-standard", "xz",
         "zstd"],
)
def test_a_decompression_bomb_is_read_in_bounded_memory(
    bombs: dict[str, Path], kind: str, mode: str
) -> None:
    """Each file is a few kB to 200 kB and expands to 192 MiB; read with 1 MiB chunks under
    a limit of 96 MiB more address space, every byte comes out in chunks under 2 MiB.
    (Before each call was bounded, one call inflated a whole 64 MiB member: MemoryError.
    xz and zstd have no fast decoder; indexed_bzip2 reads by chunk size on one thread:
    its parallel mode, which decodes blocks ahead, failed here with std::bad_alloc.)"""
    if mode == "fast" and kind == "bzip2":
        _needs_lbzip2()
    done = _read_in_child(bombs[kind], mode, MARGIN)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["total"] == BOMB_MEMBER * BOMB_MEMBERS
    assert result["largest"] < 2 * CHUNK
    assert result["problem"] is None
    assert bombs[kind].stat().st_size < BOMB_MEMBER // 300


# ------------------------------------------------------------------------------------------
# bzip2 through an lbzip2 child process: the same bytes and problems as the standard library
# ------------------------------------------------------------------------------------------

#: the real RouteViews RIB excerpt, cut inside its last bzip2 block (1 MiB of a larger file)
CUT_RIB = shared_data("mrt/routeviews/route-views2_rib.20140523.0600_firstMB.bz2")


def _needs_lbzip2() -> None:
    if decompress._lbzip2() is None:
        pytest.skip("lbzip2 is not installed (Debian package lbzip2; 'make install' adds it)")
    if decompress._usable_cores() < 2:
        pytest.skip("lbzip2 is used with two usable cores or more")


@pytest.fixture(scope="module")
def rib_streams(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files made of the real RIB's decompressed bytes, recompressed in 100 kB blocks (so a
    chunk crosses blocks) and then joined or damaged the ways real archives are."""
    raw = b"".join(decompress.ChunkReader(CUT_RIB))
    half = len(raw) // 2
    first, second = bz2.compress(raw[:half], 1), bz2.compress(raw[half:], 1)
    whole = bz2.compress(raw, 1)
    variants = {
        "one stream": whole,
        "two streams": first + second,
        "trailing garbage": whole + b"garbage",
        "trailing zeros": whole + bytes(16),
        "garbage between streams": first + b"xyz" + second,
        "cut second stream": first + second[: len(second) // 2],
        "cut stream header": whole + b"BZh91AY",
        "damaged block": whole[:4000] + bytes(b ^ 0x5A for b in whole[4000:4100]) + whole[4100:],
        "the real cut file": CUT_RIB.read_bytes(),
    }
    folder = tmp_path_factory.mktemp("rib-streams")
    paths = {}
    for name, data in variants.items():
        paths[name] = folder / (name.replace(" ", "-") + ".bz2")
        paths[name].write_bytes(data)
    return paths


def _read(path: Path, chunk_size: int) -> tuple[bytes, str | None, int, list[int]]:
    reader = decompress.ChunkReader(path, chunk_size=chunk_size)
    chunks = list(reader)
    return b"".join(chunks), reader.problem, reader.compressed_bytes, [len(c) for c in chunks]


@pytest.mark.parametrize(
    ("name", "by_lbzip2"),
    [("one stream", True), ("two streams", True), ("trailing garbage", False),
     ("trailing zeros", False), ("garbage between streams", False),
     ("cut second stream", False), ("cut stream header", False), ("damaged block", False),
     ("the real cut file", False)],
)  # fmt: skip
def test_lbzip2_gives_what_the_standard_library_gives(
    rib_streams: dict[str, Path], name: str, by_lbzip2: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clean files are decompressed by lbzip2 to the end; every other file is left to the
    standard library (which names the problem) at some point, and the reader's bytes,
    problem and compressed byte count are the standard library's alone, at two chunk sizes.
    (``damaged block`` may differ in one documented way: blocks before the damage that the
    fast decoder had handed out; its bytes are compared up to the standard library's.)"""
    _needs_lbzip2()
    path = rib_streams[name]
    finished: list[bool] = []
    real = decompress.ChunkReader._lbzip2_chunks

    def spied(self: decompress.ChunkReader) -> Iterator[bytes]:
        finished.append(False)
        yield from real(self)
        finished[-1] = True

    monkeypatch.setattr(decompress.ChunkReader, "_lbzip2_chunks", spied)
    for chunk_size in (1 << 16, 1 << 20):
        fast = _read(path, chunk_size)
        with monkeypatch.context() as standard_only:
            standard_only.setattr(decompress, "_lbzip2", lambda: None)
            standard_only.setattr(decompress, "_indexed_bzip2", lambda: None)
            standard = _read(path, chunk_size)
        assert fast[1:3] == standard[1:3]
        if name == "damaged block":
            assert fast[0].startswith(standard[0])
        else:
            assert fast[0] == standard[0]
            assert all(size < 2 * chunk_size for size in fast[3])
    assert finished == [by_lbzip2, by_lbzip2]
    assert (standard[1] is None) == (name in ("one stream", "two streams", "trailing zeros"))


def _lbzip2_children() -> list[int]:
    """The process ids of this process's lbzip2 children (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            comm, ppid = fields[0].split("(", 1)[1], int(fields[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if comm == "lbzip2" and ppid == os.getpid():
            found.append(int(stat.parent.name))
    return found


def test_an_early_stop_ends_the_lbzip2_child(rib_streams: dict[str, Path]) -> None:
    _needs_lbzip2()
    reader = decompress.ChunkReader(rib_streams["one stream"], chunk_size=1 << 12)
    chunks = iter(reader)
    assert next(chunks)
    assert len(_lbzip2_children()) == 1
    chunks.close()
    assert _lbzip2_children() == []
    assert reader._fh.closed
