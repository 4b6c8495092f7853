"""CAIDA Spoofer sessions -> tested prefixes per ASN and month (METHODOLOGY §5, M5).

Real data: the two Spoofer Data API records of shared/data/spoofer (copied to
tests/data/ref/spoofer). ``sessions_page.invented.json`` is an INVENTED API page in the real
layout (documentation ASNs and prefixes) covering received / rewritten outcomes, IPv6, two
months, an unknown outcome value and a malformed ASN, which the real records do not.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routewatch.errors import ImplausibleInputError
from routewatch.reference.sniff import detect
from routewatch.reference.spoofer import SPOOFER_FORMAT, load_spoofer, spoofable_prefixes
from routewatch.schemas import SPOOFABLE_PREFIXES, SPOOFER_TESTS

HERE = Path(__file__).resolve().parent / "data" / "ref" / "spoofer"
REAL = HERE / "sessions_as3356_2020-05.jsonl"
PAGE = HERE / "sessions_page.invented.json"  # invented, see module docstring


def test_real_sessions() -> None:
    snapshot = load_spoofer([REAL])
    assert snapshot.table.schema.equals(SPOOFER_TESTS)
    assert snapshot.problems == []
    assert snapshot.as_of == dt.date(2020, 5, 13)
    rows = snapshot.table.to_pylist()
    assert [(r["session"], r["asn"], r["prefix"], r["routedspoof"], r["spoofable"])
            for r in rows] == [
        (891176, 3356, "4.30.179.0/24", "blocked", False),
        (894351, 3356, "8.9.89.0/24", "blocked", False),
    ]
    assert rows[0]["timestamp"] == dt.datetime(2020, 5, 7, 14, 34, 59, tzinfo=dt.UTC)
    assert rows[0]["nat"] is True


def test_real_sessions_roll_up_to_no_spoofable_prefix() -> None:
    monthly = spoofable_prefixes(load_spoofer([REAL]))
    assert monthly.schema.equals(SPOOFABLE_PREFIXES)
    assert monthly.to_pylist() == [{
        "asn": 3356, "month": dt.date(2020, 5, 1), "sessions": 2,
        "tested_prefixes": ["4.30.179.0/24", "8.9.89.0/24"], "spoofable_prefixes": [],
    }]


def test_api_page_received_rewritten_ipv6_and_months() -> None:
    snapshot = load_spoofer([PAGE])
    monthly = {(r["asn"], r["month"]): r for r in spoofable_prefixes(snapshot).to_pylist()}
    may = monthly[(64496, dt.date(2020, 5, 1))]
    assert may["spoofable_prefixes"] == ["192.0.2.0/24", "198.51.100.0/24", "2001:db8:100::/40"]
    assert may["sessions"] == 2
    june = monthly[(64496, dt.date(2020, 6, 1))]
    assert (june["tested_prefixes"], june["spoofable_prefixes"]) == (["192.0.2.0/24"], [])
    assert monthly[(64497, dt.date(2020, 5, 1))]["spoofable_prefixes"] == []


def test_unknown_outcome_and_bad_asn_are_problems() -> None:
    snapshot = load_spoofer([PAGE])
    details = [(p.line, p.detail) for p in snapshot.problems]
    # the file lines of members 4 and 5 of the page (the members start on line 6)
    assert details[0][0] == 9 and "'maybe'" in details[0][1]
    assert details[1][0] == 10 and "not-an-asn" in details[1][1]
    assert 1000005 not in snapshot.table.column("session").to_pylist()


def test_malformed_jsonl_lines(tmp_path: Path) -> None:
    lines = REAL.read_text().splitlines()
    broken = json.loads(lines[1])
    broken["client4"] = "4.30.179.0/33"
    path = tmp_path / "sessions.jsonl"
    path.write_text("\n".join([lines[0], "{oops", json.dumps(broken), lines[1]]) + "\n")
    snapshot = load_spoofer([path])
    assert [p.line for p in snapshot.problems] == [2, 3]
    assert snapshot.table.num_rows == 2


def test_empty_input_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sessions.jsonl"
    path.write_text("")
    with pytest.raises(ImplausibleInputError, match="0 Spoofer sessions"):
        load_spoofer([path])


def test_detected_from_content() -> None:
    assert detect(REAL) is SPOOFER_FORMAT
    assert detect(PAGE) is SPOOFER_FORMAT


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_sessions_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    text = REAL.read_text()
    start = data.draw(st.integers(0, len(text) - 1))
    junk = data.draw(st.text(alphabet='{}[]",:0123456789abc/. \n', max_size=12))
    path = tmp_path / "sessions.jsonl"
    path.write_text(text[:start] + junk + text[start + len(junk):])
    with contextlib.suppress(ImplausibleInputError):
        load_spoofer([path])
