"""Problems the MRT kernel records: kind codes, detail codes with their texts, the recorder.

Role: the kernel cannot create Python objects, so a problem is a row of four integers in
``Tables.probs`` — kind (an index into :class:`~routewatch.ingest.report.ProblemKind`),
record offset, detail code, value — and a count in ``Tables.pcounts``. :func:`note` writes
one; the reader turns the rows into :class:`~routewatch.ingest.report.Problem` objects with
:func:`detail_text` (``DETAILS`` holds the text of each detail code, ``{}`` is the value).
Rows beyond the buffer are only counted; the kernel hands the rows over before they run out
(see ``decoder.decode``). No failure modes.
"""

from __future__ import annotations

from routewatch.ingest.mrt.jit import kernel
from routewatch.ingest.mrt.state import S_NPROB, S_POVER, Tables
from routewatch.ingest.report import ProblemKind

__all__ = ["DETAILS", "KINDS", "detail_text", "note"]

#: Problem kinds in kernel code order (the code is the index).
KINDS: tuple[ProblemKind, ...] = tuple(ProblemKind)
P_TRUNCATED = KINDS.index(ProblemKind.TRUNCATED_FILE)
P_BAD_LENGTH = KINDS.index(ProblemKind.BAD_RECORD_LENGTH)
P_FRAMING = KINDS.index(ProblemKind.FRAMING_RECOVERED)
P_DEPRECATED = KINDS.index(ProblemKind.DEPRECATED_RECORD)
P_MALFORMED_RECORD = KINDS.index(ProblemKind.MALFORMED_RECORD)
P_MALFORMED_ATTRIBUTE = KINDS.index(ProblemKind.MALFORMED_ATTRIBUTE)
P_MALFORMED_NLRI = KINDS.index(ProblemKind.MALFORMED_NLRI)
P_MISSING_PIT = KINDS.index(ProblemKind.MISSING_PEER_INDEX)
P_BAD_PIT = KINDS.index(ProblemKind.BAD_PEER_INDEX)
P_MESSAGE_CUT = KINDS.index(ProblemKind.TRUNCATED_MESSAGE)
P_BAD_TIME = KINDS.index(ProblemKind.BAD_TIMESTAMP)

#: Text of each detail code (``{}``: the problem's value).
DETAILS: tuple[str, ...] = (
    "stream ends inside an MRT header ({} bytes left)",
    "stream ends inside a record ({} body bytes present)",
    "skipped {} bytes to the next plausible MRT header",
    "no plausible MRT header in the next {} bytes; skipped",
    "deprecated subtype {} not decoded",
    "record body too short or inconsistent (check {})",
    "attribute runs past its section (check {})",
    "AS_PATH malformed (check {})",
    "NLRI prefix length {} invalid or truncated",
    "RIB entries before any PEER_INDEX_TABLE",
    "peer index {} beyond the PEER_INDEX_TABLE",
    "record length disagrees with the data; {} body bytes used",
    "BGP marker is not all ones",
    "state change of unexpected length {}",
    "BGP message runs {} bytes past the end of its MRT record; its complete fields decoded",
    "BGP4MP_ET microseconds {} not below 1,000,000; elems stamped at the whole second",
)
(
    D_HEADER_CUT,
    D_RECORD_CUT,
    D_RESYNC,
    D_SKIPPED,
    D_DEPRECATED,
    D_BODY,
    D_ATTR,
    D_AS_PATH,
    D_NLRI,
    D_NO_PIT,
    D_PIT_INDEX,
    D_LENGTH_FIXED,
    D_MARKER,
    D_STATE,
    D_MESSAGE_CUT,
    D_MICROSECONDS,
) = range(len(DETAILS))


def detail_text(detail: int, value: int) -> str:
    """The detail text of a problem row."""
    return DETAILS[detail].format(value)


@kernel
def note(tb: Tables, kind: int, offset: int, detail: int, value: int) -> None:
    """Count a problem and write its row if there is room (else flag the overflow)."""
    tb.pcounts[kind] += 1
    n = tb.state[S_NPROB]
    if n < tb.probs.shape[1]:
        tb.probs[0, n] = kind
        tb.probs[1, n] = offset
        tb.probs[2, n] = detail
        tb.probs[3, n] = value
        tb.state[S_NPROB] = n + 1
    else:
        tb.state[S_POVER] = 1
