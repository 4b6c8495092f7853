"""Open any reference file and find the registered format that reads it.

Role: the one place that turns a path into bytes. Compression is recognised by magic bytes,
never by the file name (gzip ``1f 8b``, bzip2 ``BZh``, xz ``fd 37 7a 58 5a 00``, zstd
``28 b5 2f fd``) and removed transparently, so every loader reads ``x``, ``x.gz`` and a
misnamed ``x.cache`` alike. :func:`detect` hands the first 64 KiB of the decompressed content
and the file name to every :class:`~routewatch.reference.base.Format` in
:data:`~routewatch.reference.base.FORMATS` and returns the one that accepts it.

A UTF-8 byte-order mark at the start of the content is dropped here, once, for every loader
and sniffer. Line-shaped sniffers judge the head with :func:`mostly`, the one tolerance rule:
a few bad lines in the sampled head (at most :data:`SNIFF_BAD_LINES` or one in
:data:`SNIFF_BAD_SHARE`, and fewer than the good ones) do not hide the format; the loader then
reports each bad line with its file and line number and keeps every good row.

When the kind is named (``ref show KIND``, ``--rpki FILE`` and the other typed inputs) and no
format of that kind accepts the head as a whole, :func:`detect` is lenient: each format of the
kind is offered the head's lines one at a time and the one that accepts most of them loads the
file (the only format of the kind does, even with no vote). Auto-detection stays strict beyond
the tolerance, because a wrong guess there would load a file as the wrong kind. A header (CSV
column names, a JSON document's opening) may follow up to :data:`HEADER_WITHIN` stray lines
(:func:`header_line`); loaders report those lines (:func:`stray_lines`) and read on.

Failure modes: a file that no format accepts raises
:class:`~routewatch.errors.UnsupportedFormatError` naming the known formats; a file that
cannot be opened raises :class:`~routewatch.errors.InputError`. A cut-off or corrupt
compressed stream is not fatal: :func:`read_head` and :func:`numbered_lines` return what could
be decompressed (the latter adds a :class:`~routewatch.reference.base.LineProblem`), so a
truncated download is still recognised and its complete lines still load. When several
formats accept the same content the first registered wins (registration order is the import
order of :data:`LOADER_MODULES`).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import importlib
import io
import lzma
import zlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, NoReturn, TypeVar, cast

import zstandard

from routewatch import settings
from routewatch.errors import ImplausibleInputError, InputError, UnsupportedFormatError
from routewatch.reference.base import FORMATS, Format, LineProblem, RefKind, Snapshot

__all__ = [
    "DECOMPRESSION_ERRORS",
    "HEADER_WITHIN",
    "HEAD_SIZE",
    "LOADER_MODULES",
    "SNIFF_BAD_LINES",
    "SNIFF_BAD_SHARE",
    "detect",
    "document_limit",
    "head_lines",
    "header_line",
    "import_loaders",
    "load_any",
    "mostly",
    "numbered_lines",
    "open_binary",
    "open_text",
    "read_all_text",
    "read_head",
    "read_whole",
    "stray_lines",
]

#: How much decompressed content a format's sniffer sees.
HEAD_SIZE = 64 * 1024

#: Bad lines a line-shaped sniffer tolerates in its sample: this many, or one in
#: ``SNIFF_BAD_SHARE`` lines when that is more (see :func:`mostly`).
SNIFF_BAD_LINES = 2
SNIFF_BAD_SHARE = 20

#: How many lines of the head the named-kind vote reads (see :func:`detect`).
VOTE_LINES = 200

#: Stray lines a header (CSV column names, a JSON document's opening) may follow; the loader
#: reports them and starts after the header (see :func:`header_line`).
HEADER_WITHIN = 5

#: Every module that registers reference formats; importing them fills ``FORMATS``.
LOADER_MODULES: tuple[str, ...] = (
    "routewatch.reference.rpki",
    "routewatch.reference.bogons",
    "routewatch.reference.irr",
    "routewatch.reference.asrel",
    "routewatch.reference.registry",
    "routewatch.reference.peeringdb",
    "routewatch.reference.manrs",
    "routewatch.reference.spoofer",
)

#: What reading a damaged compressed stream can raise (everything before it was returned).
DECOMPRESSION_ERRORS: tuple[type[Exception], ...] = (
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
    zstandard.ZstdError,
)

_GZIP = b"\x1f\x8b"
_BZIP2 = b"BZh"
_XZ = b"\xfd7zXZ\x00"
_ZSTD = b"\x28\xb5\x2f\xfd"
_BOM = b"\xef\xbb\xbf"

T = TypeVar("T")


def import_loaders() -> list[Format]:
    """Import every loader module so that all formats are registered; returns the registry."""
    for module in LOADER_MODULES:
        importlib.import_module(module)
    return FORMATS


def open_binary(path: Path) -> IO[bytes]:
    """Open ``path`` for reading, decompressing gzip, bzip2, xz or zstd by its magic bytes.

    A UTF-8 byte-order mark at the start of the (decompressed) content is skipped. Reading a
    cut-off or corrupt compressed stream raises one of :data:`DECOMPRESSION_ERRORS` at the
    point of damage; everything before it has been returned (see :func:`numbered_lines`).
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot open {path}: {exc.strerror}; check the path") from exc
    stream = _decompressed(raw)
    _skip_bom(stream)
    return stream


def _decompressed(raw: IO[bytes]) -> IO[bytes]:
    """``raw`` itself, or a decompressing reader chosen by its magic bytes."""
    magic = raw.read(6)
    raw.seek(0)
    if magic.startswith(_GZIP):
        return cast(IO[bytes], gzip.GzipFile(fileobj=raw, mode="rb"))
    if magic.startswith(_BZIP2):
        return cast(IO[bytes], bz2.BZ2File(raw, mode="rb"))
    if magic.startswith(_XZ):
        return cast(IO[bytes], lzma.LZMAFile(raw, mode="rb"))
    if magic.startswith(_ZSTD):
        return _open_zstd(raw)
    return raw


def _skip_bom(stream: IO[bytes]) -> None:
    """Consume a leading UTF-8 byte-order mark (a damaged stream is left to the reader)."""
    try:
        if cast(io.BufferedReader, stream).peek(len(_BOM))[: len(_BOM)] == _BOM:
            stream.read(len(_BOM))
    except DECOMPRESSION_ERRORS:
        return


def _open_zstd(raw: IO[bytes]) -> IO[bytes]:
    reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
    return cast(IO[bytes], io.BufferedReader(cast(io.RawIOBase, reader)))


def numbered_lines(path: Path, problems: list[LineProblem]) -> Iterator[tuple[int, str]]:
    """(1-based line number, line) of the decompressed text; a cut-off or corrupt compressed
    stream ends the iteration with a :class:`LineProblem` instead of an exception."""
    lineno = 0
    with open_text(path) as stream:
        try:
            for lineno, line in enumerate(stream, start=1):
                yield lineno, line
        except DECOMPRESSION_ERRORS as exc:
            problems.append(
                LineProblem(
                    str(path), lineno + 1, f"compressed stream is cut off or corrupt: {exc}"
                )
            )


def read_all_text(path: Path, problems: list[LineProblem]) -> str:
    """The whole decompressed text (for formats that are one JSON document); a cut-off
    stream gives what could be read plus a :class:`LineProblem`. Refused beyond the setting
    ``max-document-bytes`` (see :func:`read_whole`)."""
    limit, size, lines = document_limit(), 0, []
    for _, line in numbered_lines(path, problems):
        size += len(line)
        if size > limit:
            _too_big(path, limit)
        lines.append(line)
    return "".join(lines)


def read_whole(path: Path) -> bytes:
    """The whole decompressed content, refused (:class:`ImplausibleInputError`) when it is
    larger than the setting ``max-document-bytes``: a decompression bomb must not fill memory.
    A damaged compressed stream raises as :func:`open_binary` does."""
    limit, chunks, size = document_limit(), [], 0
    with open_binary(path) as stream:
        while chunk := stream.read(1 << 20):
            size += len(chunk)
            if size > limit:
                _too_big(path, limit)
            chunks.append(chunk)
    return b"".join(chunks)


def document_limit() -> int:
    """The setting ``max-document-bytes``."""
    return int(settings.get("max-document-bytes"))


def _too_big(path: Path, limit: int) -> NoReturn:
    raise ImplausibleInputError(
        f"{path}: decompresses to more than {limit:,} bytes, more than a reference document "
        "is read whole; refused as a possible decompression bomb. If the file is genuine, "
        "raise the setting max-document-bytes (ROUTEWATCH_MAX_DOCUMENT_BYTES)."
    )


def open_text(path: Path) -> IO[str]:
    """Open ``path`` as UTF-8 text (decompressed; undecodable bytes become U+FFFD)."""
    return io.TextIOWrapper(
        open_binary(path), encoding="utf-8", errors="routewatch-latin1", newline=None
    )


def _latin1_fallback(error: UnicodeError) -> tuple[str, int]:
    """Decode bytes that are not UTF-8 as Latin-1 (older RIPE dumps are Latin-1)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("routewatch-latin1", _latin1_fallback)


def read_head(path: Path, size: int = HEAD_SIZE) -> bytes:
    """The first ``size`` bytes of the decompressed content (fewer for a short file).

    A truncated or corrupt compressed stream yields what could be decompressed.
    """
    chunks: list[bytes] = []
    with open_binary(path) as stream:
        remaining = size
        while remaining > 0:
            try:
                chunk = stream.read(min(remaining, 4096))  # small reads: keep what came out
            except DECOMPRESSION_ERRORS:
                break
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    return b"".join(chunks)


def head_lines(head: bytes) -> list[bytes]:
    """The complete, non-blank lines of a head (a head may end inside its last line)."""
    lines = head.splitlines()
    if lines and not head.endswith((b"\n", b"\r")):
        lines = lines[:-1]
    return [line for line in lines if line.strip()]


def header_line(head: bytes, is_header: Callable[[bytes], bool]) -> int | None:
    """The 1-based number of the first line ``is_header`` accepts among the first
    :data:`HEADER_WITHIN` + 1 lines of ``head``, or None."""
    for number, line in enumerate(head.splitlines()[: HEADER_WITHIN + 1], start=1):
        if is_header(line):
            return number
    return None


def stray_lines(head: bytes, header: int) -> list[int]:
    """The numbers of the non-blank lines before line ``header`` (what a loader reports)."""
    lines = head.splitlines()[: header - 1]
    return [number for number, line in enumerate(lines, start=1) if line.strip()]


def mostly(lines: Sequence[T], matches: Callable[[T], bool]) -> bool:
    """Whether sampled ``lines`` are of the shape ``matches`` tests, but for a few bad ones.

    The one tolerance rule of the line-shaped sniffers: more good lines than bad, and at most
    :data:`SNIFF_BAD_LINES` bad lines or one in :data:`SNIFF_BAD_SHARE`, whichever is more.
    """
    bad = sum(1 for line in lines if not matches(line))
    good = len(lines) - bad
    return good > bad and bad <= max(SNIFF_BAD_LINES, len(lines) // SNIFF_BAD_SHARE)


def detect(path: Path, kind: RefKind | None = None) -> Format:
    """The registered format that reads ``path`` (restricted to ``kind`` when given).

    With ``kind`` named and no format of it accepting the head, the format of that kind that
    accepts most of the head's lines one by one is chosen (see the module doc).
    """
    head = read_head(path)
    candidates = [f for f in FORMATS if kind is None or f.kind == kind]
    for fmt in candidates:
        if fmt.sniff(head, path.name):
            return fmt
    chosen = _vote(head, path.name, candidates) if kind is not None else None
    if chosen is not None:
        return chosen
    known = ", ".join(f"{f.name} ({f.kind.value})" for f in candidates) or "none registered"
    wanted = f" of kind {kind.value}" if kind is not None else ""
    raise UnsupportedFormatError(
        f"{path}: content matches no known reference format{wanted}. Known formats: {known}. "
        "Check that the file is complete and uncompressed or gzip/bzip2/xz/zstd-compressed."
    )


def _vote(head: bytes, name: str, candidates: Sequence[Format]) -> Format | None:
    """The candidate accepting most head lines offered alone (the only candidate: always)."""
    if len(candidates) == 1:
        return candidates[0]
    lines = head_lines(head)[:VOTE_LINES]
    votes = [sum(fmt.sniff(line + b"\n", name) for line in lines) for fmt in candidates]
    best = max(votes, default=0)
    return candidates[votes.index(best)] if best > 0 else None


def load_any(paths: Sequence[Path], kind: RefKind | None = None) -> Snapshot:
    """Detect the format of every path (all must agree) and load them as one snapshot."""
    if not paths:
        raise InputError("no file given; pass at least one reference file")
    import_loaders()
    formats = [detect(p, kind) for p in paths]
    names = {f.name for f in formats}
    if len(names) > 1:
        listing = ", ".join(f"{p} -> {f.name}" for p, f in zip(paths, formats, strict=True))
        raise InputError(f"files of different formats cannot be loaded together: {listing}")
    return formats[0].load(list(paths))
