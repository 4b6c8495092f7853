"""MANRS participants (cohort with join dates) and the Observatory's per-ASN export.

Real data: the Observatory "details" export of shared/data/manrs and its excerpt in
tests/data/ref/manrs. The participants CSV ``manrs-participants.invented.csv`` is INVENTED in
the layout of the MANRS site's participants table (documentation ASNs), as no real list is in
shared/data.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routewatch.errors import ImplausibleInputError, InputError
from routewatch.reference.manrs import (
    OBSERVATORY_FORMAT,
    PARTICIPANTS_FORMAT,
    load_observatory,
    load_participants,
    parse_asns,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import MANRS_OBSERVATORY, MANRS_PARTICIPANTS

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "manrs"
REAL = SHARED / "manrs-observatory_LACNIC_details_202210.csv"
HERE = Path(__file__).resolve().parent / "data" / "ref" / "manrs"
EXCERPT = HERE / "manrs-observatory_LACNIC_details_202210.excerpt.csv"
PARTICIPANTS = HERE / "manrs-participants.invented.csv"  # invented, see module docstring

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="shared/data not present")


def test_participants_one_row_per_asn_with_join_date_and_actions() -> None:
    snapshot = load_participants([PARTICIPANTS])
    assert snapshot.table.schema.equals(MANRS_PARTICIPANTS)
    rows = {row["asn"]: row for row in snapshot.table.to_pylist()}
    assert sorted(rows) == list(range(64496, 64506))
    assert rows[64497]["organisation"] == "Example Transit Ltd"
    assert rows[64497]["joined"] == dt.date(2016, 3, 14)
    assert rows[64498]["actions"] == ["Filtering", "Coordination", "Global Validation"]
    assert rows[64501]["programme"] == "IXPs"
    assert rows[64499]["areas"] == "Brazil, Argentina"
    assert snapshot.as_of == dt.date(2022, 10, 20)  # latest join date


def test_participant_with_bad_asn_is_reported_and_skipped() -> None:
    snapshot = load_participants([PARTICIPANTS])
    (problem,) = snapshot.problems
    assert (Path(problem.file).name, problem.line) == (PARTICIPANTS.name, 7)
    assert "AS-BROKEN" in problem.detail


def test_participants_header_variants(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text("Organisation,ASN,Joined,FILTERING\nX,AS64496,2020-01-02,x\n")
    row = load_participants([path], min_rows=1).table.to_pylist()[0]
    assert (row["asn"], row["joined"], row["actions"]) == (64496, dt.date(2020, 1, 2),
                                                           ["Filtering"])


def test_participants_without_asn_column_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text("Organisation,Areas Served\nX,Y\n")
    with pytest.raises(InputError, match="missing column"):
        load_participants([path], min_rows=1)


def test_too_few_participants_are_refused() -> None:
    with pytest.raises(ImplausibleInputError, match="6 participants"):
        load_participants([PARTICIPANTS], min_rows=50)


def test_parse_asns() -> None:
    assert parse_asns("AS64496, 64497;as64498 / AS64499") == [64496, 64497, 64498, 64499]
    assert parse_asns("") == []
    with pytest.raises(ValueError, match="not an ASN"):
        parse_asns("AS4294967296")


def test_observatory_excerpt_scores_and_no_data() -> None:
    snapshot = load_observatory([EXCERPT])
    assert snapshot.table.schema.equals(MANRS_OBSERVATORY)
    assert snapshot.as_of == dt.date(2022, 10, 1)
    assert snapshot.table.num_rows == 40
    first = snapshot.table.to_pylist()[0]
    assert first == {
        "asn": 278, "holder": "Universidad Nacional Autonoma de Mexico", "country": "MX",
        "un_region": "Americas", "un_sub_region": "Latin America and the Caribbean",
        "rir": "LACNIC", "filtering": 1.0, "anti_spoofing": 0.36, "coordination": 1.0,
        "global_validation_irr": 0.99, "global_validation_rpki": 0.67,
    }
    assert snapshot.table.to_pylist()[1]["anti_spoofing"] is None  # empty cell = no data


@needs_shared
def test_real_observatory_export_loads_every_row() -> None:
    snapshot = load_observatory([REAL])
    with REAL.open(newline="") as stream:
        expected = sum(1 for _ in csv.reader(stream)) - 1
    assert snapshot.table.num_rows == expected == 11645
    assert snapshot.problems == []
    assert detect(REAL) is OBSERVATORY_FORMAT


def test_detection_tells_the_two_csvs_apart() -> None:
    assert detect(EXCERPT) is OBSERVATORY_FORMAT
    assert detect(PARTICIPANTS) is PARTICIPANTS_FORMAT


def test_bad_observatory_rows_are_reported(tmp_path: Path) -> None:
    lines = EXCERPT.read_text().splitlines()
    lines[2] = lines[2].replace(",1,,1,1,0", ",1,,1,1.5,0")  # score out of range
    lines[4] = "AS-X" + lines[4][lines[4].index(","):]
    lines[6] = lines[6] + ",extra"
    path = tmp_path / "MANRS_Details_202210_1.csv"
    path.write_text("\n".join(lines) + "\n")
    snapshot = load_observatory([path])
    assert [p.line for p in snapshot.problems] == [3, 5, 7]
    assert snapshot.table.num_rows == 37


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_observatory_rows_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    lines = EXCERPT.read_text().splitlines()
    index = data.draw(st.integers(1, len(lines) - 1))
    cut = data.draw(st.integers(0, len(lines[index])))
    lines[index] = lines[index][:cut] + data.draw(st.text(alphabet='0123456789.,"-ASx ',
                                                          max_size=15))
    path = tmp_path / "details.csv"
    path.write_text("\n".join(lines) + "\n")
    assert load_observatory([path]).table.num_rows >= len(lines) - 2


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_participant_rows_never_crash(tmp_path: Path, data: st.DataObject) -> None:
    lines = PARTICIPANTS.read_text().splitlines()
    index = data.draw(st.integers(1, len(lines) - 1))
    cut = data.draw(st.integers(0, len(lines[index])))
    lines[index] = lines[index][:cut] + data.draw(st.text(alphabet='0123456789-,;"ASYes ',
                                                          max_size=15))
    path = tmp_path / "participants.csv"
    path.write_text("\n".join(lines) + "\n")
    assert load_participants([path], min_rows=1).table.num_rows >= 1
