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
import subprocess
import sys
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
path, fast = sys.argv[1], sys.argv[2] == "fast"
if not fast:
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


def _read_in_child(path: Path, fast: bool, margin: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), "fast" if fast else "standard", str(margin),
         str(CHUNK)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.parametrize(
    ("kind", "fast"),
    [("gzip", True), ("gzip", False), ("bzip2", True), ("bzip2", False), ("xz", False),
     ("zstd", False)],
    ids=["gzip-fast", "gzip-standard", "bzip2-fast", "bzip2-standard", "xz", "zstd"],
)
def test_a_decompression_bomb_is_read_in_bounded_memory(
    bombs: dict[str, Path], kind: str, fast: bool
) -> None:
    """Each file is a few kB to 200 kB and expands to 192 MiB; read with 1 MiB chunks under
    a limit of 96 MiB more address space, every byte comes out in chunks under 2 MiB.
    (Before each call was bounded, one call inflated a whole 64 MiB member: MemoryError.
    xz and zstd have no fast decoder; indexed_bzip2 reads by chunk size on one thread:
    its parallel mode, which decodes blocks ahead, failed here with std::bad_alloc.)"""
    done = _read_in_child(bombs[kind], fast, MARGIN)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["total"] == BOMB_MEMBER * BOMB_MEMBERS
    assert result["largest"] < 2 * CHUNK
    assert result["problem"] is None
    assert bombs[kind].stat().st_size < BOMB_MEMBER // 300
