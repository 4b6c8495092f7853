"""Decompression of MRT archives into large byte chunks, detected by magic bytes.

Role: turn a file (gzip, bzip2, xz, zstd or uncompressed, whatever its name says) into a
stream of decompressed ``bytes`` chunks of roughly ``chunk_size`` bytes, so the decoder can
work on big buffers. Multi-member gzip and multi-stream bzip2 / xz / zstd are followed to the
end.

Failure modes: a file that cannot be opened raises :class:`routewatch.errors.InputError`. A
compressed stream that is corrupt or cut short does not raise: everything decodable before the
damage is yielded, then :attr:`ChunkReader.problem` holds a one-line description (the caller
records it as a ``decompression-error`` problem).

Memory follows ``chunk_size``, not the compression ratio: every decompression call is bounded
to ``chunk_size`` bytes out (:func:`_inflate`), so a chunk is less than twice ``chunk_size``
and a decompression bomb (a few kB that expand to gigabytes) is read in the memory of a few
chunks; its time still follows what it expands to.

Speed: gzip is inflated with ISA-L (``isal``) when it is installed (about 4x zlib). bzip2, the
slowest to decompress, goes to an ``lbzip2`` child process (Debian package ``lbzip2``) when it
is installed and this process may use two cores or more: it decompresses beside the decoder,
about 1.5x faster per core than libbz2, and a thread here drains its pipe (memory: three
chunks ahead at most). On one core, or without ``lbzip2``, bzip2 goes through
``indexed_bzip2`` in this process on one thread (about 1.25x bz2): its parallel mode decodes
whole blocks ahead (a bzip2 block of a bomb expands to about 45 MB), so its memory follows the
compression ratio, not ``chunk_size``, and it keeps Python's lock, so the decoder waits for it.
The fast decoders are only trusted with well-formed
files: at the first sign of anything unusual (an error, a truncated stream, data after the last
stream) the file is decompressed again from the start with the standard library, the bytes
already handed out are skipped, and the rest, and the problem, are what the standard library
alone would have produced. The one difference: in a corrupt bzip2 stream the fast decoder may
already have handed out (CRC-checked) blocks before the damage that the standard library drops
together with the failing read.
"""

from __future__ import annotations

import contextlib
import importlib
import mmap
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

from routewatch.errors import InputError

__all__ = ["ChunkReader", "detect_compression"]

_READ_SIZE = 1 << 20


@cache
def _optional(module: str) -> Any:
    """The module if it is installed, else ``None`` (the fast decoders are optional).

    Decompressors are imported when a file needs them, not with this module: reading a
    gzip file does not load the bzip2, xz and zstd libraries.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def _isal_zlib() -> Any:
    return _optional("isal.isal_zlib")


def _indexed_bzip2() -> Any:
    return _optional("indexed_bzip2")


def _usable_cores() -> int:
    """How many cores this process may run on (its affinity mask, e.g. under ``taskset``)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@cache
def _lbzip2() -> str | None:
    """The ``lbzip2`` program's path if it is installed (Debian package ``lbzip2``), else None."""
    return shutil.which("lbzip2")


class _UnusualStreamError(Exception):
    """Raised by a fast decoder at anything but a clean end: redo with the standard library."""


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def detect_compression(head: bytes) -> str:
    """Name of the compression whose magic bytes start ``head`` (``none`` if no match)."""
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


class ChunkReader:
    """Iterate over the decompressed content of one file in chunks of about ``chunk_size``."""

    def __init__(self, path: str | os.PathLike[str], chunk_size: int = 8 << 20) -> None:
        self.path = os.fspath(path)
        self.chunk_size = chunk_size
        self.problem: str | None = None
        self.compressed_bytes = 0
        try:
            self._fh: BinaryIO = Path(self.path).open("rb")  # noqa: SIM115 - closed in __iter__
        except OSError as exc:
            raise InputError(
                f"Cannot open MRT file {self.path!r}: {exc.strerror}; check the path and "
                "its permissions."
            ) from exc
        self.compression = detect_compression(self._fh.read(8))
        self._fh.seek(0)

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self.compression == "none":
                yield from self._raw()
            else:
                yield from self._fast_then_exact()
        finally:
            self._fh.close()

    def _fast_then_exact(self) -> Iterator[bytes]:
        """Chunks from the fast decoder; on anything unusual, the standard library's rest."""
        done = 0
        fast = self._fast()
        if fast is not None:
            try:
                for chunk in fast:
                    done += len(chunk)
                    yield chunk
                return
            except _UnusualStreamError:
                self._fh.seek(0)
                self.compressed_bytes = 0
        for chunk in self._decompressed(_make, strict=False):
            if done >= len(chunk):
                done -= len(chunk)
                continue
            yield chunk[done:] if done else chunk
            done = 0

    def _fast(self) -> Iterator[bytes] | None:
        """The fast decoder's chunks for this file's compression, ``None`` if there is none."""
        if self.compression == "gzip" and _isal_zlib() is not None:
            return self._decompressed(_make_isal, strict=True)
        if self.compression == "bzip2" and _lbzip2() is not None and _usable_cores() > 1:
            return self._lbzip2_chunks()
        if self.compression == "bzip2" and _indexed_bzip2() is not None:
            return self._indexed_bzip2_chunks()
        return None

    def _lbzip2_chunks(self) -> Iterator[bytes]:
        """bzip2 by an ``lbzip2`` child process with a thread per usable core (at most 4),
        beside this process's decoding. A thread drains its pipe by ``chunk_size`` into a
        queue of two chunks, so the child runs up to three chunks ahead, no further (a pipe
        alone holds 64 KiB: the two would take turns). Raises :class:`_UnusualStreamError` if
        it fails, or if the file is not a clean sequence of streams (``lbzip2`` silently
        ignores data after a stream that does not start another one;
        :func:`_clean_bzip2_streams`). The child is killed if the reader stops early.
        """
        if not _clean_bzip2_streams(self._fh):
            raise _UnusualStreamError
        with tempfile.TemporaryFile() as errors:
            child = subprocess.Popen(
                [_lbzip2() or "lbzip2", "-d", "-c", "-n", str(min(_usable_cores(), 4)), "--",
                 self.path],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors,
            )  # fmt: skip
            assert child.stdout is not None
            ahead: queue.Queue[bytes] = queue.Queue(maxsize=2)
            failed: list[BaseException] = []
            pump = threading.Thread(
                target=_pump, args=(child.stdout, self.chunk_size, ahead, failed), daemon=True
            )
            pump.start()
            try:
                while data := ahead.get():
                    yield data
                if child.wait() != 0 or failed or os.fstat(errors.fileno()).st_size:
                    raise _UnusualStreamError
            finally:
                if child.poll() is None:
                    child.kill()
                while pump.is_alive():  # it ends at the killed child's end of pipe
                    with contextlib.suppress(queue.Empty):
                        ahead.get(timeout=0.05)
                child.stdout.close()
                child.wait()
        self.compressed_bytes = os.fstat(self._fh.fileno()).st_size

    def _indexed_bzip2_chunks(self) -> Iterator[bytes]:
        """bzip2 with ``indexed_bzip2`` on one thread, read by ``chunk_size`` (given the path,
        so that it reads the file without Python's lock). Raises :class:`_UnusualStreamError`
        unless the whole file is a clean sequence of streams (``indexed_bzip2`` would skip
        trailing data with only a warning on stderr).
        """
        size = os.fstat(self._fh.fileno()).st_size
        try:
            with _indexed_bzip2().open(self.path, parallelization=1) as fh:
                while True:
                    data = fh.read(self.chunk_size)
                    if not data:
                        break
                    yield data
                if fh.tell_compressed() != 8 * size:
                    raise _UnusualStreamError
        except (RuntimeError, ValueError, OSError, EOFError) as exc:
            raise _UnusualStreamError from exc
        self.compressed_bytes = size

    def _raw(self) -> Iterator[bytes]:
        while True:
            data = self._fh.read(self.chunk_size)
            if not data:
                return
            self.compressed_bytes += len(data)
            yield data

    def _decompressed(self, make: Callable[[str], object], strict: bool) -> Iterator[bytes]:
        """Chunks from the decompressor objects ``make`` returns, stream after stream.

        Every decompression call is bounded to ``chunk_size`` bytes (:func:`_inflate`), so a
        chunk is less than twice ``chunk_size`` whatever the compression ratio.
        ``strict`` (a fast decoder): raise :class:`_UnusualStreamError` where a problem would
        be noted.
        """
        kind = self.compression
        obj = make(kind)
        pending: list[bytes] = []
        size = 0
        in_stream = False  # True once the current stream has consumed input
        while True:
            data = self._fh.read(_READ_SIZE)
            if not data:
                break
            self.compressed_bytes += len(data)
            while data:
                pieces = _inflate(obj, data, self.chunk_size)
                while True:
                    try:
                        out = next(pieces, None)
                    except _errors() as exc:
                        if strict:
                            raise _UnusualStreamError from exc
                        self.problem = f"{kind} stream corrupt: {exc}"
                        if pending:
                            yield b"".join(pending)
                        return
                    in_stream = True
                    if out is None:
                        break
                    if out:
                        pending.append(out)
                        size += len(out)
                        if size >= self.chunk_size:
                            yield b"".join(pending)
                            pending, size = [], 0
                if _at_eof(obj):
                    data = _unused(obj)
                    obj = make(kind)
                    in_stream = False
                    if data and detect_compression(data[:8]) != kind:
                        if strict:
                            raise _UnusualStreamError
                        # trailing garbage after the last stream (gzip allows padding zeros)
                        if data.strip(b"\x00"):
                            self.problem = (
                                f"{len(data)} bytes of trailing garbage after {kind} data"
                            )
                        data = b""
                else:
                    data = b""
        if in_stream and strict:
            raise _UnusualStreamError
        if pending:
            yield b"".join(pending)
        if in_stream:
            self.problem = f"{kind} stream truncated (the file ends inside a compressed block)"


#: a bzip2 stream's header ("BZh" and the block size digit) followed by the magic of its first
#: block or, for an empty stream, of its end; and that end-of-stream magic (48 bits)
_BZIP2_STREAM_START = re.compile(rb"BZh[1-9](?:\x31\x41\x59\x26\x53\x59|\x17\x72\x45\x38\x50\x90)")
_BZIP2_END_MAGIC = 0x177245385090


def _ends_a_bzip2_stream(tail: bytes) -> bool:
    """Whether ``tail`` (11 bytes or fewer) ends with an end-of-stream marker: the 48-bit
    magic, the 32-bit stream CRC and at most 7 bits of zero padding (the marker is not byte
    aligned)."""
    bits = int.from_bytes(tail, "big")
    return any(
        (bits >> (32 + pad)) & ((1 << 48) - 1) == _BZIP2_END_MAGIC and bits & ((1 << pad) - 1) == 0
        for pad in range(8)
    )


def _clean_bzip2_streams(fh: BinaryIO) -> bool:
    """Whether the open file is nothing but whole bzip2 streams, one after another.

    Every stream header after the first must come right after an end-of-stream marker, and
    the file must end with one. Data after a stream that is not another stream (padding,
    garbage, a cut second stream) fails the test, so the caller can leave such files to the
    standard library, which reports them. A header pattern inside compressed data (80 bits
    by chance) would only send a clean file to the slower path.
    """
    size = os.fstat(fh.fileno()).st_size
    if size < 14:
        return False
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if not _ends_a_bzip2_stream(data[size - 11 :]):
            return False
        for match in _BZIP2_STREAM_START.finditer(data, 1):
            start = match.start()
            if not _ends_a_bzip2_stream(data[max(0, start - 11) : start]):
                return False
    return True


def _pump(
    pipe: BinaryIO, size: int, ahead: queue.Queue[bytes], failed: list[BaseException]
) -> None:
    """Move ``pipe``'s bytes into ``ahead`` by ``size`` (the thread of ``_lbzip2_chunks``);
    an empty chunk marks the end, also after an error, which goes to ``failed``."""
    try:
        while data := pipe.read(size):
            ahead.put(data)
    except (OSError, ValueError) as exc:
        failed.append(exc)
    finally:
        ahead.put(b"")


def _make(kind: str) -> object:
    if kind == "gzip":
        return zlib.decompressobj(wbits=47)
    if kind == "bzip2":
        import bz2

        return bz2.BZ2Decompressor()
    if kind == "xz":
        import lzma

        return lzma.LZMADecompressor()
    return _SlicedZstd()


def _make_isal(kind: str) -> object:
    """An ISA-L gzip / zlib decompressor (only used for ``gzip``)."""
    return _isal_zlib().decompressobj(wbits=47)


@cache
def _errors() -> tuple[type[BaseException], ...]:
    """What a decompressor object raises on damaged input."""
    import lzma

    import zstandard

    isal = _isal_zlib()
    return (
        OSError,
        EOFError,
        ValueError,
        zlib.error,
        lzma.LZMAError,
        zstandard.ZstdError,
        *((isal.error,) if isal is not None else ()),
    )


def _at_eof(obj: object) -> bool:
    return bool(getattr(obj, "eof", False))


def _unused(obj: object) -> bytes:
    data: bytes = getattr(obj, "unused_data", b"")
    return data


def _inflate(obj: Any, data: bytes, limit: int) -> Iterator[bytes]:
    """Everything ``obj`` decompresses from ``data`` (up to the end of its stream), in
    pieces of at most ``limit`` bytes each: the defence against
    decompression bombs, which expand a little input a thousandfold or more.

    zlib and ISA-L keep the input they did not use in ``unconsumed_tail`` (and may hold
    output for an empty call when a piece filled the bound); bz2, lzma and
    :class:`_SlicedZstd` buffer it and say ``needs_input``. After the end of a stream, the
    rest of ``data`` is in ``_unused(obj)``.
    """
    if hasattr(obj, "needs_input"):
        yield obj.decompress(data, limit)
        while not obj.eof and not obj.needs_input:
            yield obj.decompress(b"", limit)
        return
    while True:  # zlib, ISA-L
        out = obj.decompress(data, limit)
        yield out
        data = obj.unconsumed_tail
        if obj.eof or not (data or len(out) == limit):
            return


class _SlicedZstd:
    """A zstd decompressor object with the bounded interface of bz2's.

    ``zstandard``'s object has no output bound, so its input is fed in slices of
    :attr:`SLICE` bytes: a zstd block of 4 bytes (an RLE block) holds at most 128 KiB, so
    one slice expands to at most 2 MiB, and what exceeds ``max_length`` waits here.
    """

    SLICE = 64

    def __init__(self) -> None:
        import zstandard

        self._obj = zstandard.ZstdDecompressor().decompressobj()
        self._input = memoryview(b"")
        self._output = b""

    @property
    def needs_input(self) -> bool:
        """True when every byte given so far has been decompressed and handed out."""
        return not self._input and not self._output

    @property
    def eof(self) -> bool:
        """True at the end of the frame, once its output has been handed out."""
        return bool(self._obj.eof) and not self._output

    @property
    def unused_data(self) -> bytes:
        """The input after the end of the frame."""
        return bytes(self._obj.unused_data) + bytes(self._input)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        """At most ``max_length`` bytes decompressed from what was given so far and ``data``."""
        if data:
            self._input = memoryview(bytes(self._input) + data)
        out = [self._output]
        size = len(self._output)
        while size < max_length and self._input and not self._obj.eof:
            piece = self._obj.decompress(self._input[: self.SLICE])
            self._input = self._input[self.SLICE :]
            out.append(piece)
            size += len(piece)
        joined = b"".join(out)
        self._output = joined[max_length:]
        return joined[:max_length]
