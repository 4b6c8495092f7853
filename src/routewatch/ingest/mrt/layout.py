"""Layout of the buffers the MRT kernel writes a batch of elems into.

Role: one batch is a :class:`Columns` tuple of numpy arrays (:class:`~.columns.ColumnBuffers`
allocates it, the kernel fills it, ``ColumnBuffers.to_batch`` wraps it as Arrow): fixed-width
matrices with one row per column (``U64_*``, ``U32_*``, ``U8_*``), offset rows of the
variable-length columns (``O_*``), their data buffers, and the fill counters (``C_*``). Flag
bits (``F1_*``, ``F2_*``) say which nullable values are present. The codes written into the
dictionary columns are indices into :mod:`routewatch.schemas` (``ELEM_*`` into ``ELEM_TYPES``,
``RECORD_COL_*`` into ``RECORD_TYPES``: the *record_type column*, not MRT type numbers, which
are in :mod:`.codes`). No failure modes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from routewatch.ingest.mrt.jit import inline
from routewatch.schemas import ELEM_TYPES, RECORD_TYPES

__all__ = ["Columns"]

U8s = npt.NDArray[np.uint8]
I32s = npt.NDArray[np.int32]
U32s = npt.NDArray[np.uint32]
I64s = npt.NDArray[np.int64]
U64s = npt.NDArray[np.uint64]

# ---- elem_type codes ----------------------------------------------------------------------
ELEM_R = ELEM_TYPES.index("R")
ELEM_A = ELEM_TYPES.index("A")
ELEM_W = ELEM_TYPES.index("W")
ELEM_S = ELEM_TYPES.index("S")

# ---- record_type codes (bgpdump's first column) --------------------------------------------
RECORD_COL_TABLE_DUMP = RECORD_TYPES.index("TABLE_DUMP")
RECORD_COL_TABLE_DUMP2 = RECORD_TYPES.index("TABLE_DUMP2")
RECORD_COL_TABLE_DUMP2_AP = RECORD_TYPES.index("TABLE_DUMP2_AP")
RECORD_COL_BGP = RECORD_TYPES.index("BGP")
# BGP4MP variants: this code + 1 for ET, + 2 for ADD-PATH, + 4 for LOCAL (RECORD_TYPES order)
RECORD_COL_BGP4MP = RECORD_TYPES.index("BGP4MP")


@inline
def bgp4mp_record_col(et: bool, addpath: bool, local: bool) -> int:
    """The record_type code of a BGP4MP record: ``BGP4MP[_ET][_LOCAL][_AP]``."""
    return RECORD_COL_BGP4MP + int(et) + 2 * int(addpath) + 4 * int(local)


# ---- rows of the fixed-width matrices ------------------------------------------------------
U64_TS, U64_OFF, U64_HI, U64_LO = range(4)
U32_PEER, U32_PASN, U32_PID, U32_OASN, U32_LP, U32_MED, U32_AGGR, U32_OTC = range(8)
(
    U8_ETYPE,
    U8_RTYPE,
    U8_ORIGIN,
    U8_AFI,
    U8_PLEN,
    U8_OLD,
    U8_NEW,
    U8_ASSET,
    U8_ATOMIC,
    U8_F1,
    U8_F2,
) = range(11)
N_U64, N_U32, N_U8 = 4, 8, 11
# flag bits in the U8_F1 row
F1_PID, F1_OASN, F1_LP, F1_MED, F1_AGGR, F1_OTC, F1_PFX, F1_ATTRS = 1, 2, 4, 8, 16, 32, 64, 128
# flag bits in the U8_F2 row
F2_NH, F2_ORIGIN, F2_STATE, F2_PATH = 1, 2, 4, 8
# rows of the offsets matrix (one per variable-length column)
O_PFX, O_PATH, O_NH, O_AGGR, O_PASN, O_OASN, O_COMM, O_LC, O_UNK = range(9)
N_OFF = 9
# slots of the fill counters: elems, then the fill level of each data buffer
C_N, C_PFX, C_PATH, C_NH, C_AGGR, C_PASN, C_OASN, C_COMM, C_LC, C_UNKI, C_UNKD = range(11)
N_CNT = 11


class Columns(NamedTuple):
    """The buffers of one batch, as the kernel receives them."""

    u64: U64s  # (N_U64, capacity)
    u32: U32s  # (N_U32, capacity)
    u8: U8s  # (N_U8, capacity)
    off: I32s  # (N_OFF, capacity + 1)
    pfx: U8s  # prefix text
    path: U8s  # AS path text
    nh: U8s  # next hop text
    aggr: U8s  # aggregator address text
    pasn: U32s  # path ASNs
    oasn: U32s  # origin ASNs
    comm: U32s  # communities
    lc: U32s  # large communities, three values each
    unk_off: I32s  # offsets of the unknown attributes' bytes
    unk: U8s  # unknown attributes' bytes
    cnt: I64s  # fill counters (C_*)
