"""The embedded store: one DuckDB file, replaced atomically by every write.

Role: :class:`Store` opens (creating or migrating) the database file, hands out read-only
connections, and runs every write — monthly snapshots, run records, migrations — as a
*copy-on-write swap*.

Why a swap. DuckDB (checked on 2.0.1) lets one process open a file read-write *or* any
number of processes open it read-only, never both: a writer gets "Could not set lock on file
… Conflicting lock is held" while any reader has the file open, and a reader gets the same
error while a writer has it. Writing in place would block the dashboard for the whole
snapshot (or the snapshot for as long as anyone reads). So a write

1. takes the writer lock (``fcntl.flock`` on ``<db>.lock``; one writer at a time, waiting up
   to ``lock_timeout`` seconds),
2. copies ``<db>`` to a hidden temporary ``.<db>.<pid>.<random>.tmp`` in the same folder,
3. opens the copy read-write and applies the change in one transaction, commits,
   ``CHECKPOINT``\\ s (so the copy has no WAL) and closes it,
4. fsyncs the copy and ``os.replace``\\ s it over ``<db>`` (atomic on POSIX), fsyncs the folder.

Readers open ``<db>`` read-only; one that opened before the rename keeps reading the old
file (its inode) consistently until it closes, one that opens after sees the new snapshot.
A writer that fails (exception) or is killed (``kill -9``, power loss) before step 4 leaves
``<db>`` untouched — the previous snapshot stays readable and intact — plus a stale
temporary, which the next writer deletes (it holds the lock, so no temporary can be live).
The price is a full copy of the file per write, which is fine for a monthly job.

Keep connections short: DuckDB shares one database instance per path inside a process, so a
connection held open across a swap keeps later connections of the same process on the old
file. :meth:`Store.reader` closes its connection when the block ends.

Failure modes (all :class:`~routewatch.errors.StoreError`, naming the file and the fix): the
file is missing and ``create`` is false; the file is not a DuckDB database; its schema is
newer than this code; another writer holds the lock past the timeout; DuckDB refuses a
statement. POSIX only (``fcntl``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from routewatch.errors import StoreError
from routewatch.store import snapshot
from routewatch.store.migrations import (
    CURRENT_VERSION,
    DATA_TABLES,
    check_version,
    migrate,
    schema_version,
)
from routewatch.store.snapshot import MonthTables, RunInfo

__all__ = ["DEFAULT_LOCK_TIMEOUT", "TABLES", "Store"]

#: Seconds a writer waits for another writer to finish.
DEFAULT_LOCK_TIMEOUT = 600.0
#: Every table a reader may ask for by name.
TABLES: tuple[str, ...] = ("runs", *DATA_TABLES, "schema_version")


@dataclass(frozen=True)
class Store:
    """A routewatch database file. Create with :meth:`open`."""

    path: Path
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: Path | str, *, create: bool = True,
             lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> Store:
        """Open the store at ``path``: create it (``create``), or migrate an older schema.

        Raises :class:`StoreError` for a missing file without ``create``, a file that is not a
        routewatch database, or a schema newer than this code.
        """
        store = cls(Path(path), lock_timeout)
        if not store.path.exists():
            if not create:
                raise StoreError(f"no routewatch database at {store.path}; run the pipeline "
                                 "first, or check the --db setting")
            store.path.parent.mkdir(parents=True, exist_ok=True)
        elif store.version() == CURRENT_VERSION:
            return store
        with store.writer() as con:
            version = schema_version(con)
            check_version(version, str(store.path))
            foreign = con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0]
            if version == 0 and foreign:
                raise StoreError(f"{store.path} is a DuckDB database but not routewatch's (it "
                                 "has tables and no schema_version); point --db elsewhere")
            migrate(con)
        return store

    def version(self) -> int:
        """The schema version of the file (0 for an empty one)."""
        with self.reader() as con:
            version = schema_version(con)
        check_version(version, str(self.path))
        return version

    # ------------------------------------------------------------------ reading
    @contextlib.contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection for the block (sessions in UTC); never blocks a writer."""
        if not self.path.exists():
            raise StoreError(f"no routewatch database at {self.path}; run the pipeline first")
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {self.path} read-only: {exc}; is it a routewatch "
                             "database, and is no other program writing it in place?") from exc
        try:
            con.execute("SET TimeZone = 'UTC'")
            yield con
        finally:
            con.close()

    def query(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        """Run one read-only SQL query and return its result as Arrow."""
        with self.reader() as con:
            try:
                return con.sql(sql, params=list(params) or None).to_arrow_table()
            except duckdb.Error as exc:
                raise StoreError(f"query on {self.path} failed: {exc}") from exc

    def table(self, name: str, month: dt.date | None = None) -> pa.Table:
        """Every row of one table, or only one month's (``runs`` included)."""
        if name not in TABLES:
            raise StoreError(f"unknown table {name!r}; tables: {', '.join(TABLES)}")
        if month is None:
            return self.query(f'SELECT * FROM "{name}"')
        return self.query(f'SELECT * FROM "{name}" WHERE month = ?', [month])

    def months(self) -> list[dt.date]:
        """Months that have a snapshot, oldest first."""
        rows = self.query("SELECT DISTINCT month FROM asn_metrics UNION "
                          "SELECT DISTINCT month FROM runs WHERE status <> 'failed' ORDER BY 1")
        return [m for m in rows.column(0).to_pylist() if m is not None]

    # ------------------------------------------------------------------ writing
    def write_snapshot(self, month: dt.date, tables: MonthTables, run: RunInfo) -> dict[str, int]:
        """Replace month ``month`` with ``tables`` and record ``run``, atomically (see module
        doc); the rows written per table. Idempotent: the same input gives the same rows."""
        with self.writer() as con:
            written = snapshot.write_snapshot(con, month, tables, run)
        return written

    def record_run(self, run: RunInfo) -> None:
        """Insert or replace one run's row (e.g. a failed run, which writes no snapshot)."""
        with self.writer() as con:
            snapshot.record_run(con, run)

    @contextlib.contextmanager
    def writer(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-write connection to a private copy; on clean exit the copy replaces the file.

        Everything done on the connection is one transaction. An exception in the block (or
        the process dying) leaves the file as it was.
        """
        with _writer_lock(self.path, self.lock_timeout):
            _remove_stale_copies(self.path)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}."
                                      f"{secrets.token_hex(4)}.tmp")
            try:
                if self.path.exists():
                    _copy(self.path, tmp)
                    wal = self.path.with_name(self.path.name + ".wal")
                    if wal.exists():  # left by a program that wrote the file in place
                        _copy(wal, tmp.with_name(tmp.name + ".wal"))
                with _transaction(tmp) as con:
                    yield con
                _fsync(tmp)
                tmp.replace(self.path)
                _fsync(self.path.parent)
            finally:
                _remove_copy(tmp)


def _copy(source: Path, target: Path) -> None:
    """Copy the store to its working copy; a failed copy (disk full) is a StoreError."""
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise StoreError(
            f"cannot make a working copy of the store {source}: {exc.strerror or exc}; nothing "
            f"was changed. Check free space and permissions in {target.parent}."
        ) from exc


@contextlib.contextmanager
def _transaction(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise StoreError(f"cannot open a working copy of the store at {path}: {exc}") from exc
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("BEGIN TRANSACTION")
        yield con
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
    except duckdb.Error as exc:
        raise StoreError(f"writing the store failed, nothing was changed: {exc}") from exc
    finally:
        con.close()


@contextlib.contextmanager
def _writer_lock(path: Path, timeout: float) -> Iterator[None]:
    """The exclusive writer lock of a store (``<db>.lock``), waiting up to ``timeout`` s."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("a") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"another routewatch process is writing {path} (lock {lock_path} held "
                        f"for more than {timeout:.0f} s); wait for it to finish"
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _remove_stale_copies(path: Path) -> None:
    """Delete working copies left by writers that died (call only under the writer lock)."""
    prefix = f".{path.name}."
    for stale in path.parent.iterdir():
        if stale.name.startswith(prefix) and ".tmp" in stale.name[len(prefix):]:
            stale.unlink(missing_ok=True)


def _remove_copy(tmp: Path) -> None:
    tmp.unlink(missing_ok=True)
    tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file's (or a folder's) data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
