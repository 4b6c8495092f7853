"""RPKI loaders: real rcynic and RIPE NCC archive excerpts, validator outputs invented in their
real documented formats (no real rpki-client / Routinator file is in shared/data; see
tests/data/ref/rpki/PROVENANCE.md), malformed lines, implausible input, sniffing, and the
vectorised fast paths checked against the row-by-row path."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routewatch.errors import ImplausibleInputError
from routewatch.reference.base import RefKind
from routewatch.reference.rpki import (
    _VrpColumns,
    as_of_from_name,
    load_aspas,
    load_rcynic_scan_roas,
    load_ripe_archive_csv,
    load_routinator_csv,
    load_routinator_json,
    load_rpki_client_json,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import ASPAS, VRPS

DATA = Path(__file__).parent / "data" / "ref" / "rpki"
AFRINIC_RPKI_CLIENT = DATA / "rpki-client_afrinic-vrps_20220102.json"
AFRINIC_ROUTINATOR_JSON = DATA / "routinator_afrinic-vrps_20220102.json"
AFRINIC_ROUTINATOR_CSV = DATA / "routinator_afrinic-vrps_20220102.csv"
RCYNIC = DATA / "rcynic-scan_roas_2017-05-11T142755Z_head40.txt"
RIPE = DATA / "ripe-archive_afrinic-tal_roas_20220102_excerpt.csv"
RPKI_CLIENT = DATA / "rpki-client_invented.json"
ROUTINATOR_JSON = DATA / "routinator_invented.json"
ROUTINATOR_CSV = DATA / "routinator_invented_20240601.csv"
CSVCOMPAT = DATA / "routinator-csvcompat_invented_20240601.csv"


def rows(table: pa.Table) -> set[tuple[str, int, int]]:
    return set(
        zip(*(table.column(c).to_pylist() for c in ("prefix", "max_length", "asn")), strict=True)
    )


# --- real files --------------------------------------------------------------------------------


def test_rcynic_one_vrp_per_prefix_and_maxlen_suffix() -> None:
    snap = load_rcynic_scan_roas([RCYNIC], min_rows=1)
    assert snap.kind is RefKind.VRPS and snap.format == "rcynic-scan-roas"
    assert snap.table.schema.equals(VRPS, check_metadata=True)
    assert snap.table.num_rows == 164  # prefixes on the 40 lines (awk '{print NF-2}')
    assert snap.problems == []
    # line 2: "2016-10-13T16:44:22Z 52488 200.3.144.0/23-24 2801:190::/40-44"
    assert {("200.3.144.0/23", 24, 52488), ("2801:190::/40", 44, 52488)} <= rows(snap.table)
    # line 1: no "-maxlen" means maxLength = prefix length
    assert ("46.10.197.0/24", 24, 44851) in rows(snap.table)
    assert snap.as_of == dt.date(2017, 5, 11)  # from the file name
    assert snap.table.column("expires").null_count == snap.table.num_rows  # signing time only


def test_ripe_archive_csv() -> None:
    snap = load_ripe_archive_csv([RIPE], min_rows=1)
    assert snap.format == "ripe-rpki-archive-csv" and snap.table.num_rows == 79
    first = snap.table.slice(0, 1).to_pylist()[0]
    assert first["prefix"] == "2001:43f8::/48" and first["asn"] == 0  # an AS0 ROA
    assert first["max_length"] == 128 and first["afi"] == 6
    assert first["ta"] == "afrinic"  # from "afrinic-tal" in the path
    assert first["expires"] == dt.datetime(2029, 7, 18, 11, 40, 32, tzinfo=dt.UTC)
    assert ("105.168.0.0/13", 13, 37119) in rows(snap.table)
    assert snap.as_of == dt.date(2022, 1, 2)


# --- invented in the real formats ---------------------------------------------------------------


def test_rpki_client_json_vrps_and_aspas() -> None:
    snap = load_rpki_client_json([RPKI_CLIENT], min_rows=1)
    assert snap.table.num_rows == 7 and snap.problems == []
    assert snap.as_of == dt.date(2024, 6, 1)  # metadata.buildtime
    assert ("2a02:898::/32", 48, 15562) in rows(snap.table)
    expires = snap.table.column("expires")[0].as_py()
    assert expires == dt.datetime.fromtimestamp(1717900000, dt.UTC)
    aspas = load_aspas([RPKI_CLIENT])
    assert aspas.kind is RefKind.ASPAS and aspas.table.schema.equals(ASPAS)
    assert aspas.table.to_pylist()[0]["customer_asn"] == 15562
    assert aspas.table.column("provider_asns").to_pylist() == [
        [2914, 8283, 51088, 206238],
        [64497, 64499],
    ]


def test_older_rpki_client_aspa_shape(tmp_path: Path) -> None:
    doc = {"roas": [], "aspas": [{"customer_asid": 64496, "providers": [{"asid": 64497}]}]}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(doc))
    assert load_aspas([path]).table.column("provider_asns").to_pylist() == [[64497]]


def test_routinator_json_csv_and_csvcompat_agree() -> None:
    tables = [
        load_routinator_json([ROUTINATOR_JSON], min_rows=1),
        load_routinator_csv([ROUTINATOR_CSV], min_rows=1),
        load_routinator_csv([CSVCOMPAT], min_rows=1),
    ]
    assert all(rows(s.table) == rows(tables[0].table) for s in tables)
    assert ("2001:43f8::/48", 128, 0) in rows(tables[0].table)
    assert tables[0].as_of == dt.date(2024, 6, 1)  # generatedTime
    assert tables[1].as_of == dt.date(2024, 6, 1)  # file name
    assert tables[1].table.column("ta").to_pylist()[0] == "apnic"


def test_converted_real_vrps_read_the_same_in_every_format() -> None:
    """150 real AFRINIC VRPs written as rpki-client JSON, Routinator JSON and CSV (see
    PROVENANCE.md) load to the same rows, and the first 59 equal the archive excerpt's."""
    name = "afrinic-vrps_20220102"
    snaps = [
        load_rpki_client_json([DATA / f"rpki-client_{name}.json"]),
        load_routinator_json([DATA / f"routinator_{name}.json"]),
        load_routinator_csv([DATA / f"routinator_{name}.csv"]),
    ]
    assert {s.table.num_rows for s in snaps} == {150}
    assert all(rows(s.table) == rows(snaps[0].table) for s in snaps)
    archive = load_ripe_archive_csv([RIPE], min_rows=1).table
    assert snaps[0].table.slice(0, 59).to_pylist() == archive.slice(0, 59).to_pylist()
    assert all(s.as_of == dt.date(2022, 1, 2) for s in snaps)


@pytest.mark.parametrize(
    ("path", "name"),
    [
        (RCYNIC, "rcynic-scan-roas"),
        (RIPE, "ripe-rpki-archive-csv"),
        (RPKI_CLIENT, "rpki-client-json"),
        (ROUTINATOR_JSON, "routinator-json"),
        (ROUTINATOR_CSV, "routinator-csv"),
        (CSVCOMPAT, "routinator-csv"),
    ],
)
def test_formats_are_sniffed_from_content(path: Path, name: str) -> None:
    assert detect(path).name == name


def test_aspa_format_sniffed_when_asked_for_aspas() -> None:
    assert detect(RPKI_CLIENT, RefKind.ASPAS).name == "rpki-client-json-aspas"
    aspa_only = DATA / "rpki-client_aspas-only_invented.json"
    assert detect(aspa_only).name == "rpki-client-json-aspas"  # no ROAs: not a VRP file
    assert load_aspas([aspa_only]).table.num_rows == 3


# --- malformed and implausible input ------------------------------------------------------------


def test_malformed_csv_lines_reported_with_line_numbers(tmp_path: Path) -> None:
    lines = RIPE.read_text().splitlines()
    bad = [
        *lines[:3],
        lines[3].replace("2001:43f8:400::/40", "2001:43f8:400::/400"),  # line 4: bad prefix
        lines[4].replace(",AS328732,", ",ASX,"),  # line 5: bad ASN
        "",  # line 6: empty, skipped silently
        lines[5].replace(",128,", ",16,"),  # line 7: maxLength < prefix length
        "rsync://x/y.roa,AS1",  # line 8: too few fields
        *lines[6:],
    ]
    path = tmp_path / "roas_20220102.csv"
    path.write_text("\n".join(bad) + "\n")
    snap = load_ripe_archive_csv([path], min_rows=1)
    assert [(p.line, p.detail.split(":")[0]) for p in snap.problems] == [
        (8, "2 fields, expected 6"),
        (4, "prefix length out of range in '2001"),
        (5, "not an ASN"),
        (7, "maxLength 16 outside 32..128 for 2c0f"),
    ]
    assert all(p.file == str(path) for p in snap.problems)
    assert snap.table.num_rows == 79 - 3


def test_malformed_rcynic_and_json_lines(tmp_path: Path) -> None:
    text = RCYNIC.read_text().splitlines()
    path = tmp_path / "scan_roas.txt"
    path.write_text("\n".join([text[0], "garbage", text[1] + " 300.1.2.0/24", *text[2:]]))
    snap = load_rcynic_scan_roas([path], min_rows=1)
    assert [p.line for p in snap.problems] == [2, 3]
    doc = RPKI_CLIENT.read_text().replace('"prefix": "1.1.1.0/24"', '"prefix": "1.1.1.0/99"')
    path = tmp_path / "bad.json"
    path.write_text(doc)
    snap = load_rpki_client_json([path], min_rows=1)
    line = next(n for n, text in enumerate(doc.splitlines(), start=1) if "/99" in text)
    assert [(p.line, p.file) for p in snap.problems] == [(line, str(path))]
    assert snap.table.num_rows == 6


def test_empty_and_tiny_inputs_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ImplausibleInputError, match="only 0 VRPs"):
        load_ripe_archive_csv([empty])
    with pytest.raises(ImplausibleInputError, match="pass a lower min_rows"):
        load_ripe_archive_csv([RIPE])  # 79 VRPs, below the default of 100
    assert load_ripe_archive_csv([RIPE], min_rows=50).table.num_rows == 79
    assert load_rcynic_scan_roas([RCYNIC]).table.num_rows == 164


def test_as_of_from_name_variants() -> None:
    assert as_of_from_name("roas_20220102.csv") == dt.date(2022, 1, 2)
    assert as_of_from_name("x_2017-04-13T170202Z.txt") == dt.date(2017, 4, 13)
    assert as_of_from_name("vrps.json") is None
    assert as_of_from_name("x_20221399.csv") is None


# --- the vectorised path equals the row-by-row path ----------------------------------------------

ipv4 = st.tuples(*[st.integers(0, 255)] * 4, st.integers(0, 32)).map(
    lambda t: f"{t[0]}.{t[1]}.{t[2]}.{t[3]}/{t[4]}"
)
ipv6 = st.tuples(st.integers(0, (1 << 128) - 1), st.integers(0, 128)).map(
    lambda t: f"{':'.join(f'{(t[0] >> s) & 0xFFFF:x}' for s in range(112, -1, -16))}/{t[1]}"
)
ipv6_short = st.tuples(st.integers(0, (1 << 64) - 1), st.integers(0, 128), st.booleans()).map(
    lambda t: (
        f"{ipaddress.IPv6Address(t[0] << 64).compressed}/{t[1]}".upper()
        if t[2]
        else f"{ipaddress.IPv6Address(t[0] << 64 >> (t[1] % 64)).compressed}/{t[1]}"
    )
)
junk = st.text(alphabet="0123456789abcdef.:/ASx-", max_size=20)
fields = st.tuples(
    st.one_of(ipv4, ipv6, ipv6_short, junk),
    st.one_of(st.integers(0, 130).map(str), st.just(""), junk),
    st.one_of(st.integers(0, 1 << 33).map(lambda a: f"AS{a}"), st.integers(0, 99).map(str), junk),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(fields, min_size=1, max_size=30))
def test_fast_csv_path_matches_row_by_row(
    tmp_path: Path, records: list[tuple[str, str, str]]
) -> None:
    path = tmp_path / "vrps.csv"
    body = "".join(f"{a},{p},{m},ripe\n" for p, m, a in records)
    path.write_text("ASN,IP Prefix,Max Length,Trust Anchor\n" + body)
    reference = _VrpColumns()
    for line, (p, m, a) in enumerate(records, start=2):
        reference.add((str(path), line), p, m.strip() or None, a, "ripe")
    fast = load_routinator_csv([path], min_rows=0)
    assert fast.table.to_pylist() == reference.table().to_pylist()
    assert [p.line for p in fast.problems] == [p.line for p in reference.problems]


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_mutated_real_lines_never_crash(noise: bytes) -> None:
    """Random bytes spliced into real records: problems or rows, never an exception."""
    import tempfile

    real = RIPE.read_bytes()
    cut = len(noise) * 7 % len(real)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (
            ("roas.csv", real[:cut] + noise + real[cut:]),
            ("scan_roas.txt", RCYNIC.read_bytes()[:cut] + noise),
            ("vrps.json", RPKI_CLIENT.read_bytes()[: cut % 900] + noise),
        ):
            path = Path(tmp) / name
            path.write_bytes(data)
            loader = {"csv": load_ripe_archive_csv, "txt": load_rcynic_scan_roas}.get(
                name.rsplit(".", 1)[1], load_rpki_client_json
            )
            loader([path], min_rows=0)


# --- what benchmarks/fuzz.py found (each input a real file mutated the way a fuzz case did) ------


def _mutated(tmp_path: Path, real: Path, line: int, old: bytes, new: bytes) -> Path:
    """``real`` with ``old`` replaced by ``new`` on line ``line`` (1-based), saved in tmp."""
    lines = real.read_bytes().split(b"\n")
    assert old in lines[line - 1]
    lines[line - 1] = lines[line - 1].replace(old, new)
    path = tmp_path / real.name
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize(
    "expires",
    [
        b"1759999999999999999999999999305491",  # fuzz case rpki-client-json:16: beyond int64
        b"9999999999999",  # an int64, but after the year 9999
        b"-5",  # before 1970
    ],
)
def test_rpki_client_expiry_out_of_range_keeps_the_vrp(tmp_path: Path, expires: bytes) -> None:
    """An ``expires`` that is no time (the first raised OverflowError, the others became
    timestamps nothing can print): the VRP is kept without an expiry and the line is a
    problem, whether Arrow's reader takes the chunk (int64) or the objects are read one by one."""
    path = _mutated(tmp_path, AFRINIC_RPKI_CLIENT, 16, b"1751305491", expires)
    snap = load_rpki_client_json([path], min_rows=1)
    snap.table.validate(full=True)
    assert snap.table.num_rows == 150
    assert [(p.line, p.detail.split(" is ")[0]) for p in snap.problems] == [
        (16, f"expires {expires.decode()}")
    ]
    assert "fetch it again" in snap.problems[0].detail
    table = snap.table
    expiry = dict(zip(table["prefix"].to_pylist(), table["expires"].to_pylist(), strict=True))
    assert expiry["2c0f:f0c8::/32"] is None
    assert expiry["2c0f:efe8::/32"] == dt.datetime.fromtimestamp(2200552177, dt.UTC)
    assert snap.table["expires"].null_count == 1


@pytest.mark.parametrize(
    ("real", "line", "old", "loader"),
    [
        # fuzz case routinator-json:22: a Latin-1 byte in a trust anchor name
        (AFRINIC_ROUTINATOR_JSON, 143, b'"ta": "afrinic"', load_routinator_json),
        (AFRINIC_RPKI_CLIENT, 20, b'"ta": "afrinic"', load_rpki_client_json),
    ],
)
def test_json_bytes_that_are_not_utf8_cost_their_object(
    tmp_path: Path, real: Path, line: int, old: bytes, loader: Any
) -> None:
    """Arrow's JSON reader put the bytes into a string column (a table that fails validation
    and cannot be written); now the object is a problem naming the byte and the rest loads."""
    path = _mutated(tmp_path, real, line, old, b'"ta": "afrin\xc1c"')
    snap = loader([path], min_rows=1)
    snap.table.validate(full=True)
    assert snap.table.num_rows == 149
    assert [p.line for p in snap.problems] == [line]
    column = real.read_bytes().split(b"\n")[line - 1].index(b"afrinic") + len("afrin") + 1
    assert f"byte 0xc1 at column {column} is not UTF-8" in snap.problems[0].detail
    assert "fetch it again" in snap.problems[0].detail


@pytest.mark.parametrize(
    ("real", "line", "loader"),
    [
        (AFRINIC_ROUTINATOR_CSV, 137, load_routinator_csv),  # fuzz case routinator-csv:5
        (RIPE, 58, load_ripe_archive_csv),  # fuzz case ripe-rpki-archive-csv:1
    ],
)
def test_csv_row_of_undecodable_bytes_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real: Path, line: int, loader: Any
) -> None:
    """A row of bytes that are not UTF-8 and the wrong field count: pyarrow raised
    UnicodeDecodeError inside its invalid-row callback, which Python could only ignore
    ("Exception ignored in ..."); now the file is read row by row and the row is a problem."""
    ignored: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    lines = real.read_bytes().split(b"\n")
    path = tmp_path / real.name
    path.write_bytes(b"\n".join([*lines[: line - 1], b"\xff\xfe\x00garbage", *lines[line - 1 :]]))
    snap = loader([path], min_rows=1)
    assert not ignored, [u.exc_value for u in ignored]
    assert rows(snap.table) == rows(loader([real], min_rows=1).table)
    assert [(p.line, p.detail.split(":")[0]) for p in snap.problems] == [
        (line, f"1 fields, expected {len(lines[0].split(b','))}")
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        # fuzz case rpki-client-json-aspas:215: a byte of a key flipped (was a KeyError)
        (b'"providers"', b'"pr\xffviders"', "no providers list for customer AS15562"),
        # fuzz case rpki-client-json-aspas:292: a huge expiry (was an OverflowError)
        (b"1718500000", b"1718999999999999999999999999900000", "expires 171899999"),
    ],
)
def test_damaged_aspa_is_a_problem(tmp_path: Path, old: bytes, new: bytes, problem: str) -> None:
    """The ASPA sample is invented in rpki-client's real layout (no real ASPA file exists in
    shared/data); mutated as the fuzz cases were. A missing provider list costs its ASPA, an
    expiry that is no time only the expiry; the other ASPAs load."""
    path = _mutated(tmp_path, DATA / "rpki-client_aspas-only_invented.json", 11, old, new)
    snap = load_aspas([path])
    snap.table.validate(full=True)
    assert [p.line for p in snap.problems] == [11]  # the entry's line
    assert problem in snap.problems[0].detail
    customers = snap.table["customer_asn"].to_pylist()
    assert customers == ([64496, 64500] if b"providers" in old else [15562, 64496, 64500])
    assert snap.table["expires"].null_count == (0 if b"providers" in old else 1)


@pytest.mark.parametrize(
    ("real", "loader"),
    [
        (AFRINIC_ROUTINATOR_JSON, load_routinator_json),
        (AFRINIC_RPKI_CLIENT, load_rpki_client_json),
    ],
)
def test_a_json_object_cut_short_costs_only_itself(tmp_path: Path, real: Path, loader: Any) -> None:
    """Seen in fuzz case routinator-json:22 (a line inserted without its comma): from the
    first entry the fast scan could not frame, the rest of the array was decoded as one
    document from the comma before it, and every later VRP was lost behind one problem.
    Here one object of the real file is cut in the middle of its prefix."""
    lines = real.read_bytes().split(b"\n")
    at = 100
    lines[at - 1] = lines[at - 1][: lines[at - 1].index(b'"prefix"') + 16]
    path = tmp_path / real.name
    path.write_bytes(b"\n".join(lines))
    snap = loader([path], min_rows=1)
    snap.table.validate(full=True)
    assert snap.table.num_rows == 149
    assert [p.line for p in snap.problems] == [at]
    assert snap.problems[0].detail.startswith("malformed ROA object skipped: Invalid control")
    assert rows(snap.table) < rows(loader([real], min_rows=1).table)


def test_a_damaged_aspa_entry_costs_only_itself(tmp_path: Path) -> None:
    """The aspas array was decoded as one document: one damaged entry (here a letter in a
    number of the invented sample in rpki-client's layout) lost every ASPA of the file.
    Now it is read entry by entry and the damage is a problem on its line."""
    path = _mutated(
        tmp_path, DATA / "rpki-client_aspas-only_invented.json", 12, b"1718500000", b"17185x0000"
    )
    snap = load_aspas([path])
    snap.table.validate(full=True)
    assert snap.table["customer_asn"].to_pylist() == [15562, 64500]
    assert [(p.line, p.detail.split(":")[0]) for p in snap.problems] == [
        (12, "malformed JSON element skipped")
    ]


@pytest.mark.parametrize("line", [11, 12, 13])
def test_an_aspa_entry_cut_short_costs_only_itself(tmp_path: Path, line: int) -> None:
    """An entry that ends in the middle of its expiry never closes its brace: the element
    was skipped by counting brackets, which ran through every later entry to the array's
    end (found in review: 0 of 3 ASPAs when the first was cut). Now reading resumes at the
    next entry laid out like it; the cut one is a problem on its line."""
    lines = (DATA / "rpki-client_aspas-only_invented.json").read_bytes().split(b"\n")
    lines[line - 1] = lines[line - 1][: lines[line - 1].index(b'"expires"') + 15]
    path = tmp_path / "aspas.json"
    path.write_bytes(b"\n".join(lines))
    text = path.read_bytes().split(b"\n")[line - 1]
    assert text.count(b"{") == 1 and b"}" not in text  # cut: no closing brace
    snap = load_aspas([path], min_rows=1)
    snap.table.validate(full=True)
    kept = [15562, 64496, 64500]
    del kept[line - 11]
    assert snap.table["customer_asn"].to_pylist() == kept
    assert [(p.line, p.detail.split(":")[0]) for p in snap.problems] == [
        (line, "malformed JSON element skipped")
    ]


def test_generated_epoch_out_of_range_is_no_date(tmp_path: Path) -> None:
    """Routinator's ``generated`` beyond any date, with ``generatedTime`` unreadable (the real
    AFRINIC file mutated; found in review): it raised OverflowError; now the snapshot's date
    comes from the file name and every VRP loads."""
    path = _mutated(tmp_path, AFRINIC_ROUTINATOR_JSON, 3, b"1641081600", b"99999999999999999999")
    path = _mutated(tmp_path, path, 4, b"2022-01-02T00:00:00Z", b"2022-13-02T00:00:00Z")
    snap = load_routinator_json([path], min_rows=1)
    assert snap.table.num_rows == 150
    assert snap.as_of == dt.date(2022, 1, 2)
