"""RPKI loaders: validated ROA payloads (VRPs) and ASPAs from the formats validators write.

Role: turn one validator output into a VRPS snapshot (and, for rpki-client JSON, an ASPAS
snapshot) that :class:`routewatch.reference.rov.VrpIndex` indexes.

Formats read (all registered for ``routewatch ref show``):

==========================  ===============================================================
``rpki-client-json``        rpki-client ``-j``: ``{"metadata": {"buildtime": ...},
                            "roas": [{"asn": 13335, "prefix": ..., "maxLength": 24,
                            "ta": ..., "expires": <epoch>}], "aspas": [{"customer": ...,
                            "providers": [...], "expires": ...}]}``
``routinator-json``         Routinator ``--format json``: ``{"metadata": {"generatedTime":
                            ...}, "roas": [{"asn": "AS13335", "prefix": ..., "maxLength":
                            24, "ta": ...}]}``
``routinator-csv``          ``ASN,IP Prefix,Max Length,Trust Anchor`` (also ``csvcompat``,
                            quoted, and the RIPE NCC RPKI Validator CSV)
``ripe-rpki-archive-csv``   RIPE NCC RPKI archive ``roas.csv`` / Routinator ``csvext``:
                            ``URI,ASN,IP Prefix,Max Length,Not Before,Not After``
``rcynic-scan-roas``        rcynic ``scan_roas`` text: ``signing-time ASN prefix[-maxlen]
                            ...`` — one ROA per line, one VRP per prefix
==========================  ===============================================================

ASNs are accepted as ``AS123`` or ``123``; a missing maxLength is the prefix length. The
as-of date comes from the content (rpki-client ``buildtime``, Routinator ``generatedTime``)
when present, else from the file name (``_20220102``, ``2017-04-13T170202Z``), else None.

Failure modes: a malformed record (bad prefix, ASN, maxLength shorter than the prefix or
longer than the family allows) becomes a :class:`~routewatch.reference.base.LineProblem`
with file and line number and the load goes on; so does an ``expires`` that is no time
between 1970 and 9999 (the VRP or ASPA is kept without an expiry), a JSON object holding
bytes that are not UTF-8 (the object is skipped) and an ASPA without a provider list. Fewer
than ``min_rows`` VRPs in total raises :class:`~routewatch.errors.ImplausibleInputError`.

Speed (800,000 VRPs load in about a second from CSV, a few seconds from JSON): CSV is read
by Arrow's streaming CSV reader in 4 MiB batches; the ``roas`` array of a JSON file is cut
into 8 MiB chunks of flat objects that Arrow's JSON reader parses (objects with nested
members, or chunks it refuses, go object by object through :mod:`json`). Each batch is
checked with vectorised code: the two prefix shapes nearly every VRP has (``192.0.2.0/24``,
``2001:db8::/32``) are parsed by a numba kernel straight from the Arrow string buffer, every
other prefix row by row with :func:`parse_prefix_text`. No list of dicts is ever built; CSV
content Arrow refuses falls back to Python's csv module, and so does a CSV file with bytes
that are not UTF-8 (checked as the bytes stream in: Arrow cannot hand such a row to its
invalid-row handler, and its JSON reader would put them into string columns unchecked).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import io
import json
import re
import socket
from array import array
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import numba
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.json as pajson

from routewatch.asns import parse_asn
from routewatch.errors import ImplausibleInputError
from routewatch.reference.base import Format, LineProblem, RefKind, Snapshot, register
from routewatch.reference.jsonscan import array_elements, array_start
from routewatch.reference.sniff import (
    head_lines,
    header_line,
    mostly,
    open_binary,
    open_text,
    read_head,
    read_whole,
    stray_lines,
)
from routewatch.schemas import ASPAS, VRPS

__all__ = [
    "DEFAULT_MIN_ASPAS",
    "DEFAULT_MIN_VRPS",
    "as_of_from_name",
    "csv_records",
    "load_aspas",
    "load_rcynic_scan_roas",
    "load_ripe_archive_csv",
    "load_routinator_csv",
    "load_routinator_json",
    "load_rpki_client_json",
    "parse_prefix_text",
]

#: Fewer VRPs than this is refused. The smallest real inputs are per-TA archive files (the
#: AFRINIC TA held ~4,400 VRPs in 2022); a global snapshot has held >= 5,000 since 2016.
DEFAULT_MIN_VRPS = 100
#: ASPAs are young (first objects 2023); any non-empty list is plausible.
DEFAULT_MIN_ASPAS = 1

_MASK64 = (1 << 64) - 1
#: The latest expiry a VRP can carry: 9999-12-31T23:59:59Z (the last second a timestamp can
#: be shown as a date). A validator writes the expiry of a certificate, years ahead at most.
_EXPIRES_MAX = 253_402_300_799
_DATE_IN_NAME = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
_TA_IN_NAME = re.compile(r"(afrinic|apnic|arin|lacnic|ripe-?ncc|ripe)[._-]tal", re.IGNORECASE)


def as_of_from_name(name: str) -> dt.date | None:
    """The date a file name carries (``_20220102``, ``2017-04-13T170202Z``), else None."""
    for match in _DATE_IN_NAME.finditer(name):
        try:
            return dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            continue
    return None


class _VrpColumns:
    """Typed column buffers a loader appends VRPs to; :meth:`table` gives the VRPS table."""

    def __init__(self) -> None:
        self.prefix: list[str] = []
        self.afi = array("B")
        self.hi = array("Q")
        self.lo = array("Q")
        self.length = array("B")
        self.max_length = array("B")
        self.asn = array("I")
        self.ta: list[str | None] = []
        self.expires = array("q")
        self.problems: list[LineProblem] = []
        self.batches: list[pa.Table] = []

    def add(
        self,
        where: tuple[str, int],
        prefix: object,
        max_length: object,
        asn: object,
        ta: str | None = None,
        expires: int | None = None,
    ) -> None:
        """Append one VRP, or record a problem at ``where`` (file, line) and skip it."""
        try:
            afi, hi, lo, length, text = parse_prefix_text(str(prefix))
            width = 32 if afi == 4 else 128
            maxlen = length if max_length in (None, "") else int(str(max_length))
            if not length <= maxlen <= width:
                raise ValueError(f"maxLength {maxlen} outside {length}..{width} for {text}")
            number = parse_asn(asn)
        except (ValueError, TypeError) as exc:
            self.problems.append(LineProblem(where[0], where[1], str(exc)))
            return
        if expires is not None and not 0 <= expires <= _EXPIRES_MAX:
            self.problems.append(LineProblem(where[0], where[1], _expires_problem(expires)))
            expires = None
        self.prefix.append(text)
        self.afi.append(afi)
        self.hi.append(hi)
        self.lo.append(lo)
        self.length.append(length)
        self.max_length.append(maxlen)
        self.asn.append(number)
        self.ta.append(ta)
        self.expires.append(-1 if expires is None else expires)

    def add_batch(
        self,
        file: str,
        line_of: Callable[[int], int],
        prefix: pa.Array,
        max_length: pa.Array,
        asn: pa.Array,
        ta: pa.Array | None = None,
        expires: pa.Array | None = None,
    ) -> None:
        """Append a batch of VRPs given as Arrow columns of text or numbers (vectorised);
        a bad row ``r`` becomes a problem at line ``line_of(r)`` of ``file``."""
        table, bad = _vrp_batch(prefix, max_length, asn, ta, expires)
        self.batches.append(table)
        bad.sort()
        for row, detail in bad:
            self.problems.append(LineProblem(file, line_of(row), detail))

    def __len__(self) -> int:
        return len(self.prefix) + sum(int(b.num_rows) for b in self.batches)

    def table(self) -> pa.Table:
        """The buffered rows as a table with the VRPS schema."""
        return pa.concat_tables([self._row_table(), *self.batches])

    def _row_table(self) -> pa.Table:
        expires = np.array(self.expires, dtype=np.int64)
        columns = [
            pa.array(self.prefix, pa.string()),
            pa.array(np.array(self.afi, dtype=np.uint8)),
            pa.array(np.array(self.hi, dtype=np.uint64)),
            pa.array(np.array(self.lo, dtype=np.uint64)),
            pa.array(np.array(self.length, dtype=np.uint8)),
            pa.array(np.array(self.max_length, dtype=np.uint8)),
            pa.array(np.array(self.asn, dtype=np.uint32)),
            pa.array(self.ta, pa.string()),
            pa.array(expires, pa.timestamp("s", tz="UTC"), mask=expires < 0),
        ]
        return pa.Table.from_arrays(columns, schema=VRPS)


def _expires_problem(value: object, what: str = "VRP") -> str:
    """The problem of an expiry outside 1970..9999 (the VRP or ASPA is kept, without it)."""
    return (
        f"expires {value} is not a time between 1970 and 9999 (seconds since 1970); the {what} "
        "is kept without an expiry. The file is damaged or not validator output: fetch it again"
    )


def parse_prefix_text(text: str) -> tuple[int, int, int, int, str]:
    """(afi, hi, lo, length, canonical text) of a prefix; host bits are cleared.

    The fast path of :func:`routewatch.prefixes.parse_prefix` for loaders that read
    hundreds of thousands of prefixes; ValueError names the offending text.
    """
    address, slash, length_text = text.strip().partition("/")
    try:
        if ":" in address:
            family, width = socket.AF_INET6, 128
        else:
            family, width = socket.AF_INET, 32
        raw = socket.inet_pton(family, address)
        length = int(length_text) if slash else width
    except (OSError, ValueError) as exc:
        raise ValueError(f"not a prefix: {text!r}") from exc
    if not 0 <= length <= width:
        raise ValueError(f"prefix length out of range in {text!r}")
    value = int.from_bytes(raw, "big") >> (width - length) << (width - length)
    canonical = socket.inet_ntop(family, value.to_bytes(width // 8, "big")) + f"/{length}"
    if width == 32:
        return 4, value << 32, 0, length, canonical
    return 6, value >> 64, value & _MASK64, length, canonical


class _ParsedPrefixes(NamedTuple):
    """A text column of prefixes as bits: ``ok`` marks parsed rows, ``texts`` holds the
    canonical text of rows that were not already canonical, ``errors`` the unparsable."""

    afi: npt.NDArray[np.int64]
    hi: npt.NDArray[np.uint64]
    lo: npt.NDArray[np.uint64]
    length: npt.NDArray[np.int64]
    ok: npt.NDArray[np.bool_]
    texts: dict[int, str]
    errors: dict[int, str]


def _vrp_batch(
    prefix: pa.Array,
    max_length: pa.Array,
    asn: pa.Array,
    ta: pa.Array | None,
    expires: pa.Array | None,
) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Check and convert one batch of text / number columns; returns the good rows as a
    VRPS table and (row, problem) for the others."""
    prefix, max_length, asn, ta, expires = (
        c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c
        for c in (prefix, max_length, asn, ta, expires)
    )
    prefix = pc.utf8_trim_whitespace(prefix.cast(pa.string()))
    parsed = _batch_prefixes(prefix)
    asn_value, asn_ok = _batch_asn(asn)
    width = np.where(parsed.afi == 4, 32, 128)
    maxlen, ml_ok = _batch_int(max_length, default=parsed.length)
    ml_ok &= (parsed.length <= maxlen) & (maxlen <= width)
    good = parsed.ok & asn_ok & ml_ok
    bad = [] if good.all() else _batch_problems(good, parsed, asn_ok, prefix, asn, max_length)
    stamps, late = _batch_expires(expires, good)
    bad += late
    if parsed.texts:
        rows = sorted(parsed.texts)
        mask = np.zeros(len(prefix), dtype=np.bool_)
        mask[rows] = True
        texts = pa.array([parsed.texts[r] for r in rows], pa.string())
        prefix = pc.replace_with_mask(prefix, pa.array(mask), texts)
    n = len(prefix)
    table = pa.Table.from_arrays(
        [
            prefix,
            pa.array(parsed.afi.astype(np.uint8)),
            pa.array(parsed.hi),
            pa.array(parsed.lo),
            pa.array(parsed.length.astype(np.uint8)),
            pa.array(np.where(ml_ok, maxlen, 0).astype(np.uint8)),
            pa.array(asn_value.astype(np.uint32)),
            pa.nulls(n, pa.string()) if ta is None else ta.cast(pa.string()),
            stamps,
        ],
        schema=VRPS,
    )
    return (table if good.all() else table.filter(pa.array(good))), bad


def _batch_expires(
    expires: pa.Array | None, good: npt.NDArray[np.bool_]
) -> tuple[pa.Array, list[tuple[int, str]]]:
    """The expiry column as timestamps, null where outside 1970..9999, and a problem for
    each good row whose expiry was (the rule of :meth:`_VrpColumns.add`)."""
    if expires is None:
        return pa.nulls(len(good), pa.timestamp("s", tz="UTC")), []
    seconds = expires.cast(pa.int64())
    outside = pc.or_(pc.less(seconds, 0), pc.greater(seconds, _EXPIRES_MAX)).fill_null(False)
    rows = np.flatnonzero(np.asarray(outside.to_numpy(zero_copy_only=False), dtype=np.bool_))
    if len(rows) == 0:
        return pc.cast(seconds, pa.timestamp("s", tz="UTC")), []
    values = seconds.take(pa.array(rows)).to_pylist()
    late = [(r, _expires_problem(v)) for r, v in zip(rows.tolist(), values, strict=True) if good[r]]
    kept = pc.if_else(outside, pa.scalar(None, pa.int64()), seconds)
    return pc.cast(kept, pa.timestamp("s", tz="UTC")), late


def _batch_problems(
    good: npt.NDArray[np.bool_],
    parsed: _ParsedPrefixes,
    asn_ok: npt.NDArray[np.bool_],
    prefix: pa.Array,
    asn: pa.Array,
    max_length: pa.Array,
) -> list[tuple[int, str]]:
    """What is wrong with each bad row, in the words the row-by-row path uses."""
    rows = np.flatnonzero(~good)
    take = pa.array(rows)
    prefixes = prefix.take(take).to_pylist()
    asns = asn.take(take).to_pylist()
    maxlens = max_length.take(take).to_pylist()
    bad: list[tuple[int, str]] = []
    for k, row in enumerate(rows.tolist()):
        if not parsed.ok[row]:
            bad.append((row, parsed.errors.get(row, f"not a prefix: {prefixes[k]!r}")))
        elif not asn_ok[row]:
            bad.append((row, _asn_problem(asns[k])))
        else:
            low, high = parsed.length[row], 32 if parsed.afi[row] == 4 else 128
            bad.append((row, f"maxLength {maxlens[k]} outside {low}..{high} for {prefixes[k]}"))
    return bad


def _asn_problem(value: object) -> str:
    """:func:`~routewatch.asns.parse_asn`'s words for an ASN the batch path refused."""
    try:
        parse_asn(value)
    except ValueError as exc:
        return str(exc)
    return f"not an ASN: {value!r}"


def _batch_prefixes(prefix: pa.Array) -> _ParsedPrefixes:
    """Parse a text column of prefixes: the usual shapes in one numba pass, the rest row
    by row with :func:`parse_prefix_text`."""
    kind, value, fast_length = _fast_prefixes(prefix)
    fast = kind > 0
    parsed = _ParsedPrefixes(
        kind.astype(np.int64),
        np.where(kind == 4, value << np.uint64(32), value),
        np.zeros(len(prefix), dtype=np.uint64),
        np.where(fast, fast_length, 0),
        fast.copy(),
        {},
        {},
    )
    rows = np.flatnonzero(~fast)
    texts = prefix.take(pa.array(rows)).to_pylist() if len(rows) else []
    for row, text in zip(rows.tolist(), texts, strict=True):
        try:
            afi, hi, lo, length, parsed.texts[row] = parse_prefix_text(text or "")
        except ValueError as exc:
            parsed.errors[row] = str(exc)
            continue
        parsed.afi[row], parsed.hi[row], parsed.lo[row], parsed.length[row] = afi, hi, lo, length
        parsed.ok[row] = True
    return parsed


def _fast_prefixes(
    prefix: pa.Array,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """afi (0 = not in a fast form), top 64 address bits and length of every row written in
    one of the two shapes almost every VRP has, already canonical and without host bits:
    dotted quad ``192.0.2.0/24`` and ``2001:db8::/32`` (1-4 groups, then ``::``)."""
    n = len(prefix)
    afi = np.zeros(n, dtype=np.int8)
    value = np.zeros(n, dtype=np.uint64)
    length = np.zeros(n, dtype=np.int64)
    if n == 0:
        return afi, value, length
    _, offsets_buf, data_buf = prefix.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)[prefix.offset : prefix.offset + n + 1]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf else np.zeros(1, np.uint8)
    valid = np.asarray(prefix.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    _parse_fast_kernel(data, offsets, valid, afi, value, length)
    return afi, value, length


@numba.njit(cache=True)
def _decimal(data, start, end, limit):  # type: ignore[no-untyped-def]
    """Value of the digits data[start:end] (no sign, no leading zero), or -1."""
    if end <= start or end - start > 3 or (data[start] == 48 and end - start > 1):
        return -1
    number = 0
    for k in range(start, end):
        if not 48 <= data[k] <= 57:
            return -1
        number = number * 10 + (data[k] - 48)
    return number if number <= limit else -1


@numba.njit(cache=True)
def _hex_group(data, start, end):  # type: ignore[no-untyped-def]
    """Value of 1-4 lower-case hex digits without a leading zero, or -1."""
    if end <= start or end - start > 4 or (data[start] == 48 and end - start > 1):
        return -1
    number = 0
    for k in range(start, end):
        c = data[k]
        if 48 <= c <= 57:
            number = number * 16 + (c - 48)
        elif 97 <= c <= 102:
            number = number * 16 + (c - 87)
        else:
            return -1
    return number


@numba.njit(cache=True)
def _parse_fast_kernel(data, offsets, valid, out_afi, out_value, out_len):  # type: ignore[no-untyped-def]
    for i in range(len(valid)):
        if not valid[i]:
            continue
        start, end = offsets[i], offsets[i + 1]
        slash = -1
        colons = 0
        for k in range(start, end):
            if data[k] == 47:
                slash = k
            elif data[k] == 58:
                colons += 1
        if slash < 0:
            continue
        if colons == 0:
            length = _decimal(data, slash + 1, end, 32)
            value = np.int64(0)
            field_start, parts = start, 0
            for k in range(start, slash + 1):
                if k == slash or data[k] == 46:
                    octet = _decimal(data, field_start, k, 255)
                    if octet < 0:
                        parts = 99
                        break
                    value = value * 256 + octet
                    parts += 1
                    field_start = k + 1
            if parts != 4 or length < 0:
                continue
            if length < 32 and value & ((np.int64(1) << (32 - length)) - 1) != 0:
                continue
            out_afi[i], out_value[i], out_len[i] = 4, np.uint64(value), length
        else:
            length = _decimal(data, slash + 1, end, 128)
            if length < 0 or slash - start < 3 or data[slash - 1] != 58 or data[slash - 2] != 58:
                continue
            top = np.uint64(0)
            field_start, groups, last = start, 0, 0
            for k in range(start, slash - 1):
                if k == slash - 2 or data[k] == 58:
                    group = _hex_group(data, field_start, k)
                    if group < 0 or groups == 4:
                        groups = 99
                        break
                    top |= np.uint64(group) << np.uint64(48 - 16 * groups)
                    groups += 1
                    last = group
                    field_start = k + 1
            if groups > 4 or last == 0:
                continue
            if length < 64 and top & ((np.uint64(1) << np.uint64(64 - length)) - np.uint64(1)):
                continue
            out_afi[i], out_value[i], out_len[i] = 6, top, length


def _batch_asn(asn: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """ASN column (numbers, ``123`` or ``AS123`` text) as int64 and a validity mask."""
    if pa.types.is_integer(asn.type):
        values = np.array(asn.cast(pa.int64()).fill_null(-1))
    else:
        text = pc.replace_substring_regex(
            pc.utf8_trim_whitespace(asn.cast(pa.string())), r"^[Aa][Ss]", ""
        )
        # ASCII digits only: utf8_is_digit also takes "²", which the cast cannot parse
        digits = pc.match_substring_regex(text, r"^[0-9]{1,10}$").fill_null(False)
        values = np.array(pc.cast(pc.if_else(digits, text, "-1"), pa.int64()))
    ok = (values >= 0) & (values <= 0xFFFFFFFF)
    for row in np.flatnonzero(~ok):  # what the fast path refused gets parse_asn's verdict
        with contextlib.suppress(ValueError):
            values[row], ok[row] = parse_asn(asn[int(row)].as_py()), True
    return np.where(ok, values, 0), ok


def _batch_int(
    column: pa.Array, default: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Small integers from numbers or text; null or empty text takes ``default``."""
    if pa.types.is_integer(column.type):
        values = np.asarray(column.cast(pa.int64()).fill_null(-2))
    else:
        text = pc.utf8_trim_whitespace(column.cast(pa.string())).fill_null("")
        digits = pc.match_substring_regex(text, r"^[0-9]{1,3}$")
        empty = np.asarray(pc.equal(text, "").to_numpy(zero_copy_only=False), dtype=np.bool_)
        values = np.asarray(pc.cast(pc.if_else(digits, text, "-1"), pa.int64()))
        values = np.where(empty, -2, values)
    values = np.where(values == -2, default, values)
    return values, values >= 0


def _finish(
    columns: _VrpColumns, paths: list[Path], fmt: str, as_of: dt.date | None, min_rows: int
) -> Snapshot:
    """Refuse an implausibly small result, else wrap the columns in a snapshot."""
    names = tuple(str(p) for p in paths)
    if len(columns) < min_rows:
        raise ImplausibleInputError(
            f"{', '.join(names)}: only {len(columns)} VRPs read as {fmt} "
            f"({len(columns.problems)} malformed records); a real snapshot has at least "
            f"{min_rows}. The file is empty, truncated or not {fmt}: fetch it again, or pass "
            "a lower min_rows if this small input is intended."
        )
    if as_of is None:
        dates = [d for d in (as_of_from_name(p.name) for p in paths) if d is not None]
        as_of = max(dates) if dates else None
    return Snapshot(RefKind.VRPS, fmt, columns.table(), as_of, names, columns.problems)


# ------------------------------------------------------------------------------------------
# JSON (rpki-client, Routinator)
# ------------------------------------------------------------------------------------------

_ROAS_KEY = re.compile(rb'"roas"\s*:\s*\[')
_ASPAS_KEY = re.compile(rb'"aspas"\s*:\s*\[')
_FLAT_OBJECT = re.compile(rb"\s*(\{[^{}]*\})\s*([,\]])")
_EMPTY_ARRAY_END = re.compile(rb"\s*\]")
_ENTRY_START = re.compile(rb"[^ \t\r\n,]")  # the first byte after separators
_NEXT_ENTRY = re.compile(rb"\n[ \t\r]*(?=[{\]])")  # the start of a line that opens an entry
_ENTRY_MAX = 64 << 10  # bytes a ROA entry of the roas array can take (a few hundred in practice)
_METADATA = re.compile(rb'"metadata"\s*:\s*(\{[^{}]*\})')


def _json_as_of(data: bytes) -> dt.date | None:
    """rpki-client ``buildtime`` or Routinator ``generatedTime`` / ``generated``."""
    match = _METADATA.search(data, 0, 1 << 16)
    if match is None:
        return None
    try:
        meta = json.loads(match[1])
    except ValueError:
        return None
    for key in ("buildtime", "generatedTime"):
        if isinstance(meta.get(key), str):
            try:
                return dt.datetime.fromisoformat(meta[key].replace("Z", "+00:00")).date()
            except ValueError:
                pass
    generated = meta.get("generated")
    # the expiry's range rule: a time no date can show is no date (the name's is used)
    if isinstance(generated, int) and not isinstance(generated, bool) \
            and 0 <= generated <= _EXPIRES_MAX:
        return dt.datetime.fromtimestamp(generated, dt.UTC).date()
    return None


def _roa_objects(data: bytes, name: str) -> Iterator[tuple[int, Any]]:
    """(line, decoded object) of every ``roas`` entry, decoding one small object at a time;
    a ValueError in place of an object that does not decode.

    An entry that is not a flat object followed by a comma is decoded alone: if it does not
    decode (damage: a cut line, garbage) it is a problem and reading goes on with the next
    line that starts an entry; if it does (nested members, as in ``jsonext``, or a lost
    comma) the rest of the array is read element by element with
    :func:`~routewatch.reference.jsonscan.array_elements`.
    """
    key = _ROAS_KEY.search(data)
    if key is None:
        raise ValueError(f'{name}: no "roas" array; not validator JSON output')
    pos, line = key.end(), data.count(b"\n", 0, key.end()) + 1
    if _EMPTY_ARRAY_END.match(data, pos):
        return
    while True:
        match = _FLAT_OBJECT.match(data, pos)
        if match is None:
            entry = _ENTRY_START.search(data, pos)
            start = entry.start() if entry else len(data)
            line += data.count(b"\n", pos, start)
            if start >= len(data) or data[start] == ord("]"):
                return
            damage = _damaged_entry(data, start)
            if damage is None:  # it decodes: nested members or a lost comma
                yield from _roa_objects_slow(data, start, name)
                return
            lines, detail, after = damage
            yield line + lines, _SkippedError(detail)
            if after is None:
                return
            line += data.count(b"\n", start, after)
            pos = after
            continue
        line += data.count(b"\n", pos, match.start(1))
        try:
            yield line, json.loads(match[1])
        except UnicodeDecodeError as exc:
            at = match.start(1) + exc.start
            column = at - data.rfind(b"\n", 0, at)
            detail = (
                f"byte 0x{data[at]:02x} at column {column} is not UTF-8, which JSON must be; "
                "the file is damaged: fetch it again"
            )
            yield line + data.count(b"\n", match.start(1), at), ValueError(detail)
        except ValueError as exc:
            yield line, exc
        line += data.count(b"\n", match.start(1), match.end())
        pos = match.end()
        if match[2] == b"]":
            return


def _damaged_entry(data: bytes, start: int) -> tuple[int, str, int | None] | None:
    """None when the entry at ``start`` decodes as JSON; else the lines from ``start`` to the
    damage, what it is, and where the next line that opens an entry starts (None: none)."""
    window = data[start : start + _ENTRY_MAX].decode("utf-8", errors="surrogateescape")
    try:
        json.JSONDecoder().raw_decode(window)
    except json.JSONDecodeError as exc:
        column = exc.colno
        if exc.lineno == 1:
            column += start - data.rfind(b"\n", 0, start) - 1
        detail = f"malformed ROA object skipped: {exc.msg} at column {column}"
        after = _NEXT_ENTRY.search(data, start)
        if after is None or data[after.end() : after.end() + 1] == b"]":
            return exc.lineno - 1, detail, None
        return exc.lineno - 1, detail, after.end()
    return None


class _SkippedError(ValueError):
    """Damage :func:`~routewatch.reference.jsonscan.array_elements` skipped (its words)."""


def _roa_objects_slow(data: bytes, pos: int, name: str) -> Iterator[tuple[int, Any]]:
    """(line, value) of the elements of the ``roas`` array from byte ``pos`` on, one at a
    time; what could not be decoded comes as a :class:`_SkippedError` on its line, and so
    does an element holding bytes that are not UTF-8 (as on the fast path)."""
    text = data.decode("utf-8", errors="surrogateescape")
    start = len(data[:pos].decode("utf-8", errors="surrogateescape"))
    problems: list[LineProblem] = []
    for line, value in array_elements(text, start, name, problems):
        for problem in problems:
            yield problem.line, _SkippedError(problem.detail)
        problems.clear()
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            detail = (
                "ROA object skipped: it holds bytes that are not UTF-8, which JSON must be; "
                "the file is damaged: fetch it again"
            )
            yield line, _SkippedError(detail)
            continue
        yield line, value
    for problem in problems:
        yield problem.line, _SkippedError(problem.detail)


_CHUNK = 8 << 20


def _load_json(paths: list[Path], fmt: str, min_rows: int) -> Snapshot:
    columns = _VrpColumns()
    as_of: dt.date | None = None
    for path in paths:
        data = read_whole(path)
        as_of = as_of or _json_as_of(data)
        try:
            region = _flat_roas_region(data)
            if region is None:
                for line, obj in _roa_objects(data, str(path)):
                    _add_json_roa(columns, (str(path), line), obj)
                continue
            start, end = region
            line = data.count(b"\n", 0, start) + 1
            while start < end:
                cut = data.find(b"}", min(start + _CHUNK, end - 1), end) + 1 or end
                chunk = data[start:cut]
                _json_chunk(columns, str(path), chunk, line)
                line += chunk.count(b"\n")
                start = cut
        except ValueError as exc:
            columns.problems.append(LineProblem(str(path), 1, str(exc)))
    return _finish(columns, paths, fmt, as_of, min_rows)


def _flat_roas_region(data: bytes) -> tuple[int, int] | None:
    """Start and end of the ``roas`` array when its objects are flat, else None."""
    key = _ROAS_KEY.search(data)
    if key is None:
        raise ValueError('no "roas" array; not validator JSON output')
    end = data.find(b"]", key.end())
    after = data[end + 1 : end + 64].lstrip()
    if end < 0 or data.find(b"[", key.end(), end) >= 0 or after[:1] not in (b",", b"}"):
        return None
    return key.end(), end


def _json_chunk(columns: _VrpColumns, file: str, chunk: bytes, first_line: int) -> None:
    """Add the ROA objects of ``chunk`` (starting at line ``first_line``): rewritten as one
    object per line and parsed by Arrow's JSON reader, or object by object when that fails."""
    try:
        table = _ndjson_table(chunk)
        if table.num_rows != chunk.count(b"{"):
            raise ValueError("object count differs")
    except (pa.ArrowInvalid, ValueError):
        for line, obj in _roa_objects(b'"roas": [' + chunk.rstrip(b", \t\r\n") + b"]", file):
            _add_json_roa(columns, (file, first_line + line - 1), obj)
        return

    def line_of(row: int) -> int:
        match = next(m for i, m in enumerate(re.finditer(rb"\{", chunk)) if i == row)
        return first_line + chunk.count(b"\n", 0, match.start())

    column = table.column
    columns.add_batch(
        file, line_of, column("prefix"), column("maxLength"), column("asn"), column("ta"),
        column("expires"),
    )  # fmt: skip


_ASN_TEXT = re.compile(rb'"asn"\s*:\s*"')


def _ndjson_table(chunk: bytes) -> pa.Table:
    """Flat JSON objects separated by commas, read as a table by Arrow's JSON reader."""
    # JSON strings hold no raw line breaks, and "}," only ends an object in a flat array.
    body = chunk.replace(b"\r", b"").replace(b"\n", b"").replace(b"},", b"}\n")
    body = body.strip(b", \t")
    if not body:
        return pa.table({"asn": pa.array([], pa.int64())})
    schema = pa.schema(
        [
            ("asn", pa.string() if _ASN_TEXT.search(chunk) else pa.int64()),
            ("prefix", pa.string()),
            ("maxLength", pa.int64()),
            ("ta", pa.string()),
            ("expires", pa.int64()),
        ]
    )
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    read = pajson.ReadOptions(block_size=max(1 << 20, min(len(body), 16 << 20)))
    table = pajson.read_json(io.BytesIO(body), read_options=read, parse_options=options)
    table.validate(full=True)  # the reader puts bytes that are not UTF-8 into string columns
    return table


def _add_json_roa(columns: _VrpColumns, where: tuple[str, int], obj: Any) -> None:
    if isinstance(obj, ValueError):
        detail = str(obj) if isinstance(obj, _SkippedError) else f"ROA object skipped: {obj}"
        columns.problems.append(LineProblem(where[0], where[1], detail))
        return
    if not isinstance(obj, dict):
        columns.problems.append(LineProblem(where[0], where[1], f"not a ROA object: {obj!r}"))
        return
    expires = obj.get("expires")
    columns.add(
        where,
        obj.get("prefix"),
        obj.get("maxLength", obj.get("max_length")),
        obj.get("asn"),
        obj.get("ta") if isinstance(obj.get("ta"), str) else None,
        expires if isinstance(expires, int) and not isinstance(expires, bool) else None,
    )


def load_rpki_client_json(paths: list[Path], *, min_rows: int = DEFAULT_MIN_VRPS) -> Snapshot:
    """VRPs of rpki-client JSON output (``roas``); see :func:`load_aspas` for ``aspas``."""
    return _load_json(paths, "rpki-client-json", min_rows)


def load_routinator_json(paths: list[Path], *, min_rows: int = DEFAULT_MIN_VRPS) -> Snapshot:
    """VRPs of Routinator ``--format json`` output (ASNs as ``AS123``)."""
    return _load_json(paths, "routinator-json", min_rows)


def load_aspas(paths: list[Path], *, min_rows: int = DEFAULT_MIN_ASPAS) -> Snapshot:
    """ASPAs of rpki-client JSON output: one row per customer AS with its providers.

    Providers may be written as numbers, ``AS123`` strings or ``{"asid": 123}`` objects
    (older rpki-client versions); the customer as ``customer`` or ``customer_asid``. The
    ``aspas`` array is read entry by entry (:func:`~routewatch.reference.jsonscan.array_elements`):
    a damaged entry is a problem on its line and costs only itself.
    """
    customers, providers, tas, expires = array("I"), [], [], array("q")
    problems: list[LineProblem] = []
    as_of: dt.date | None = None
    for path in paths:
        data = read_whole(path)
        as_of = as_of or _json_as_of(data)
        text = data.decode("utf-8", errors="replace")
        start = array_start(text, "aspas")
        if start is None:
            continue
        for line, entry in array_elements(text, start, str(path), problems):
            if not isinstance(entry, dict):
                problems.append(LineProblem(str(path), line, f"not an ASPA object: {entry!r}"))
                continue
            try:
                customer, provs = _aspa_entry(entry)
            except (ValueError, TypeError, AttributeError) as exc:
                problems.append(LineProblem(str(path), line, f"bad ASPA {entry!r}: {exc}"))
                continue
            customers.append(customer)
            providers.append(provs)
            tas.append(entry.get("ta") if isinstance(entry.get("ta"), str) else None)
            exp = entry.get("expires")
            if not isinstance(exp, int) or isinstance(exp, bool):
                exp = -1
            elif not 0 <= exp <= _EXPIRES_MAX:
                problems.append(LineProblem(str(path), line, _expires_problem(exp, "ASPA")))
                exp = -1
            expires.append(exp)
    names = tuple(str(p) for p in paths)
    if len(customers) < min_rows:
        raise ImplausibleInputError(
            f"{', '.join(names)}: only {len(customers)} ASPAs found; expected at least "
            f'{min_rows}. Check that this is rpki-client JSON with an "aspas" array, or pass '
            "a lower min_rows."
        )
    exp_np = np.array(expires, dtype=np.int64)
    table = pa.Table.from_arrays(
        [
            pa.array(np.array(customers, dtype=np.uint32)),
            pa.array(providers, pa.list_(pa.uint32())),
            pa.array(tas, pa.string()),
            pa.array(exp_np, pa.timestamp("s", tz="UTC"), mask=exp_np < 0),
        ],
        schema=ASPAS,
    )
    if as_of is None:
        as_of = next((d for d in (as_of_from_name(p.name) for p in paths) if d), None)
    return Snapshot(RefKind.ASPAS, "rpki-client-json-aspas", table, as_of, names, problems)


def _aspa_entry(entry: Any) -> tuple[int, list[int]]:
    customer = parse_asn(entry.get("customer", entry.get("customer_asid")))
    if "providers" not in entry:
        raise ValueError(f"no providers list for customer AS{customer}")
    provs: list[int] = []
    for item in entry["providers"]:
        if isinstance(item, dict):
            item = item.get("asid", item.get("provider_asid", item.get("provider")))
        provs.append(parse_asn(item))
    return customer, sorted(set(provs))


# ------------------------------------------------------------------------------------------
# CSV (Routinator csv / csvcompat / csvext, RIPE NCC RPKI archive roas.csv)
# ------------------------------------------------------------------------------------------


def _load_csv(paths: list[Path], fmt: str, min_rows: int) -> Snapshot:
    columns = _VrpColumns()
    for path in paths:
        ta_match = _TA_IN_NAME.search(str(path))
        default_ta = _ta_label(ta_match[1]) if ta_match else None
        at, header = _csv_header(path)
        names = [h.strip().lower() for h in header]
        if not set(names) >= _VRP_COLUMNS:
            problem = f"header {header!r} lacks ASN,IP Prefix,Max Length"
            columns.problems.append(LineProblem(str(path), 1, problem))
            continue
        for line in stray_lines(read_head(path), at):
            detail = f"not the CSV header, skipped (the header is on line {at})"
            columns.problems.append(LineProblem(str(path), line, detail))
        batches, problems = len(columns.batches), len(columns.problems)
        try:
            _csv_fast(columns, path, names, default_ta, at)
        except (pa.ArrowInvalid, _NotUtf8Error):  # undecodable bytes and the like: row by row
            del columns.batches[batches:], columns.problems[problems:]
            _csv_rows(columns, path, names, default_ta, at)
    return _finish(columns, paths, fmt, None, min_rows)


_VRP_COLUMNS = {"asn", "ip prefix", "max length"}


def _csv_header(path: Path) -> tuple[int, list[str]]:
    """(line, fields) of the header: the first line with the VRP columns among the first few
    (see :data:`~routewatch.reference.sniff.HEADER_WITHIN`), else of line 1."""
    head = read_head(path)
    at = header_line(head, lambda line: {f.strip().lower() for f in _fields(line)} >= _VRP_COLUMNS)
    line = head.splitlines()[at - 1] if at else head.split(b"\n", 1)[0]
    return at or 1, _fields(line)


def _fields(line: bytes) -> list[str]:
    """The CSV fields of one line ([] when it cannot be split)."""
    text = line.decode("utf-8", errors="replace").replace("\r", "").replace("\x00", "")
    try:
        return next(csv.reader([text]), [])
    except csv.Error:
        return []


def _csv_fast(
    columns: _VrpColumns, path: Path, names: list[str], default_ta: str | None, header: int
) -> None:
    """One CSV file through Arrow's streaming reader and the vectorised batch path (the
    header on line ``header``, the rows after it)."""
    skipped: list[int] = []
    consumed = 0
    for whole in _csv_batches(path, names, header, skipped, columns.problems):
        blank = pc.equal(whole.column(0), "")
        for name in names[1:]:
            blank = pc.and_(blank, pc.equal(whole.column(name), ""))
        keep = np.flatnonzero(~np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool))
        batch = whole.take(pa.array(keep)) if len(keep) < whole.num_rows else whole
        expires = None
        if "not after" in names:
            expires = pc.cast(_csv_times(batch.column("not after")), pa.int64())
        if "trust anchor" in names:
            ta = batch.column("trust anchor")
            ta = pc.if_else(pc.equal(ta, ""), pa.scalar(None, pa.string()), ta)
        else:
            ta = pa.array([default_ta] * batch.num_rows, pa.string())

        def line_of(row: int, base: int = consumed, keep: Any = keep) -> int:
            line = base + int(keep[row]) + header + 1
            for invalid in skipped:
                line += int(invalid <= line)
            return line

        columns.add_batch(
            str(path), line_of, batch.column("ip prefix"), batch.column("max length"),
            batch.column("asn"), ta, expires,
        )  # fmt: skip
        consumed += whole.num_rows


def _csv_rows(
    columns: _VrpColumns, path: Path, names: list[str], default_ta: str | None, header: int
) -> None:
    """One CSV file row by row (the fallback for content Arrow's reader refuses)."""
    index = {name: names.index(name) for name in names}
    with open_text(path) as stream:
        for line, row in csv_records(stream, str(path), columns.problems):
            where = (str(path), line)
            if line <= header:
                continue
            if not any(field.strip() for field in row):
                continue
            if len(row) != len(names):
                detail = f"{len(row)} fields, expected {len(names)}: {row!r}"
                columns.problems.append(LineProblem(*where, detail))
                continue
            ta = (
                row[index["trust anchor"]].strip() or None
                if "trust anchor" in index
                else default_ta
            )
            expires = _csv_time(row[index["not after"]]) if "not after" in index else None
            columns.add(
                where, row[index["ip prefix"]], row[index["max length"]].strip() or None,
                row[index["asn"]], ta, expires,
            )  # fmt: skip


def _csv_batches(
    path: Path, names: list[str], header: int, skipped: list[int], problems: list[LineProblem]
) -> Iterator[pa.RecordBatch]:
    """Record batches of a CSV file as text columns; rows with a wrong field count are
    skipped (their line numbers kept in ``skipped``; non-empty ones become problems)."""

    def invalid(row: Any) -> str:
        if row.number is not None:
            skipped.append(row.number)
        if row.text.strip():
            detail = f"{row.actual_columns} fields, expected {row.expected_columns}: {row.text!r}"
            problems.append(LineProblem(str(path), row.number or 0, detail))
        return "skip"

    with open_binary(path) as stream:
        reader = pacsv.open_csv(
            _Utf8Checked(stream),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=header, use_threads=False, block_size=4 << 20
            ),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
            ),
        )
        yield from reader


class _NotUtf8Error(Exception):
    """Bytes that are not UTF-8 in a CSV file: Arrow's reader cannot take them (it fails to
    hand such a row to the invalid-row handler), so the file is read row by row."""


class _Utf8Checked:
    """A binary stream that raises :class:`_NotUtf8Error` before it hands out bytes that are not
    UTF-8, so that Arrow's CSV reader never sees them."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.closed = False

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        try:
            self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            raise _NotUtf8Error(str(exc)) from exc
        return data

    def close(self) -> None:
        self.closed = True


def _csv_times(column: pa.Array) -> pa.Array:
    """``2029-07-18 11:40:32`` (UTC) text as timestamps; unreadable text becomes null."""
    text = pc.utf8_trim_whitespace(column)
    stamp = pc.strptime(text, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    return pc.cast(stamp, pa.timestamp("s", tz="UTC"))


def csv_records(
    stream: Iterable[str], file: str, problems: list[LineProblem]
) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) of every CSV record; a record the csv module cannot split becomes a
    problem instead of ending the file."""
    reader = csv.reader(stream)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problems.append(LineProblem(file, reader.line_num, f"unreadable CSV record: {exc}"))
            continue
        yield reader.line_num, row


def _ta_label(text: str) -> str:
    text = text.lower().replace("-", "")
    return "ripe" if text.startswith("ripe") else text


def _csv_time(text: str) -> int | None:
    """Epoch seconds of ``2029-07-18 11:40:32`` (UTC) or ISO text; None when unreadable."""
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp())


def load_routinator_csv(paths: list[Path], *, min_rows: int = DEFAULT_MIN_VRPS) -> Snapshot:
    """VRPs of ``ASN,IP Prefix,Max Length,Trust Anchor`` CSV (Routinator csv / csvcompat)."""
    return _load_csv(paths, "routinator-csv", min_rows)


def load_ripe_archive_csv(paths: list[Path], *, min_rows: int = DEFAULT_MIN_VRPS) -> Snapshot:
    """VRPs of the RIPE NCC RPKI archive ``roas.csv`` (``URI,ASN,IP Prefix,Max Length,Not
    Before,Not After``); the trust anchor comes from the path (``afrinic.tal``)."""
    return _load_csv(paths, "ripe-rpki-archive-csv", min_rows)


# ------------------------------------------------------------------------------------------
# rcynic scan_roas text
# ------------------------------------------------------------------------------------------

_RCYNIC_LINE = re.compile(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ (?:AS)?\d+ [0-9A-Fa-f.:]+/\d+")


def load_rcynic_scan_roas(paths: list[Path], *, min_rows: int = DEFAULT_MIN_VRPS) -> Snapshot:
    """VRPs of rcynic ``scan_roas`` output: ``signing-time ASN prefix[-maxlen] ...``.

    The first field is the ROA's signing time, not an expiry, so ``expires`` stays null.
    """
    columns = _VrpColumns()
    for path in paths:
        with open_text(path) as stream:
            for number, line in enumerate(stream, start=1):
                fields = line.split()
                if not fields or fields[0].startswith("#"):
                    continue
                where = (str(path), number)
                if len(fields) < 3 or not fields[0].endswith("Z"):
                    columns.problems.append(LineProblem(*where, f"not a scan_roas line: {line!r}"))
                    continue
                for item in fields[2:]:
                    prefix, _, max_length = item.partition("-")
                    columns.add(where, prefix, max_length or None, fields[1])
    return _finish(columns, paths, "rcynic-scan-roas", None, min_rows)


# ------------------------------------------------------------------------------------------
# Format registrations
# ------------------------------------------------------------------------------------------


_ROAS_NONEMPTY = re.compile(rb'"roas"\s*:\s*\[\s*\{')


def _sniff_json(marker: re.Pattern[bytes]) -> Callable[[bytes, str], bool]:
    """A validator JSON file with at least one ROA (an ASPA-only file is an ASPA file)."""

    def sniff(head: bytes, name: str) -> bool:
        return _ROAS_NONEMPTY.search(head) is not None and marker.search(head) is not None

    return sniff


def _sniff_header(*headers: bytes) -> Callable[[bytes, str], bool]:
    def sniff(head: bytes, name: str) -> bool:
        def is_header(line: bytes) -> bool:
            return line.strip().replace(b'"', b"").lower() in headers

        return header_line(head, is_header) is not None

    return sniff


def _sniff_rcynic(head: bytes, name: str) -> bool:
    return mostly(head_lines(head)[:20], lambda line: _RCYNIC_LINE.match(line) is not None)


RPKI_CLIENT_JSON = register(
    Format(
        "rpki-client-json",
        RefKind.VRPS,
        _sniff_json(re.compile(rb'"buildmachine"|"buildtime"|"asn"\s*:\s*\d')),
        load_rpki_client_json,
    )
)
ROUTINATOR_JSON = register(
    Format(
        "routinator-json",
        RefKind.VRPS,
        _sniff_json(re.compile(rb'"asn"\s*:\s*"AS', re.IGNORECASE)),
        load_routinator_json,
    )
)
ROUTINATOR_CSV = register(
    Format(
        "routinator-csv",
        RefKind.VRPS,
        _sniff_header(b"asn,ip prefix,max length,trust anchor"),
        load_routinator_csv,
    )
)
RIPE_ARCHIVE_CSV = register(
    Format(
        "ripe-rpki-archive-csv",
        RefKind.VRPS,
        _sniff_header(b"uri,asn,ip prefix,max length,not before,not after"),
        load_ripe_archive_csv,
    )
)
RCYNIC_SCAN_ROAS = register(
    Format("rcynic-scan-roas", RefKind.VRPS, _sniff_rcynic, load_rcynic_scan_roas)
)
ASPAS_JSON = register(
    Format(
        "rpki-client-json-aspas",
        RefKind.ASPAS,
        lambda head, name: (
            _ASPAS_KEY.search(head) is not None or RPKI_CLIENT_JSON.sniff(head, name)
        ),
        load_aspas,
    )
)
