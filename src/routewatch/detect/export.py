"""Route state as Arrow: spans, paths, and visibility over time.

Role: hand route state to other stages (the metrics stage counts announced (prefix, origin)
pairs; the dashboard draws visibility) without exposing the interned ids' internals.
:func:`spans_table` gives ROUTE_SPANS rows, :func:`paths_table` the ROUTE_PATHS they point to,
:func:`visibility_series` the number of distinct peer ASNs holding each group of spans at
every time it changes. Pure; no I/O.
"""

from __future__ import annotations

import numba as nb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from routewatch.detect.state import Catalog, Spans, sweep_events
from routewatch.schemas import ROUTE_PATHS, ROUTE_SPANS

__all__ = ["paths_table", "spans_table", "visibility_series"]

I64 = npt.NDArray[np.int64]


def spans_table(spans: Spans, catalog: Catalog) -> pa.Table:
    """ROUTE_SPANS rows of the spans."""
    peer = spans.peer
    prefix = spans.prefix
    texts = np.array([catalog.prefix_text(i) for i in range(len(catalog.prefix_len))],
                     dtype=object)  # fmt: skip
    origins = catalog.origins()[spans.path]
    origin_asn = pa.array(np.where(origins < 0, 0, origins).astype(np.uint32), mask=origins < 0)
    ts = pa.timestamp("us", tz="UTC")
    columns = {
        "collector": pa.array(np.array(catalog.peer_collector, dtype=object)[peer], pa.string()),
        "peer_ip": pa.array(np.array(catalog.peer_ip, dtype=object)[peer], pa.string()),
        "peer_asn": pa.array(catalog.peer_asns()[peer], pa.uint32()),
        "prefix": pa.array(texts[prefix], pa.string()),
        "afi": pa.array(np.asarray(catalog.prefix_afi, np.uint8)[prefix]),
        "prefix_hi": pa.array(np.asarray(catalog.prefix_hi, np.uint64)[prefix]),
        "prefix_lo": pa.array(np.asarray(catalog.prefix_lo, np.uint64)[prefix]),
        "prefix_len": pa.array(np.asarray(catalog.prefix_len, np.uint8)[prefix]),
        "path_id": pa.array(spans.path.astype(np.uint32)),
        "origin_asn": origin_asn,
        "start": pa.array(spans.start, pa.int64()).cast(ts),
        "end": pa.array(spans.end, pa.int64(), mask=spans.end < 0).cast(ts),
        "from_rib": pa.array(spans.rib),
    }
    return pa.Table.from_pydict(columns, schema=ROUTE_SPANS)


def paths_table(catalog: Catalog) -> pa.Table:
    """ROUTE_PATHS rows of every interned path."""
    return pa.Table.from_pydict(
        {
            "path_id": pa.array(np.arange(catalog.n_paths, dtype=np.uint32)),
            "path_asns": pa.ListArray.from_arrays(pa.array(catalog.path_offsets, pa.int32()),
                                                  pa.array(catalog.path_values, pa.uint32())),
            "as_set": pa.array(catalog.path_as_set, pa.bool_()),
            "only_to_customer": pa.array(np.maximum(catalog.path_otc, 0).astype(np.uint32),
                                         mask=catalog.path_otc < 0),
        },
        schema=ROUTE_PATHS,
    )


@nb.njit(cache=True)
def _series_kernel(
    group: I64, time: I64, delta: npt.NDArray[np.int8], asn: I64
) -> tuple[I64, I64, I64]:
    n = len(group)
    out_g = np.empty(n, np.int64)
    out_t = np.empty(n, np.int64)
    out_c = np.empty(n, np.int64)
    k = 0
    counts = nb.typed.Dict.empty(key_type=nb.types.int64, value_type=nb.types.int64)
    distinct = 0
    for i in range(n):
        if i == 0 or group[i] != group[i - 1]:
            counts.clear()
            distinct = 0
        a = asn[i]
        c = counts.get(a, 0) + delta[i]
        if c == 0:
            del counts[a]
            distinct -= 1
        else:
            if c == 1 and delta[i] == 1:
                distinct += 1
            counts[a] = c
        last_of_time = i + 1 == n or group[i + 1] != group[i] or time[i + 1] != time[i]
        if last_of_time:
            if k > 0 and out_g[k - 1] == group[i] and out_c[k - 1] == distinct:
                continue
            out_g[k] = group[i]
            out_t[k] = time[i]
            out_c[k] = distinct
            k += 1
    return out_g[:k], out_t[:k], out_c[:k]


def visibility_series(
    group: I64, start: I64, end: I64, asn: npt.NDArray[np.integer]
) -> tuple[I64, I64, I64]:
    """(group, time, distinct peer ASNs from that time on) at every change, per group.

    ``end`` must have open spans replaced by a horizon; the series of a group ends with a
    0 at its last end time.
    """
    events = sweep_events(group, start, end, asn)
    if len(events[0]) == 0:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    series: tuple[I64, I64, I64] = _series_kernel(*events)
    return series
