"""Benchmark: RFC 6811 origin validation, routewatch's VrpIndex against a py-radix validator.

What it does, in one run:

1. VRPs: the union of the real snapshots in ``rpki/`` of the shared corpus (four rcynic
   ``scan_roas`` snapshots 2016-2017 and the RIPE NCC archive AFRINIC TA 2022-01-02),
   46,028 distinct VRPs (a plain clone has two of them, ``tests/data/shared``). To reach the
   size of today's global RPKI (~800,000 VRPs) the real VRPs are **re-based** onto other
   address blocks: copy k keeps each VRP's length, maxLength, ASN and low bits and changes its
   first IPv4 octet / bits 3-15 of its IPv6 address. So the shape (length mix, maxLength use,
   AS0, MOAS) is real, the addresses of the copies are not.
2. Loaders: the VRPs are written as a Routinator CSV and an rpki-client JSON file and read
   back with routewatch's loaders (timed).
3. One million (prefix, origin) pairs shaped from the real VRPs: exact prefix and AS,
   more specifics (1-8 bits longer) with the AS, the same with another VRP's AS, routes
   with no origin (AS_SET), and random /24 and /48 routes (mostly uncovered).
4. Both validators classify every pair; the script checks that state and reason agree on
   all of them and prints pairs/s of each and the ratio (the floor is 10x).
5. Bogons: the same prefixes against the packaged IANA set plus the real Team Cymru
   fullbogons of 2024-03-10 (~145,000 rows), BogonIndex against py-radix ``search_best``.

Run: ``.venv/bin/python benchmarks/lookups.py [--pairs N] [--vrps N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import radix

from routewatch.prefixes import format_prefix
from routewatch.reference.bogons import BogonIndex, iana_bogon_prefixes, load_cymru_fullbogons
from routewatch.reference.rov import VrpIndex
from routewatch.reference.rpki import (
    load_rcynic_scan_roas,
    load_ripe_archive_csv,
    load_routinator_csv,
    load_rpki_client_json,
)
from routewatch.schemas import VRPS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from _data import refuse_missing, shared_data, shared_files

FLOOR = 10.0
_NOT_FOUND, _VALID, _INVALID = 0, 1, 2
_NONE, _AS, _LENGTH, _AS_LENGTH = 0, 1, 2, 3


def real_vrps() -> pa.Table:
    """Distinct VRPs of every real snapshot in shared/data/rpki (the repository's copy and the
    larger corpus, tests/_data.py)."""
    tables = [load_rcynic_scan_roas([p]).table for p in shared_files("rpki", "rcynic-*.txt")]
    tables += [
        load_ripe_archive_csv([p]).table for p in shared_files("rpki", "ripe-archive_*.csv")
    ]
    table = pa.concat_tables(tables)
    key = ["afi", "prefix_hi", "prefix_lo", "prefix_len", "max_length", "asn"]
    return table.group_by(key).aggregate([]).select(key)


def rebase(table: pa.Table, target: int) -> pa.Table:
    """Real VRPs plus re-based copies (see module doc) up to ``target`` rows."""
    afi = table["afi"].to_numpy()
    length = table["prefix_len"].to_numpy()
    usable = (afi == 4) & (length >= 8) | (afi == 6) & (length >= 16)
    parts = [table]
    k = 1
    while sum(p.num_rows for p in parts) < target:
        t = table.filter(pa.array(usable))
        a, h = t["afi"].to_numpy(), t["prefix_hi"].to_numpy().copy()
        v4 = a == 4
        first = (h[v4] >> np.uint64(56)).astype(np.int64)
        new_first = ((first - 1 + 37 * k) % 222 + 1).astype(np.uint64)
        h[v4] = (h[v4] & np.uint64((1 << 56) - 1)) | (new_first << np.uint64(56))
        top = (h[~v4] >> np.uint64(48)).astype(np.int64)
        new_top = (0x2000 | ((top + 0x0101 * k) & 0x1FFF)).astype(np.uint64)
        h[~v4] = (h[~v4] & np.uint64((1 << 48) - 1)) | (new_top << np.uint64(48))
        column = t.schema.get_field_index("prefix_hi")
        parts.append(t.set_column(column, t.schema.field(column), pa.array(h)))
        k += 1
    return pa.concat_tables(parts).slice(0, target)


def as_vrps_table(t: pa.Table) -> pa.Table:
    """Add the text and optional columns of the VRPS schema."""
    rows = zip(
        t["afi"].to_pylist(),
        t["prefix_hi"].to_pylist(),
        t["prefix_lo"].to_pylist(),
        t["prefix_len"].to_pylist(),
        strict=True,
    )
    text = [format_prefix(*r) for r in rows]
    n = t.num_rows
    return pa.Table.from_arrays(
        [
            pa.array(text),
            t["afi"],
            t["prefix_hi"],
            t["prefix_lo"],
            t["prefix_len"],
            t["max_length"],
            t["asn"],
            pa.nulls(n, pa.string()),
            pa.nulls(n, pa.timestamp("s", tz="UTC")),
        ],
        schema=VRPS,
    )


def make_pairs(vrps: pa.Table, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Real-shaped (prefix, origin) pairs; see module doc for the mix."""
    afi = vrps["afi"].to_numpy()
    hi = vrps["prefix_hi"].to_numpy()
    lo = vrps["prefix_lo"].to_numpy()
    length = vrps["prefix_len"].to_numpy().astype(np.int64)
    asn = vrps["asn"].to_numpy()
    pick = rng.integers(0, len(afi), n)
    q_afi, q_hi, q_lo = afi[pick].copy(), hi[pick].copy(), lo[pick].copy()
    q_len, q_asn = length[pick].copy(), asn[pick].copy()
    kind = rng.choice(5, n, p=[0.3, 0.2, 0.25, 0.05, 0.2])
    # more specifics (kinds 1, 2 and half of 3): 1..8 random bits more, within the family
    longer = (kind == 1) | (kind == 2) & (rng.random(n) < 0.6) | (kind == 3)
    width = np.where(q_afi == 4, 32, 128)
    extra = np.minimum(rng.integers(1, 9, n), width - q_len) * longer
    new_len = q_len + extra
    noise_hi = rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    noise_lo = rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    q_hi, q_lo = _set_bits(q_hi, q_lo, q_len, new_len, noise_hi, noise_lo)
    q_len = new_len
    other = asn[rng.integers(0, len(asn), n)]
    q_asn = np.where(kind == 2, other, q_asn)
    # random /24 and /48 routes
    rand = kind == 4
    v4 = rng.random(n) < 0.7
    r_hi = rng.integers(1 << 24, 224 << 24, n, dtype=np.uint64) << np.uint64(40)
    r_hi6 = (np.uint64(0x2000) << np.uint64(48)) | (
        rng.integers(0, 1 << 32, n, dtype=np.uint64) << np.uint64(16)
    )
    q_afi = np.where(rand, np.where(v4, 4, 6), q_afi).astype(np.uint8)
    q_hi = np.where(rand, np.where(v4, r_hi, r_hi6), q_hi).astype(np.uint64)
    q_lo = np.where(rand, 0, q_lo).astype(np.uint64)
    q_len = np.where(rand, np.where(v4, 24, 48), q_len).astype(np.uint8)
    q_asn = np.where(rand, other, q_asn).astype(np.uint32)
    return {
        "afi": q_afi,
        "hi": q_hi,
        "lo": q_lo,
        "len": q_len,
        "asn": q_asn,
        "has_origin": kind != 3,
    }


def _set_bits(
    hi: np.ndarray,
    lo: np.ndarray,
    old: np.ndarray,
    new: np.ndarray,
    noise_hi: np.ndarray,
    noise_lo: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill bits old..new-1 with noise (left-aligned 128-bit words)."""

    def mask(bits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        full = np.uint64(0xFFFFFFFFFFFFFFFF)
        b = bits.astype(np.int64)
        h = np.where(
            b >= 64,
            full,
            np.where(b <= 0, 0, full << np.clip(64 - b, 0, 63).astype(np.uint64)),
        )
        low = np.where(
            b <= 64, 0, np.where(b >= 128, full, full << np.clip(128 - b, 0, 63).astype(np.uint64))
        )
        return h.astype(np.uint64), low.astype(np.uint64)

    old_h, old_l = mask(old)
    new_h, new_l = mask(new)
    hi = hi | (noise_hi & new_h & ~old_h)
    lo = lo | (noise_lo & new_l & ~old_l)
    return hi, lo


def radix_validate(
    vrps: pa.Table, pairs: dict[str, Any]
) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """RFC 6811 with py-radix: search_covering, then the rules in Python."""
    started = time.perf_counter()
    tree = radix.Radix()
    for prefix, max_length, asn in zip(
        vrps["prefix"].to_pylist(),
        vrps["max_length"].to_pylist(),
        vrps["asn"].to_pylist(),
        strict=True,
    ):
        node = tree.add(prefix)
        node.data.setdefault("vrps", []).append((asn, max_length))
    built = time.perf_counter() - started
    texts = pairs["text"]
    state = np.empty(len(texts), dtype=np.uint8)
    reason = np.empty(len(texts), dtype=np.uint8)
    start = time.perf_counter()
    for i, (text, length, origin, has_origin) in enumerate(
        zip(
            texts,
            pairs["len"].tolist(),
            pairs["asn"].tolist(),
            pairs["has_origin"].tolist(),
            strict=True,
        )
    ):
        covered = as_match = length_ok = matched = False
        for node in tree.search_covering(text):
            for asn, max_length in node.data["vrps"]:
                covered = True
                same_as = has_origin and asn != 0 and asn == origin
                fits = length <= max_length
                if same_as and fits:
                    matched = True
                    break
                as_match |= same_as
                length_ok |= fits
            if matched:
                break
        if matched:
            state[i], reason[i] = _VALID, _NONE
        elif not covered:
            state[i], reason[i] = _NOT_FOUND, _NONE
        else:
            state[i] = _INVALID
            reason[i] = _LENGTH if as_match else (_AS if length_ok else _AS_LENGTH)
    elapsed = time.perf_counter() - start
    return state, reason, (built, elapsed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--vrps", type=int, default=800_000)
    parser.add_argument("--seed", type=int, default=6811)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    real = real_vrps()
    vrps = as_vrps_table(rebase(real, args.vrps))
    v4 = pc.sum(pc.equal(vrps["afi"], 4)).as_py()
    print(f"VRPs: {real.num_rows:,} distinct real, {vrps.num_rows:,} after re-basing ({v4:,} IPv4)")

    with tempfile.TemporaryDirectory() as tmp:
        time_loaders(vrps, Path(tmp))

    pairs = make_pairs(vrps, args.pairs, rng)
    pairs["text"] = [
        format_prefix(int(a), int(h), int(lw), int(ln))
        for a, h, lw, ln in zip(pairs["afi"], pairs["hi"], pairs["lo"], pairs["len"], strict=True)
    ]
    rov_ok = bench_rov(vrps, pairs)
    bogons_ok = bench_bogons(pairs)
    return 0 if rov_ok and bogons_ok else 1


def bench_rov(vrps: pa.Table, pairs: dict[str, Any]) -> bool:
    """ROV of every pair with both validators; True when they agree and the floor is met."""
    t0 = time.perf_counter()
    index = VrpIndex.build(vrps)
    t1 = time.perf_counter()
    small = {k: v[:1000] for k, v in pairs.items() if k != "text"}
    index.validate(small["afi"], small["hi"], small["lo"], small["len"], small["asn"])
    t2 = time.perf_counter()
    result = index.validate(
        pairs["afi"], pairs["hi"], pairs["lo"], pairs["len"], pairs["asn"], pairs["has_origin"]
    )
    t3 = time.perf_counter()
    rw_rate = len(result) / (t3 - t2)
    print(
        f"ROV routewatch: build {t1 - t0:.2f} s, first call (numba compile/load) {t2 - t1:.2f} s,"
        f" validate {len(result):,} pairs {t3 - t2:.3f} s = {rw_rate:,.0f} pairs/s"
    )
    r_state, r_reason, (build, elapsed) = radix_validate(vrps, pairs)
    radix_rate = len(r_state) / elapsed
    print(
        f"ROV py-radix:   build {build:.2f} s, validate {len(r_state):,} pairs "
        f"{elapsed:.2f} s = {radix_rate:,.0f} pairs/s"
    )
    states = np.bincount(result.state, minlength=3)
    reasons = np.bincount(result.reason, minlength=4)
    print(
        f"ROV states: not-found {states[0]:,}, valid {states[1]:,}, invalid {states[2]:,}; "
        f"reasons: as {reasons[1]:,}, length {reasons[2]:,}, as-length {reasons[3]:,}"
    )
    disagree = np.flatnonzero((result.state != r_state) | (result.reason != r_reason))
    if len(disagree):
        i = int(disagree[0])
        print(f"ROV DISAGREE on {len(disagree):,} pairs, first: {pairs['text'][i]}")
        return False
    ratio = rw_rate / radix_rate
    print(f"ROV agree on all {len(result):,} pairs; speed-up {ratio:.1f}x (floor {FLOOR:.0f}x)")
    return ratio >= FLOOR


def bench_bogons(pairs: dict[str, Any]) -> bool:
    """Bogon category of every pair's prefix: routewatch's BogonIndex against py-radix
    search_best over the same rows (packaged IANA set + real Team Cymru fullbogons)."""
    files = [shared_data(f"bogons/team-cymru_fullbogons-ipv{v}_20240310.txt") for v in (4, 6)]
    refuse_missing("benchmarks/lookups.py", files)
    cymru = load_cymru_fullbogons(files)
    table = pa.concat_tables([iana_bogon_prefixes().table, cymru.table])
    t0 = time.perf_counter()
    index = BogonIndex.build(table)
    t1 = time.perf_counter()
    codes, _ = index.prefix_category(pairs["afi"], pairs["hi"], pairs["lo"], pairs["len"])
    t2 = time.perf_counter()
    rw_rate = len(codes) / (t2 - t1)
    tree = radix.Radix()
    priority = {"exempt": 0, "full": 1, "administrative": 2}
    for prefix, category in zip(
        table["prefix"].to_pylist(), table["category"].to_pylist(), strict=True
    ):
        node = tree.add(prefix)
        old = node.data.get("category")
        if old is None or priority[category] < priority[old]:
            node.data["category"] = category
    t3 = time.perf_counter()
    code_of = {"exempt": 0, "full": 1, "administrative": 2}
    expected = np.zeros(len(codes), dtype=np.uint8)
    for i, text in enumerate(pairs["text"]):
        node = tree.search_best(text)
        if node is not None:
            expected[i] = code_of[node.data["category"]]
    t4 = time.perf_counter()
    radix_rate = len(codes) / (t4 - t3)
    counts = np.bincount(codes, minlength=3)
    print(
        f"bogons: {table.num_rows:,} rows; routewatch build {t1 - t0:.2f} s, "
        f"{rw_rate:,.0f} prefixes/s; py-radix build {t3 - t2:.2f} s, {radix_rate:,.0f} "
        f"prefixes/s; full {counts[1]:,}, administrative {counts[2]:,}, none {counts[0]:,}"
    )
    disagree = np.flatnonzero(codes != expected)
    if len(disagree):
        print(f"bogons DISAGREE on {len(disagree):,}, first: {pairs['text'][int(disagree[0])]}")
        return False
    print(f"bogons agree on all {len(codes):,}; speed-up {rw_rate / radix_rate:.1f}x")
    return True


def time_loaders(vrps: pa.Table, tmp: Path) -> None:
    """Write the VRPs as Routinator CSV and rpki-client JSON; time routewatch's loaders."""
    csv_path, json_path = tmp / "vrps.csv", tmp / "vrps.json"
    rows = list(
        zip(
            vrps["prefix"].to_pylist(),
            vrps["max_length"].to_pylist(),
            vrps["asn"].to_pylist(),
            strict=True,
        )
    )
    with csv_path.open("w") as out:
        out.write("ASN,IP Prefix,Max Length,Trust Anchor\n")
        out.writelines(f"AS{a},{p},{m},ripe\n" for p, m, a in rows)
    roas = [{"asn": a, "prefix": p, "maxLength": m, "ta": "ripe", "expires": 1} for p, m, a in rows]
    doc = {"metadata": {"buildtime": "2026-11-28T00:00:00Z"}, "roas": roas, "aspas": []}
    json_path.write_text(json.dumps(doc, indent="\t"))
    for name, loader, path in (
        ("Routinator CSV", load_routinator_csv, csv_path),
        ("rpki-client JSON", load_rpki_client_json, json_path),
    ):
        start = time.perf_counter()
        snap = loader([path])
        size = path.stat().st_size / 1e6
        print(
            f"load {name} ({size:.0f} MB): {snap.table.num_rows:,} VRPs in "
            f"{time.perf_counter() - start:.2f} s"
        )


if __name__ == "__main__":
    sys.exit(main())
