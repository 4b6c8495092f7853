"""The download cache: content-addressed blobs plus a manifest of what was fetched, when.

On-disk format, under the ``cache-dir`` setting::

    blobs/ab/ab12…ef.gz    file content, named by its SHA-256 (suffix kept for humans/tools)
    tmp/                   downloads in progress; never read, swept when older than a day
    manifest.sqlite        one row per (cache key, content): URL, size, sha256, fetched-at,
                           checked-at, as-of, source/collector/kind, HTTP validators, checksum

A download becomes visible only through :meth:`Cache.commit`: the verified temporary file is
renamed (atomic on one file system) into ``blobs/`` and then the manifest row is written in one
SQLite transaction. A crash before the rename leaves a stray file in ``tmp/``; a crash between
rename and manifest leaves an unreferenced blob. Neither changes what :meth:`Cache.latest`
returns, so the last good snapshot always survives a failed or interrupted fetch.
Committing the same content for the same key again only refreshes ``checked_at``.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from routewatch.sources.base import PlanItem

__all__ = ["Cache", "Entry", "Fields"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshots (
    key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    source TEXT NOT NULL,
    collector TEXT NOT NULL,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob TEXT NOT NULL,
    as_of TEXT,
    fetched_at TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    checksum TEXT,
    PRIMARY KEY (key, sha256)
);
CREATE INDEX IF NOT EXISTS snapshots_series ON snapshots (source, collector, kind, as_of);
"""
_COLUMNS = ("key, sha256, source, collector, kind, url, size, blob, as_of, fetched_at, "
            "checked_at, etag, last_modified, checksum")
_TMP_MAX_AGE = 86400.0
_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"  # sortable text; as-of comparisons run in SQL


@dataclass(frozen=True)
class Entry:
    """One manifest row: a snapshot in the cache and where it came from."""

    key: str
    sha256: str
    source: str
    collector: str
    kind: str
    url: str
    size: int
    path: Path
    as_of: dt.datetime | None
    fetched_at: dt.datetime
    checked_at: dt.datetime
    etag: str | None = None
    last_modified: str | None = None
    checksum: str | None = None


class Cache:
    """Blobs by SHA-256 and the SQLite manifest under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.tmp = root / "tmp"
        self.manifest = root / "manifest.sqlite"
        self._reads: tuple[int, sqlite3.Connection] | None = None

    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.manifest, timeout=30.0)
        connection.executescript(_SCHEMA)
        return connection

    @contextmanager
    def temporary(self, suffix: str = "") -> Iterator[Path]:
        """A fresh file in ``tmp/`` for a download; removed on exit unless committed."""
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._sweep()
        handle, name = tempfile.mkstemp(dir=self.tmp, suffix=suffix + ".part")
        os.close(handle)
        path = Path(name)
        try:
            yield path
        finally:
            path.unlink(missing_ok=True)

    def commit(self, temp: Path, item: PlanItem, fields: Fields) -> Entry:
        """Move a verified temporary file into the store and record it; idempotent."""
        blob = self.blob_path(fields.sha256, item.filename)
        blob.parent.mkdir(parents=True, exist_ok=True)
        if blob.exists() and blob.stat().st_size == fields.size:
            temp.unlink()
        else:
            temp.replace(blob)
        return self.record(item, fields, blob)

    def record(self, item: PlanItem, fields: Fields, blob: Path) -> Entry:
        """Write (or refresh) the manifest row for ``item`` with content ``fields.sha256``."""
        row = (item.key, fields.sha256, item.source, item.collector, item.kind, fields.url,
               fields.size, str(blob.relative_to(self.root)), _iso(fields.as_of),
               _iso(fields.fetched_at), _iso(fields.fetched_at), fields.etag,
               fields.last_modified, fields.checksum)
        with closing(self._connect()) as db, db:
            db.execute(
                f"INSERT INTO snapshots ({_COLUMNS}) VALUES ({', '.join('?' * 14)}) "
                "ON CONFLICT (key, sha256) DO UPDATE SET checked_at = excluded.checked_at, "
                "url = excluded.url, etag = COALESCE(excluded.etag, etag), "
                "last_modified = COALESCE(excluded.last_modified, last_modified), "
                "checksum = COALESCE(excluded.checksum, checksum)",
                row,
            )
        entry = self.latest(item.key)
        assert entry is not None
        return entry

    def touch(self, entry: Entry, when: dt.datetime) -> None:
        """Record that the publisher confirmed ``entry`` is current (HTTP 304)."""
        with closing(self._connect()) as db, db:
            db.execute("UPDATE snapshots SET checked_at = ? WHERE key = ? AND sha256 = ?",
                       (_iso(when), entry.key, entry.sha256))

    def latest(self, key: str) -> Entry | None:
        """The most recently fetched usable snapshot stored under ``key``."""
        return self._first("WHERE key = ? ORDER BY fetched_at DESC", (key,))

    def latest_in_series(self, item: PlanItem) -> Entry | None:
        """The newest usable snapshot of the item's series not newer than the item's as-of."""
        if item.as_of is None:
            return self._first("WHERE source = ? AND collector = ? AND kind = ? "
                               "ORDER BY fetched_at DESC",
                               (item.source, item.collector, item.kind))
        return self._first("WHERE source = ? AND collector = ? AND kind = ? AND as_of <= ? "
                           "ORDER BY as_of DESC, fetched_at DESC",
                           (item.source, item.collector, item.kind, _text(item.as_of)))

    def entries(self, source: str | None = None) -> list[Entry]:
        """Every manifest row (of one source), newest first; rows whose blob is gone skipped."""
        where, args = ("WHERE source = ?", (source,)) if source else ("", ())
        return [e for e in self._select(f"{where} ORDER BY fetched_at DESC", args)
                if _usable(e)]

    def blob_path(self, sha256: str, filename: str) -> Path:
        """Where content ``sha256`` lives; keeps the original compression suffix."""
        suffix = "".join(s for s in Path(filename).suffixes[-2:] if s[1:].isalnum())
        return self.blobs / sha256[:2] / f"{sha256}{suffix}"

    def _first(self, clause: str, args: tuple[str, ...]) -> Entry | None:
        for entry in self._select(clause, args):
            if _usable(entry):
                return entry
        return None

    def _select(self, clause: str, args: tuple[str, ...]) -> list[Entry]:
        if not self.manifest.exists():
            return []
        rows = self._reader().execute(f"SELECT {_COLUMNS} FROM snapshots {clause}",
                                      args).fetchall()
        return [self._entry(row) for row in rows]

    def _reader(self) -> sqlite3.Connection:
        """One connection for this process's look-ups (a month plans some 10,000 files per
        collector: a connection each cost about 0.3 ms). Outside a transaction every SELECT
        sees what other processes committed; a forked child opens its own."""
        if self._reads is None or self._reads[0] != os.getpid():
            self._reads = (os.getpid(), self._connect())
        return self._reads[1]

    def _entry(self, row: tuple[object, ...]) -> Entry:
        (key, sha, source, collector, kind, url, size, blob, as_of, fetched, checked, etag,
         modified, checksum) = row
        return Entry(str(key), str(sha), str(source), str(collector), str(kind), str(url),
                     int(str(size)), self.root / str(blob), _parse(as_of), _when(fetched),
                     _when(checked), _opt(etag), _opt(modified), _opt(checksum))

    def _sweep(self) -> None:
        cutoff = time.time() - _TMP_MAX_AGE
        for stray in self.tmp.glob("*.part"):
            try:
                if stray.stat().st_mtime < cutoff:
                    stray.unlink()
            except FileNotFoundError:
                continue


@dataclass(frozen=True)
class Fields:
    """What a fetch learned about new content, for the manifest row."""

    url: str
    sha256: str
    size: int
    as_of: dt.datetime | None
    fetched_at: dt.datetime
    etag: str | None = None
    last_modified: str | None = None
    checksum: str | None = None



def _usable(entry: Entry) -> bool:
    try:
        return entry.path.stat().st_size == entry.size
    except FileNotFoundError:
        return False


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime(_FORMAT)


def _text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(_FORMAT)


def _parse(value: object) -> dt.datetime | None:
    return None if value is None else _when(value)


def _when(value: object) -> dt.datetime:
    return dt.datetime.strptime(str(value), _FORMAT).replace(tzinfo=dt.UTC)


def _opt(value: object) -> str | None:
    return None if value is None else str(value)
