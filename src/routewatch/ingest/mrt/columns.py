"""Column buffers the decoder kernel writes into, and their zero-copy conversion to Arrow.

Role: :class:`ColumnBuffers` preallocates the numpy arrays of one batch (fixed-width matrices,
offsets, string bytes, list values) in the layout of :mod:`routewatch.ingest.mrt.layout`;
:meth:`ColumnBuffers.to_batch` wraps the filled part in Arrow buffers without copying (validity
bitmaps are computed with numpy) and returns a record batch with the
:data:`routewatch.schemas.ELEMS` schema. :class:`PeerDictionary` turns the kernel's peer
table (``Tables.peers``) into the ``peer_ip`` dictionary.

Failure modes: none at run time; a schema drift is caught by the unit tests.
"""

from __future__ import annotations

import socket

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.ingest.mrt import layout as d
from routewatch.schemas import ELEM_TYPES, ELEMS, ORIGINS, RECORD_TYPES

__all__ = ["RECORD_TYPE_NAMES", "ColumnBuffers", "PeerDictionary"]

#: Dictionary of ``record_type``: :data:`routewatch.schemas.RECORD_TYPES`, in that order (the
#: decoder writes indices into it).
RECORD_TYPE_NAMES: tuple[str, ...] = RECORD_TYPES

_ELEM_DICT = pa.array(ELEM_TYPES, pa.string())
_RECORD_DICT = pa.array(RECORD_TYPE_NAMES, pa.string())
_ORIGIN_DICT = pa.array(ORIGINS, pa.string())

U8Array = npt.NDArray[np.uint8]


class PeerDictionary:
    """Text of every peer the kernel has seen, in the kernel's peer-id order."""

    def __init__(self, table: npt.NDArray[np.uint64]) -> None:
        self.table = table  # (3, n): afi, address hi, lo per peer id (the kernel writes it)
        self.names: list[str] = []

    def array(self, count: int) -> pa.Array:
        """The dictionary for the first ``count`` peers (formatting only the new ones)."""
        for i in range(len(self.names), count):
            afi, hi, lo = (int(x) for x in self.table[:, i])
            if afi == 4:
                raw = (hi >> 32).to_bytes(4, "big")
                self.names.append(socket.inet_ntop(socket.AF_INET, raw))
            else:
                raw = ((hi << 64) | lo).to_bytes(16, "big")
                self.names.append(socket.inet_ntop(socket.AF_INET6, raw))
        return pa.array(self.names[:count], pa.string())


def _bitmap(mask: npt.NDArray[np.bool_]) -> pa.Buffer | None:
    if bool(mask.all()):
        return None
    return pa.py_buffer(np.packbits(mask, bitorder="little"))


def _buf(arr: npt.NDArray[np.generic]) -> pa.Buffer:
    return pa.py_buffer(np.ascontiguousarray(arr))


class ColumnBuffers:
    """The numpy buffers of one batch, sized for ``capacity`` elems."""

    def __init__(self, capacity: int, data_scale: int = 1) -> None:
        n = max(int(capacity), 16)
        s = max(int(data_scale), 1)
        self.capacity = n
        self.data_scale = s
        self.u64 = np.empty((d.N_U64, n), np.uint64)
        self.u32 = np.empty((d.N_U32, n), np.uint32)
        self.u8 = np.empty((d.N_U8, n), np.uint8)
        self.off = np.zeros((d.N_OFF, n + 1), np.int32)
        self.pfx = np.empty(48 * n, np.uint8)
        self.path = np.empty(64 * n * s + (1 << 16), np.uint8)
        self.nh = np.empty(48 * n, np.uint8)
        self.aggr = np.empty(16 * n, np.uint8)
        self.pasn = np.empty(12 * n * s + (1 << 15), np.uint32)
        self.oasn = np.empty(2 * n * s + (1 << 15), np.uint32)
        self.comm = np.empty(12 * n * s + (1 << 15), np.uint32)
        self.lc = np.empty(6 * n * s + (1 << 15), np.uint32)
        self.unk_off = np.zeros(2 * n * s + (1 << 12), np.int32)
        self.unk = np.empty(32 * n * s + (1 << 16), np.uint8)
        self.cnt = np.zeros(d.N_CNT, np.int64)

    def columns(self) -> d.Columns:
        """The buffers as the kernel receives them."""
        return d.Columns(
            self.u64,
            self.u32,
            self.u8,
            self.off,
            self.pfx,
            self.path,
            self.nh,
            self.aggr,
            self.pasn,
            self.oasn,
            self.comm,
            self.lc,
            self.unk_off,
            self.unk,
            self.cnt,
        )

    @property
    def count(self) -> int:
        """Elems written so far."""
        return int(self.cnt[d.C_N])

    def to_batch(self, peers: pa.Array, collector: str | None) -> pa.RecordBatch:
        """The filled rows as a record batch with the ELEMS schema (zero-copy where possible)."""
        n = self.count
        u8, u32, u64, off = self.u8, self.u32, self.u64, self.off
        f1 = u8[d.U8_F1, :n]
        f2 = u8[d.U8_F2, :n]
        etype = u8[d.U8_ETYPE, :n]
        has_pfx = (f1 & d.F1_PFX) != 0
        attrs = (f1 & d.F1_ATTRS) != 0
        state = (f2 & d.F2_STATE) != 0
        pfx_valid = _bitmap(has_pfx)
        attr_valid = _bitmap(attrs)

        def prim(
            typ: pa.DataType, arr: npt.NDArray[np.generic], mask: npt.NDArray[np.bool_] | None
        ) -> pa.Array:
            valid = None if mask is None else _bitmap(mask)
            return pa.Array.from_buffers(typ, n, [valid, _buf(arr)])

        def string(row: int, data: U8Array, valid: pa.Buffer | None) -> pa.Array:
            end = int(off[row, n])
            return pa.Array.from_buffers(
                pa.string(), n, [valid, _buf(off[row, : n + 1]), _buf(data[:end])]
            )

        def ulist(row: int, values: npt.NDArray[np.uint32], valid: pa.Buffer | None) -> pa.Array:
            end = int(off[row, n])
            child = pa.Array.from_buffers(pa.uint32(), end, [None, _buf(values[:end])])
            return pa.Array.from_buffers(
                pa.list_(pa.uint32()), n, [valid, _buf(off[row, : n + 1])], children=[child]
            )

        def boolean(row: int, valid: pa.Buffer | None) -> pa.Array:
            bits = pa.py_buffer(np.packbits(u8[row, :n] != 0, bitorder="little"))
            return pa.Array.from_buffers(pa.bool_(), n, [valid, bits])

        def dictionary(
            index_type: pa.DataType,
            idx: npt.NDArray[np.generic],
            values: pa.Array,
            mask: npt.NDArray[np.bool_] | None,
        ) -> pa.Array:
            indices = prim(index_type, idx, mask)
            return pa.DictionaryArray.from_arrays(indices, values)

        if collector is None:
            coll = pa.DictionaryArray.from_arrays(
                pa.nulls(n, pa.int32()), pa.array([], pa.string())
            )
        else:
            coll = pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n, np.int32)), pa.array([collector], pa.string())
            )
        n_lc = int(off[d.O_LC, n])
        lc = self.lc[: 3 * n_lc].reshape(n_lc, 3) if n_lc else np.zeros((0, 3), np.uint32)
        lc_struct = pa.StructArray.from_arrays(
            [pa.array(np.ascontiguousarray(lc[:, i])) for i in range(3)],
            fields=list(ELEMS.field("large_communities").type.value_type),
        )
        lc_list = pa.Array.from_buffers(
            ELEMS.field("large_communities").type,
            n,
            [attr_valid, _buf(off[d.O_LC, : n + 1])],
            children=[lc_struct],
        )
        n_unk = int(off[d.O_UNK, n])
        unk_end = int(self.unk_off[n_unk])
        unk_items = pa.Array.from_buffers(
            pa.binary(), n_unk, [None, _buf(self.unk_off[: n_unk + 1]), _buf(self.unk[:unk_end])]
        )
        unk_list = pa.Array.from_buffers(
            pa.list_(pa.binary()),
            n,
            [attr_valid, _buf(off[d.O_UNK, : n + 1])],
            children=[unk_items],
        )
        arrays = [
            pa.Array.from_buffers(pa.timestamp("us", tz="UTC"), n, [None, _buf(u64[d.U64_TS, :n])]),
            dictionary(pa.int8(), etype, _ELEM_DICT, None),
            dictionary(pa.int8(), u8[d.U8_RTYPE, :n], _RECORD_DICT, None),
            coll,
            dictionary(pa.int32(), u32[d.U32_PEER, :n], peers, None),
            prim(pa.uint32(), u32[d.U32_PASN, :n], None),
            string(d.O_PFX, self.pfx, pfx_valid),
            prim(pa.uint8(), u8[d.U8_AFI, :n], has_pfx),
            prim(pa.uint64(), u64[d.U64_HI, :n], has_pfx),
            prim(pa.uint64(), u64[d.U64_LO, :n], has_pfx),
            prim(pa.uint8(), u8[d.U8_PLEN, :n], has_pfx),
            prim(pa.uint32(), u32[d.U32_PID, :n], (f1 & d.F1_PID) != 0),
            string(d.O_PATH, self.path, _bitmap((f2 & d.F2_PATH) != 0)),
            ulist(d.O_PASN, self.pasn, attr_valid),
            boolean(d.U8_ASSET, attr_valid),
            ulist(d.O_OASN, self.oasn, attr_valid),
            prim(pa.uint32(), u32[d.U32_OASN, :n], (f1 & d.F1_OASN) != 0),
            dictionary(pa.int8(), u8[d.U8_ORIGIN, :n], _ORIGIN_DICT, (f2 & d.F2_ORIGIN) != 0),
            string(d.O_NH, self.nh, _bitmap((f2 & d.F2_NH) != 0)),
            prim(pa.uint32(), u32[d.U32_LP, :n], (f1 & d.F1_LP) != 0),
            prim(pa.uint32(), u32[d.U32_MED, :n], (f1 & d.F1_MED) != 0),
            ulist(d.O_COMM, self.comm, attr_valid),
            lc_list,
            boolean(d.U8_ATOMIC, attr_valid),
            prim(pa.uint32(), u32[d.U32_AGGR, :n], (f1 & d.F1_AGGR) != 0),
            string(d.O_AGGR, self.aggr, _bitmap((f1 & d.F1_AGGR) != 0)),
            prim(pa.uint32(), u32[d.U32_OTC, :n], (f1 & d.F1_OTC) != 0),
            unk_list,
            prim(pa.uint8(), u8[d.U8_OLD, :n], state),
            prim(pa.uint8(), u8[d.U8_NEW, :n], state),
            prim(pa.uint64(), u64[d.U64_OFF, :n], None),
        ]
        return pa.RecordBatch.from_arrays(arrays, schema=ELEMS)
