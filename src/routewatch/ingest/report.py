"""The ingest report: what was read, and every problem met, counted by kind with its offset.

Readers never raise on a bad record: they record a :class:`Problem`, keep what is readable
and go on (or stop at the point where nothing more can be framed). A report with problems
makes the CLI exit with code 3 (finished with partial data).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["IngestReport", "Problem", "ProblemKind"]


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
