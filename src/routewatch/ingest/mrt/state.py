"""The MRT kernel's working memory, grouped: per-file tables and per-record scratch.

Role: :class:`Tables` holds what lives as long as one file's decoding (counters, problem rows,
the peer dictionary, the current PEER_INDEX_TABLE); :class:`Scratch` the arrays one record is
decoded with (attribute summary, MP_REACH / MP_UNREACH and NLRI-list tables, AS path
segments and ASNs, text buffers, the counter snapshot of the all-or-nothing write).
:func:`new_tables` and :func:`new_scratch` allocate them; the kernel reads and writes them in
place, so their sizes are limits the kernel checks against. Scalars that travel together
between kernel functions are small named tuples too: :class:`Source` (where an elem comes
from) and :class:`Prefix` (an NLRI prefix). No failure modes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from routewatch.ingest.mrt.layout import I32s, I64s, U8s, U32s, U64s
from routewatch.ingest.report import ProblemKind

__all__ = ["Prefix", "Scratch", "Source", "Tables", "new_scratch", "new_tables"]

# ---- slots of Tables.state ------------------------------------------------------------------
S_PEERS = 0  # distinct peers in the peer dictionary
S_PIT = 1  # entries of the current PEER_INDEX_TABLE, -1 = none seen
S_LASTTS = 2  # timestamp of the last good record
S_NPROB = 3  # problem rows written (the caller drains them)
S_POVER = 4  # 1 when the current record met more problems than there were free rows
N_STATE = 8

PEER_CAPACITY = 1 << 16  # distinct peers of one file (the hash table has twice the slots)
PIT_CAPACITY = 1 << 16  # entries of a PEER_INDEX_TABLE (a 16-bit count)
PROBLEM_ROWS = 1024  # problem rows between two drains
RECORD_SLOTS = 6  # rows of Tables.rec_counts: BGP, TABLE_DUMP, _V2, BGP4MP, _ET, other
SUBTYPE_SLOTS = 16  # columns of Tables.rec_counts (the last one counts larger subtypes)

# ---- scratch sizes --------------------------------------------------------------------------
SC_ASN = 1 << 17  # > the ASNs of a 64 KiB AS_PATH plus a 64 KiB AS4_PATH
SC_SEG = 1 << 17
SC_TEXT = 1 << 19
SC_MP = 8  # MP_REACH_NLRI attributes kept per record (as many MP_UNREACH_NLRI)
SC_LISTS = 16  # NLRI lists of one UPDATE (1 + 6 withdrawn, 1 + 6 announced)
SC_UNKNOWN = 4096  # unknown attributes kept per record
N_SNAP = 64  # slots of the snapshot (fill counters, then problem counts)


class Tables(NamedTuple):
    """What the kernel keeps for the whole file."""

    state: I64s  # S_* slots
    pcounts: I64s  # problems counted by kind, not yet taken by the caller
    probs: I64s  # (4, PROBLEM_ROWS): kind, offset, detail, value per problem
    rec_counts: I64s  # (RECORD_SLOTS, SUBTYPE_SLOTS): records read by type and subtype
    peers: U64s  # (3, PEER_CAPACITY): afi, address hi, lo per peer id
    peer_hash: I64s  # open addressing: slot -> peer id, -1 = empty
    pit_peer: I32s  # PEER_INDEX_TABLE: index -> peer id
    pit_asn: U32s  # PEER_INDEX_TABLE: index -> peer AS


class Scratch(NamedTuple):
    """What the kernel decodes one record with (overwritten record after record)."""

    at: I64s  # attribute summary (A_* slots of .attributes)
    mp_reach: I64s  # (SC_MP, 6): MP_REACH_NLRI table
    mp_unreach: I64s  # (SC_MP, 4): MP_UNREACH_NLRI table
    lists: I64s  # (SC_LISTS, 6): the NLRI lists of an UPDATE in bgpdump's order
    unknown: I64s  # (2, SC_UNKNOWN): start and length of each unknown attribute
    seg: I64s  # (3, 3, SC_SEG): AS path segments (type, start, length) of 3 paths
    asn: I64s  # (3, SC_ASN): their ASNs (AS_PATH, AS4_PATH, the final path)
    text: U8s  # AS path text
    aggr_text: U8s  # aggregator address text
    nh_text: U8s  # next hop text
    snap: I64s  # (N_SNAP,): fill counters and problem counts before the current record


class Source(NamedTuple):
    """Where the elems being written come from."""

    rtype: int  # record_type code (layout.RECORD_COL_*)
    ts_us: int  # time in microseconds
    roff: int  # record offset in the decompressed stream
    peer: int  # peer id
    pasn: int  # peer AS


class Prefix(NamedTuple):
    """One prefix (or none, for state changes) with its ADD-PATH path id."""

    afi: int  # 4 or 6 (0: none)
    plen: int
    hi: np.uint64  # left-aligned address bits
    lo: np.uint64
    pid: int  # path id (RFC 8050)
    has_pid: bool


def new_tables() -> Tables:
    """Fresh per-file tables: no peers, no PEER_INDEX_TABLE yet, no problems."""
    state = np.zeros(N_STATE, np.int64)
    state[S_PIT] = -1
    return Tables(
        state,
        np.zeros(len(ProblemKind), np.int64),
        np.zeros((4, PROBLEM_ROWS), np.int64),
        np.zeros((RECORD_SLOTS, SUBTYPE_SLOTS), np.int64),
        np.zeros((3, PEER_CAPACITY), np.uint64),
        np.full(2 * PEER_CAPACITY, -1, np.int64),
        np.zeros(PIT_CAPACITY, np.int32),
        np.zeros(PIT_CAPACITY, np.uint32),
    )


def new_scratch() -> Scratch:
    """Per-record scratch arrays of the sizes the kernel checks against."""
    return Scratch(
        np.zeros(32, np.int64),
        np.zeros((SC_MP, 6), np.int64),
        np.zeros((SC_MP, 4), np.int64),
        np.zeros((SC_LISTS, 6), np.int64),
        np.zeros((2, SC_UNKNOWN), np.int64),
        np.empty((3, 3, SC_SEG), np.int64),
        np.empty((3, SC_ASN), np.int64),
        np.empty(SC_TEXT, np.uint8),
        np.zeros(32, np.uint8),
        np.zeros(64, np.uint8),
        np.zeros(N_SNAP, np.int64),
    )
