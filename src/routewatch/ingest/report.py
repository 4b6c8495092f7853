"""The ingest report: what was read, and every problem met, counted by kind with its offset.

Readers never raise on a bad record: they record a :class:`Problem`, keep what is readable
and go on (or stop at the point where nothing more can be framed). A report with problems
makes the CLI exit with code 3 (finished with partial data). :func:`summarize_problems`
condenses a report's problems per kind (what the CLI prints and the lake's manifest keeps);
:func:`require_records` turns a file of which not one record could be read into an
:class:`~routewatch.errors.InputError`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from routewatch.errors import InputError

__all__ = [
    "FIRST_OFFSETS_KEPT",
    "IngestReport",
    "Problem",
    "ProblemKind",
    "ProblemSummary",
    "require_records",
    "summarize_problems",
]

#: Offsets of the first problems of a kind that a summary keeps.
FIRST_OFFSETS_KEPT = 10


class ProblemKind(StrEnum):
    """Kinds of problems an MRT reader can meet; values are the wire strings."""

    TRUNCATED_FILE = "truncated-file"  # stream ends inside a record or header
    DECOMPRESSION = "decompression-error"  # compressed stream corrupt or cut short
    BAD_RECORD_LENGTH = "bad-record-length"  # MRT length runs past the data / is absurd
    FRAMING_RECOVERED = "framing-recovered"  # bytes skipped to resynchronise on a header
    UNKNOWN_RECORD_TYPE = "unknown-record-type"
    UNKNOWN_SUBTYPE = "unknown-subtype"
    DEPRECATED_RECORD = "deprecated-record"  # e.g. MRT type 5 (BGP) of 1999-2000
    MALFORMED_RECORD = "malformed-record"  # record body inconsistent with its type
    MALFORMED_ATTRIBUTE = "malformed-attribute"  # treat-as-withdraw per RFC 7606
    MALFORMED_NLRI = "malformed-nlri"
    MISSING_PEER_INDEX = "missing-peer-index"  # RIB entry before/without PEER_INDEX_TABLE
    BAD_PEER_INDEX = "bad-peer-index"
    # the record ends inside its BGP message (Quagga ~2008 capped records at 4,096 bytes); the
    # complete fields before the cut are decoded
    TRUNCATED_MESSAGE = "truncated-message"
    BAD_TIMESTAMP = "bad-timestamp"  # BGP4MP_ET microseconds >= 1,000,000; whole second kept


@dataclass(frozen=True)
class Problem:
    """One problem: its kind, the file, the record's offset in the decompressed stream, detail."""

    kind: ProblemKind
    file: str
    offset: int
    detail: str


@dataclass
class IngestReport:
    """Counts of records and elems by type, the problems met, and the files read."""

    files: list[str] = field(default_factory=list)
    records: Counter[str] = field(default_factory=Counter)
    elems: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    problem_counts: Counter[ProblemKind] = field(default_factory=Counter)
    bytes_read: int = 0
    max_problems_kept: int = 1000

    def add_problem(self, kind: ProblemKind, file: str, offset: int, detail: str) -> None:
        """Count a problem; keep its details up to ``max_problems_kept`` of them."""
        self.problem_counts[kind] += 1
        if len(self.problems) < self.max_problems_kept:
            self.problems.append(Problem(kind, file, offset, detail))

    @property
    def partial(self) -> bool:
        """True when anything was skipped: the caller should exit with code 3."""
        return bool(self.problem_counts)

    def merge(self, other: IngestReport) -> None:
        """Fold another report (for example of another file) into this one."""
        self.files.extend(other.files)
        self.records.update(other.records)
        self.elems.update(other.elems)
        self.problem_counts.update(other.problem_counts)
        room = self.max_problems_kept - len(self.problems)
        self.problems.extend(other.problems[: max(room, 0)])
        self.bytes_read += other.bytes_read


@dataclass(frozen=True)
class ProblemSummary:
    """Problems of one kind in one file: how many, the first offsets and the first detail."""

    kind: ProblemKind
    count: int
    first_offsets: tuple[int, ...]
    first_detail: str


def summarize_problems(report: IngestReport) -> tuple[ProblemSummary, ...]:
    """The report's problems by kind: count, first offsets and first detail, by kind name."""
    summaries = []
    for kind, count in sorted(report.problem_counts.items()):
        kept = [p for p in report.problems if p.kind == kind]
        offsets = tuple(p.offset for p in kept[:FIRST_OFFSETS_KEPT])
        summaries.append(ProblemSummary(kind, count, offsets, kept[0].detail if kept else ""))
    return tuple(summaries)


def require_records(path: Path, report: IngestReport) -> None:
    """Raise :class:`InputError` if the reader met problems and read not a single record.

    Such a file is not partial but unreadable (not MRT, or damaged from its first byte).
    """
    if report.partial and not sum(report.records.values()):
        first = report.problems[0] if report.problems else None
        why = f" ({first.kind.value} at offset {first.offset}: {first.detail})" if first else ""
        raise InputError(f"{path}: no MRT record could be read{why}")
