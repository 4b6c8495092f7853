"""Checks a downloaded file must pass before it may replace anything in the cache.

:func:`verify_content` reads compressed archives to their very end (gzip members, bzip2
streams, xz blocks), so a body cut short at a chunk boundary that HTTP did not notice is still
caught; JSON must parse; text and CSV must not be HTML and must reach the item's minimum size;
a CSV whose layout is known must have its number of fields in the header and in at least
:data:`CSV_SHAPE_SHARE` of the first lines (an error message or another table served with
status 200 is refused).
:func:`verify_checksum` compares the file with a publisher's ``.md5`` / ``.sha256`` file.

Fetched data is hostile: every failure raises :class:`~routewatch.errors.FetchError` naming
the file, the check and what was found, and the caller discards the temporary file.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import hashlib
import io
import json
import lzma
import re
import zlib
from pathlib import Path

from routewatch.errors import FetchError
from routewatch.sources.base import Content

__all__ = ["CSV_SHAPE_SHARE", "parse_checksum", "verify_checksum", "verify_content"]

_MAGIC = {
    Content.GZIP: b"\x1f\x8b",
    Content.BZIP2: b"BZh",
    Content.XZ: b"\xfd7zXZ\x00",
}
_CHUNK = 1 << 20
#: Share of the sampled lines of a CSV that must have the expected number of fields.
CSV_SHAPE_SHARE = 0.9
_CSV_SAMPLE = 64 * 1024


def verify_content(path: Path, content: Content, *, min_size: int = 1, label: str = "",
                   columns: int = 0) -> None:
    """Raise FetchError unless ``path`` is a complete, well-formed file of kind ``content``
    (for a CSV with ``columns``, of that many fields a line)."""
    name = label or path.name
    size = path.stat().st_size
    if size < min_size:
        raise FetchError(f"{name}: {size} bytes, fewer than the {min_size} any real snapshot "
                         "has; the publisher served an empty or placeholder file")
    with path.open("rb") as handle:
        head = handle.read(512)
    if head.lstrip().lower().startswith((b"<!doctype html", b"<html")):
        raise FetchError(f"{name}: is an HTML page, not {content.value} data")
    magic = _MAGIC.get(content)
    if magic is not None:
        if not head.startswith(magic):
            raise FetchError(f"{name}: expected {content.value} data, the first bytes are "
                             f"{head[:8].hex()}")
        _read_to_end(path, content, name)
    elif content is Content.JSON:
        _parse_json(path, name)
    elif content is Content.CSV and columns:
        _check_csv_shape(path, columns, name)


def _read_to_end(path: Path, content: Content, name: str) -> None:
    try:
        with _open_compressed(path, content) as stream:
            while stream.read(_CHUNK):
                pass
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as exc:
        raise FetchError(f"{name}: {content.value} stream is corrupt or cut short ({exc}); "
                         "the download is incomplete") from exc


def _open_compressed(path: Path, content: Content) -> io.BufferedIOBase:
    if content is Content.GZIP:
        return gzip.open(path, "rb")
    if content is Content.BZIP2:
        return bz2.open(path, "rb")
    return lzma.open(path, "rb")


def _parse_json(path: Path, name: str) -> None:
    try:
        with path.open("rb") as handle:
            json.load(handle)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FetchError(f"{name}: not valid JSON ({exc}); the download is incomplete or "
                         "the server sent an error page") from exc


def _check_csv_shape(path: Path, columns: int, name: str) -> None:
    with path.open("rb") as handle:
        head = handle.read(_CSV_SAMPLE)
    lines = head.decode("utf-8", "replace").splitlines()
    if len(head) == _CSV_SAMPLE:
        lines = lines[:-1]  # the last line may be cut by the sample
    widths = [len(row) for row in csv.reader(line for line in lines if line.strip())]
    if not widths or widths[0] != columns:
        raise FetchError(f"{name}: expected a CSV header of {columns} fields, found "
                         f"{widths[0] if widths else 'no line'}; the publisher changed the "
                         "format or served something else")
    good = sum(1 for width in widths[1:] if width == columns)
    if good < CSV_SHAPE_SHARE * (len(widths) - 1):
        raise FetchError(f"{name}: only {good} of the first {len(widths) - 1} lines have "
                         f"{columns} fields; the publisher changed the format or served "
                         "something else")


def parse_checksum(text: str) -> tuple[str, str] | None:
    """The (algorithm, hex digest) in a checksum file: ``md5sum``, ``sha256sum`` or BSD style."""
    match = re.search(r"\b([0-9a-fA-F]{64}|[0-9a-fA-F]{32})\b", text)
    if match is None:
        return None
    digest = match.group(1).lower()
    return ("sha256" if len(digest) == 64 else "md5"), digest


def verify_checksum(path: Path, text: str, *, label: str = "") -> str:
    """Compare ``path`` with the checksum file ``text``; return ``algo:digest`` or raise."""
    name = label or path.name
    parsed = parse_checksum(text)
    if parsed is None:
        raise FetchError(f"{name}: the publisher's checksum file holds no MD5/SHA-256 digest")
    algorithm, expected = parsed
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    if digest.hexdigest() != expected:
        raise FetchError(f"{name}: {algorithm} checksum mismatch (publisher {expected}, "
                         f"downloaded {digest.hexdigest()}); the file was corrupted in transit "
                         "or the mirror is out of date")
    return f"{algorithm}:{expected}"
