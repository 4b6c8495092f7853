"""Decompression of MRT archives into large byte chunks, detected by magic bytes.

Role: turn a file (gzip, bzip2, xz, zstd or uncompressed, whatever its name says) into a
stream of decompressed ``bytes`` chunks of roughly ``chunk_size`` bytes, so the decoder can
work on big buffers. Multi-member gzip and multi-stream bzip2 / xz / zstd are followed to the
end.

Failure modes: a file that cannot be opened raises :class:`routewatch.errors.InputError`. A
compressed stream that is corrupt or cut short does not raise: everything decodable before the
damage is yielded, then :attr:`ChunkReader.problem` holds a one-line description (the caller
records it as a ``decompression-error`` problem).
"""

from __future__ import annotations

import bz2
import lzma
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import zstandard

from routewatch.errors import InputError

__all__ = ["ChunkReader", "detect_compression"]

_READ_SIZE = 1 << 20

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
                yield from self._decompressed()
        finally:
            self._fh.close()

    def _raw(self) -> Iterator[bytes]:
        while True:
            data = self._fh.read(self.chunk_size)
            if not data:
                return
            self.compressed_bytes += len(data)
            yield data

    def _decompressed(self) -> Iterator[bytes]:
        kind = self.compression
        obj = _make(kind)
        pending: list[bytes] = []
        size = 0
        in_stream = False  # True once the current stream has consumed input
        while True:
            data = self._fh.read(_READ_SIZE)
            if not data:
                break
            self.compressed_bytes += len(data)
            while data:
                try:
                    out = obj.decompress(data)  # type: ignore[attr-defined]
                except (
                    OSError,
                    EOFError,
                    ValueError,
                    zlib.error,
                    lzma.LZMAError,
                    zstandard.ZstdError,
                ) as exc:
                    self.problem = f"{kind} stream corrupt: {exc}"
                    if pending:
                        yield b"".join(pending)
                    return
                in_stream = True
                if out:
                    pending.append(out)
                    size += len(out)
                    if size >= self.chunk_size:
                        yield b"".join(pending)
                        pending, size = [], 0
                if _at_eof(obj):
                    data = _unused(obj)
                    obj = _make(kind)
                    in_stream = False
                    if data and detect_compression(data[:8]) != kind:
                        # trailing garbage after the last stream (gzip allows padding zeros)
                        if data.strip(b"\x00"):
                            self.problem = (
                                f"{len(data)} bytes of trailing garbage after {kind} data"
                            )
                        data = b""
                else:
                    data = b""
        if pending:
            yield b"".join(pending)
        if in_stream:
            self.problem = f"{kind} stream truncated (the file ends inside a compressed block)"


def _make(kind: str) -> object:
    if kind == "gzip":
        return zlib.decompressobj(wbits=47)
    if kind == "bzip2":
        return bz2.BZ2Decompressor()
    if kind == "xz":
        return lzma.LZMADecompressor()
    return zstandard.ZstdDecompressor().decompressobj()


def _at_eof(obj: object) -> bool:
    return bool(getattr(obj, "eof", False))


def _unused(obj: object) -> bytes:
    data: bytes = getattr(obj, "unused_data", b"")
    return data
