"""Read-only, bounded queries of the store for one web request.

Role: :class:`Reader` wraps one read-only cursor for a request. Cursors come from
:class:`Connections`, which keeps one connection from :meth:`Store.reader
<routewatch.store.Store.reader>` (the only way the web app touches the database) open per
*snapshot* of the file: opening the file costs tens of milliseconds, a cursor almost nothing.
When a writer has swapped in a new file (another inode, size or mtime), the next request waits
for the requests in flight on the old snapshot to finish, closes it and opens the new one — so
no request ever mixes two snapshots and every request after a swap sees the new data (DuckDB
shares one instance per path in a process, so the old one must be closed first).

Every query is parameterised (values are bound, never formatted into SQL), capped at
``row_cap`` rows, and interrupted after ``timeout`` seconds. Rows come back as plain dicts.

Failure modes: a query over its time limit raises :class:`~routewatch.web.params.ApiError`
(503, ``query-timeout``); anything the store refuses propagates as
:class:`~routewatch.errors.StoreError` to the app's error handler.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from routewatch.store import Store
from routewatch.web.params import ApiError

__all__ = ["DEFAULT_ROW_CAP", "DEFAULT_TIMEOUT", "Connections", "Limits", "Reader", "open_reader"]

#: Seconds one query may run before it is interrupted.
DEFAULT_TIMEOUT = 5.0
#: Most rows one query returns.
DEFAULT_ROW_CAP = 5000

Row = dict[str, Any]


class _Connection(Protocol):
    def execute(self, sql: str, params: Sequence[object] | None = ...) -> Any: ...
    def interrupt(self) -> None: ...
    def cursor(self) -> Any: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class Limits:
    """The time limit and row cap every query runs under."""

    timeout: float = DEFAULT_TIMEOUT
    row_cap: int = DEFAULT_ROW_CAP


class Reader:
    """Bounded, parameterised queries on one read-only connection."""

    def __init__(self, con: _Connection, limits: Limits) -> None:
        self._con = con
        self._limits = limits
        self._tables: set[str] | None = None

    def rows(self, sql: str, params: Sequence[object] = ()) -> list[Row]:
        """Rows of ``sql`` (a SELECT with ``?`` placeholders) as dicts, at most the row cap."""
        bounded = f"SELECT * FROM ({sql}) AS bounded LIMIT {int(self._limits.row_cap)}"
        names, found = self._run(bounded, params)
        return [dict(zip(names, row, strict=True)) for row in found]

    def names(self, sql: str, params: Sequence[object] = ()) -> list[str]:
        """The column names of ``sql`` (run with no rows)."""
        return self._run(f"SELECT * FROM ({sql}) AS shape LIMIT 0", params)[0]

    def _run(self, sql: str, params: Sequence[object]) -> tuple[list[str], list[Any]]:
        """Column names and rows of ``sql``, interrupted after the time limit."""
        fired = threading.Event()

        def _interrupt() -> None:
            fired.set()
            self._con.interrupt()

        timer = threading.Timer(self._limits.timeout, _interrupt)
        timer.start()
        try:
            cursor = self._con.execute(sql, list(params))
            return [str(d[0]) for d in cursor.description], list(cursor.fetchall())
        except Exception as exc:  # the driver's interrupt error; re-raised as ours
            if fired.is_set():
                raise ApiError(503, "query-timeout", f"the query took longer than "
                               f"{self._limits.timeout:g} s; narrow it (month, asn, limit)",
                               None) from exc
            raise
        finally:
            timer.cancel()

    def one(self, sql: str, params: Sequence[object] = ()) -> Row | None:
        """The first row of ``sql``, or ``None``."""
        found = self.rows(sql, params)
        return found[0] if found else None

    def scalar(self, sql: str, params: Sequence[object] = ()) -> Any:
        """The first column of the first row (``None`` when there is no row)."""
        row = self.one(sql, params)
        return None if row is None else next(iter(row.values()))

    def has_table(self, name: str) -> bool:
        """Whether the database has a table of that name (optional tables of newer schemas)."""
        if self._tables is None:
            found = self.rows("SELECT table_name FROM information_schema.tables")
            self._tables = {str(r["table_name"]) for r in found}
        return name in self._tables


class Connections:
    """One read-only connection per snapshot of the store file, handing out cursors."""

    def __init__(self, store: Store, limits: Limits) -> None:
        self.store = store
        self.limits = limits
        self._changed = threading.Condition()
        self._in_flight = 0
        self._key: tuple[int, int, int] | None = None
        self._stack: contextlib.ExitStack | None = None
        self._base: _Connection | None = None

    def _identity(self) -> tuple[int, int, int] | None:
        try:
            st = self.store.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _open(self, key: tuple[int, int, int] | None) -> _Connection:
        """The connection of the current snapshot (call holding ``_changed``)."""
        if key != self._key or self._base is None:
            while self._in_flight:
                self._changed.wait()
            self.close()
            stack = contextlib.ExitStack()
            self._base = stack.enter_context(self.store.reader())
            self._stack, self._key = stack, key
        return self._base

    @contextlib.contextmanager
    def reader(self) -> Iterator[Reader]:
        """A :class:`Reader` on a fresh cursor of the current snapshot."""
        with self._changed:
            cursor = self._open(self._identity()).cursor()
            self._in_flight += 1
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            yield Reader(cursor, self.limits)
        finally:
            cursor.close()
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def close(self) -> None:
        """Close the snapshot's connection (requests in flight keep their cursors)."""
        if self._stack is not None:
            self._stack.close()
        self._stack = self._base = self._key = None


@contextlib.contextmanager
def open_reader(store: Store, limits: Limits) -> Iterator[Reader]:
    """A :class:`Reader` on its own short-lived read-only connection (tools and tests)."""
    with store.reader() as con:
        yield Reader(con, limits)
