"""Scenario files: elems + reference rows -> expected findings, as data a routing engineer reads.

A scenario is a TOML file (``tests/scenarios/*.toml``). Tables are whitespace-separated
text blocks, one row a line, ``#`` starts a comment::

    name = "exact-prefix hijack against an established origin"
    why = "AS64511 originates 203.0.113.0/24, held by AS64500 in the RIB at the start"
    window = ["2021-01-01T00:00:00Z", "2021-01-02T00:00:00Z"]
    kinds = ["hijack"]            # optional, default all
    elems = '''
    # time                type collector peer_ip   peer_asn  prefix          path (otc=N optional)
    2021-01-01T00:00:00Z  R    rrc00     192.0.2.1 65001     203.0.113.0/24  65001 3356 64500
    2021-01-01T01:00:00Z  A    rrc00     192.0.2.1 65001     203.0.113.0/24  65001 3356 64511
    2021-01-01T02:00:00Z  W    rrc00     192.0.2.1 65001     203.0.113.0/24
    2021-01-01T03:00:00Z  S    rrc00     192.0.2.1 65001     6 1            # old new state
    '''
    vrps = "prefix max_length asn" rows;      irr = "prefix origin source" rows
    bogon_prefixes = "prefix category reason"; bogon_asns = "first last category reason"
    relationships = "a b rel" (CAIDA: -1 a provider of b, 0 peers); orgs = "asn org_id"
    aspas = "customer provider,provider,..."

    [[expect]]                    # every finding, exactly (metric, culprit, prefix)
    metric = "M2"; culprit = 64511; prefix = "203.0.113.0/24"
    accomplice = 3356; decided_by = "established-origin"; labels = ["moas"]  # optional
    [[expect_incident]]           # optional checks of incidents
    metric = "M2"; asn = 64511; weight = 1.0

Paths are printed like bgpdump: ``{1,2}`` is an AS_SET. :func:`load_scenario` returns a
:class:`Scenario`; :func:`check` runs detection and lists every difference (empty = pass).

Failure modes: a malformed line raises :class:`~routewatch.errors.InputError` naming the
file, the table and the line.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from routewatch.detect.engine import ALL_KINDS, Detection, Kind, detect
from routewatch.detect.verdicts import References, aspas_from_table
from routewatch.errors import InputError
from routewatch.methodology import RW_2026_1, Methodology, methodology
from routewatch.prefixes import parse_prefix
from routewatch.reference.asrel import Relationships
from routewatch.reference.bogons import BogonIndex
from routewatch.reference.irr import AUTHORITATIVE_SOURCES, IrrIndex
from routewatch.reference.rov import VrpIndex
from routewatch.schemas import (
    AS_ORGS,
    AS_RELATIONSHIPS,
    ASPAS,
    BOGON_ASNS,
    BOGON_PREFIXES,
    ELEMS,
    IRR_ROUTES,
    VRPS,
)

__all__ = ["Scenario", "check", "elems_batch", "load_scenario", "parse_time"]


def parse_time(text: str) -> int:
    """Microseconds since the epoch of an ISO 8601 UTC time (``Z`` suffix allowed)."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    delta = value - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _rows(text: str) -> list[tuple[int, list[str]]]:
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split("#", 1)[0].split()
        if words:
            out.append((number, words))
    return out


def _path(words: list[str]) -> tuple[list[int], bool, int | None]:
    asns: list[int] = []
    as_set = False
    otc = None
    for word in words:
        if word.startswith("otc="):
            otc = int(word[4:])
        elif word.startswith("{"):
            as_set = True
            asns.extend(int(a) for a in word.strip("{}").split(",") if a)
        else:
            asns.append(int(word))
    return asns, as_set, otc


def elems_batch(text: str, where: str = "elems") -> pa.RecordBatch:
    """An ELEMS record batch from the scenario text table (see module doc)."""
    cols: dict[str, list[Any]] = {name: [] for name in ELEMS.names}
    for number, words in _rows(text):
        try:
            _elem_row(cols, words, number)
        except (ValueError, IndexError) as exc:
            columns = "time type collector peer_ip peer_asn prefix path"
            raise InputError(f"{where}: line {number}: {exc}; expected {columns}") from exc
    arrays = [pa.array(cols[f.name], f.type) for f in ELEMS]
    batch = pa.RecordBatch.from_arrays(arrays, schema=ELEMS)
    # the total elem order of one source: time, then the row's place in the table
    return batch.take(pc.sort_indices(batch, [("timestamp", "ascending")]))


def _elem_row(cols: dict[str, list[Any]], words: list[str], number: int) -> None:
    time, kind, collector, peer_ip, peer_asn = words[:5]
    if kind not in {"R", "A", "W", "S"}:
        raise ValueError(f"unknown elem type {kind!r}")
    row: dict[str, Any] = dict.fromkeys(ELEMS.names)
    row.update(
        timestamp=parse_time(time), elem_type=kind, collector=collector, peer_ip=peer_ip,
        peer_asn=int(peer_asn), record_offset=number,
        record_type="TABLE_DUMP2" if kind == "R" else "BGP4MP",
    )  # fmt: skip
    if kind == "S":
        row.update(old_state=int(words[5]), new_state=int(words[6]))
    else:
        prefix = parse_prefix(words[5])
        row.update(prefix=words[5], afi=prefix.afi, prefix_hi=prefix.hi, prefix_lo=prefix.lo,
                   prefix_len=prefix.length)  # fmt: skip
        if kind in {"R", "A"}:
            asns, as_set, otc = _path(words[6:])
            last = asns[-1:] if not as_set else []
            row.update(
                as_path=" ".join(words[6:]), path_asns=asns, as_set=as_set,
                origin_asns=last or asns, origin_asn=last[0] if last else None,
                only_to_customer=otc, origin="IGP",
            )  # fmt: skip
    for name, value in row.items():
        cols[name].append(value)


def _prefix_cols(text: str) -> dict[str, Any]:
    p = parse_prefix(text)
    return {"prefix": text, "afi": p.afi, "prefix_hi": p.hi, "prefix_lo": p.lo,
            "prefix_len": p.length}  # fmt: skip


def _table(schema: pa.Schema, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=schema)


def references(data: dict[str, Any]) -> References:
    """Reference indexes built from the scenario's text tables (absent table = no data)."""
    def rows(name: str) -> list[list[str]] | None:
        return [w for _, w in _rows(data[name])] if name in data else None

    vrps = rows("vrps")
    irr = rows("irr")
    bogon_prefixes = rows("bogon_prefixes")
    bogon_asns = rows("bogon_asns")
    rels = rows("relationships")
    orgs = rows("orgs")
    aspas = rows("aspas")
    bogons = None
    if bogon_prefixes is not None or bogon_asns is not None:
        bogons = BogonIndex.build(
            _table(BOGON_PREFIXES, [{**_prefix_cols(w[0]), "category": w[1], "reason": w[2],
                                     "source": "scenario"} for w in bogon_prefixes or []]),
            _table(BOGON_ASNS, [{"asn_first": int(w[0]), "asn_last": int(w[1]), "category": w[2],
                                 "reason": w[3], "source": "scenario"} for w in bogon_asns or []]),
        )  # fmt: skip
    return References(
        vrps=None if vrps is None else VrpIndex.build(_table(VRPS, [
            {**_prefix_cols(w[0]), "max_length": int(w[1]), "asn": int(w[2])} for w in vrps
        ])),
        irr=None if irr is None else IrrIndex.build(_table(IRR_ROUTES, [
            {**_prefix_cols(w[0]), "origin": int(w[1]), "source": w[2],
             "authoritative": w[2].upper() in AUTHORITATIVE_SOURCES}
            for w in irr
        ])),
        bogons=bogons,
        relationships=None if rels is None else Relationships.build(
            _table(AS_RELATIONSHIPS, [{"asn_a": int(w[0]), "asn_b": int(w[1]),
                                       "relationship": int(w[2]), "source": "scenario"}
                                      for w in rels]),
            None if orgs is None else _table(AS_ORGS, [{"asn": int(w[0]), "org_id": w[1]}
                                                       for w in orgs]),
        ),
        aspas={} if aspas is None else aspas_from_table(_table(ASPAS, [
            {"customer_asn": int(w[0]), "provider_asns": [int(a) for a in w[1].split(",")]}
            for w in aspas
        ])),
    )  # fmt: skip


@dataclass(frozen=True)
class Scenario:
    """One scenario: its elems, references, window and expectations."""

    path: Path
    name: str
    why: str
    elems: pa.RecordBatch
    refs: References
    window: tuple[int, int] | None
    kinds: frozenset[Kind]
    method: Methodology
    expect: list[dict[str, Any]] = field(default_factory=list)
    expect_incidents: list[dict[str, Any]] = field(default_factory=list)

    def run(self, buckets: int = 1, batch_rows: int | None = None) -> Detection:
        """Detect over the scenario, cut into ``buckets`` buckets and fed ``batch_rows`` elems
        at a time (default: one batch); the answer is the same for every choice."""
        rows = batch_rows or max(self.elems.num_rows, 1)
        batches = [self.elems.slice(i, rows) for i in range(0, self.elems.num_rows, rows)]
        return detect(batches, self.refs, method=self.method, window=self.window,
                      kinds=self.kinds, buckets=buckets)  # fmt: skip


def load_scenario(path: Path) -> Scenario:
    """Read a scenario TOML file."""
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    window = data.get("window")
    kinds = frozenset(Kind(k) for k in data["kinds"]) if "kinds" in data else ALL_KINDS
    return Scenario(
        path, data.get("name", path.stem), data.get("why", ""),
        elems_batch(data.get("elems", ""), f"{path}: elems"), references(data),
        (parse_time(window[0]), parse_time(window[1])) if window else None, kinds,
        methodology(data["methodology"]) if "methodology" in data else RW_2026_1,
        list(data.get("expect", [])), list(data.get("expect_incident", [])),
    )  # fmt: skip


_OPTIONAL = {
    "accomplice": "accomplice_asn",
    "decided_by": "decided_by",
    "origin": "origin_asn",
    "accomplice_counts": "accomplice_counts",
    "peak_visibility": "peak_visibility",
}


def _order(key: tuple[str, int | None, str]) -> tuple[str, int, str]:
    return key[0], -1 if key[1] is None else key[1], key[2]


def check(scenario: Scenario, result: Detection | None = None) -> list[str]:
    """Differences between the scenario's expectations and what detection found."""
    result = result if result is not None else scenario.run()
    found = result.findings.to_pylist()
    problems = []
    got = sorted(((f["metric"], f["culprit_asn"], f["prefix"]) for f in found), key=_order)
    want = sorted(((e["metric"], e.get("culprit"), e["prefix"]) for e in scenario.expect),
                  key=_order)  # fmt: skip
    if got != want:
        problems.append(f"findings (metric, culprit, prefix): expected {want}, got {got}")
    for e in scenario.expect:
        match = [f for f in found
                 if (f["metric"], f["culprit_asn"], f["prefix"])
                 == (e["metric"], e.get("culprit"), e["prefix"])
                 and f["decided_by"] == e.get("decided_by", f["decided_by"])]  # fmt: skip
        if not match:
            problems.append(f"no finding matches the expectation {e}")
        for f in match:
            for key, column in _OPTIONAL.items():
                if key in e and f[column] != e[key]:
                    problems.append(f"{e['metric']} {e['prefix']}: {key} expected {e[key]!r}, "
                                    f"got {f[column]!r}")  # fmt: skip
            missing = set(e.get("labels", [])) - set(f["labels"] or [])
            if missing:
                problems.append(f"{e['metric']} {e['prefix']}: labels {sorted(missing)} missing "
                                f"from {f['labels']}")  # fmt: skip
    incidents = result.incidents.to_pylist()
    for e in scenario.expect_incidents:
        match = [i for i in incidents if i["metric"] == e["metric"] and i["asn"] == e.get("asn")]
        if "count" in e and not match and e["count"] == 0:
            continue
        if not match:
            problems.append(f"no {e['metric']} incident for AS{e.get('asn')}")
            continue
        if "count" in e and len(match) != e["count"]:
            problems.append(f"{e['metric']} AS{e.get('asn')}: {len(match)} incidents, "
                            f"expected {e['count']}")  # fmt: skip
        if "weight" in e:
            total = sum(i["weight"] for i in match)
            if abs(total - float(e["weight"])) > 1e-9:
                problems.append(f"{e['metric']} AS{e.get('asn')}: weight {total}, "
                                f"expected {e['weight']}")  # fmt: skip
    return problems
