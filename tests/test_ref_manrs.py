"""MANRS participants (cohort with join dates) and the Observatory's per-ASN export.

Real data: the Observatory "details" export of shared/data/manrs and its excerpt in
tests/data/ref/manrs. The participants CSV ``manrs-participants.invented.csv`` is INVENTED:
no real copy of the list is available here, so it is built from the documented layout of the
MANRS site's ``wp-json/manrs/v1/csv/4`` export (header line; organisation, ``;``-separated
areas, ``;``-separated ASNs, Yes/No for Actions 1-4) with documentation ASNs (see the folder's
PROVENANCE.md). The later snapshots of the join-date tests are constructed from it.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _data import shared_data
from routewatch.errors import ImplausibleInputError
from routewatch.reference.manrs import (
    ACTIONS,
    OBSERVATORY_FORMAT,
    PARTICIPANTS_FORMAT,
    join_dates,
    load_observatory,
    load_participants,
    parse_asns,
)
from routewatch.reference.sniff import detect
from routewatch.schemas import MANRS_JOINS, MANRS_OBSERVATORY, MANRS_PARTICIPANTS

REAL = shared_data("manrs/manrs-observatory_LACNIC_details_202210.csv")
HERE = Path(__file__).resolve().parent / "data" / "ref" / "manrs"
EXCERPT = HERE / "manrs-observatory_LACNIC_details_202210.excerpt.csv"
PARTICIPANTS = HERE / "manrs-participants.invented.csv"  # invented, see module docstring



def test_participants_one_row_per_asn_with_areas_and_actions() -> None:
    snapshot = load_participants([PARTICIPANTS])
    assert snapshot.table.schema.equals(MANRS_PARTICIPANTS)
    rows = {row["asn"]: row for row in snapshot.table.to_pylist()}
    assert sorted(rows) == [*range(64496, 64504), 64505, 65536]
    assert rows[64497] == {"asn": 64497, "organisation": "Example Transit Ltd",
                           "areas": ["GB", "IE"], "actions": list(ACTIONS)}
    assert rows[64498]["actions"] == ["Filtering", "Coordination", "Global Validation"]
    assert rows[64499]["areas"] == ["BR", "AR", "CL"]
    assert rows[64501]["organisation"] == "Sample Networks, Inc."  # quoted comma
    assert snapshot.as_of is None  # the file has no date: the fetch time stands for it


def test_participant_with_bad_asn_is_reported_and_skipped() -> None:
    snapshot = load_participants([PARTICIPANTS])
    (problem,) = snapshot.problems
    assert (Path(problem.file).name, problem.line) == (PARTICIPANTS.name, 7)
    assert "AS-BROKEN" in problem.detail


def test_malformed_participant_rows_name_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "participants.csv"
    path.write_text("h1,h2,h3,h4,h5,h6,h7\nA,US,64496,Yes,No,Yes\nB,US,64497,Yes,No,Yes,Maybe\n"
                    "C,US,64498,Yes,No,Yes,No\n")
    snapshot = load_participants([path], min_rows=1)
    assert [(p.line, p.detail) for p in snapshot.problems] == [
        (2, "6 fields, expected 7 (organisation, areas, ASNs and four Yes/No action columns)"),
        (3, "action columns must be Yes or No, found Yes, No, Yes, Maybe"),
    ]
    assert snapshot.table.column("asn").to_pylist() == [64498]


def test_too_few_participants_are_refused() -> None:
    with pytest.raises(ImplausibleInputError, match="7 participants"):
        load_participants([PARTICIPANTS], min_rows=50)


def _later_snapshot(tmp_path: Path, name: str, drop: str | None, add: str) -> Path:
    lines = [line for line in PARTICIPANTS.read_text().splitlines()
             if drop is None or not line.startswith(drop)]
    path = tmp_path / name
    path.write_text("\n".join([*lines, add]) + "\n")
    return path


def test_join_date_is_the_first_snapshot_listing_the_asn(tmp_path: Path) -> None:
    # constructed: in March, Late Joiner Co leaves and a new organisation joins; in May the
    # leaver comes back. Snapshots are given out of order.
    joiner = "New Member,FR,64510,Yes,No,Yes,No"
    march = _later_snapshot(tmp_path, "march.csv", "Late Joiner", joiner)
    may = _later_snapshot(tmp_path, "may.csv", None, joiner)
    tables = [(dt.date(2025, 5, 2), load_participants([may]).table),
              (dt.date(2025, 1, 7), load_participants([PARTICIPANTS]).table),
              (dt.date(2025, 3, 4), load_participants([march]).table)]
    joins = join_dates(tables)
    assert joins.schema.equals(MANRS_JOINS)
    rows = {r["asn"]: r for r in joins.to_pylist()}
    assert rows[64510] == {"asn": 64510, "joined": dt.date(2025, 3, 4),
                           "organisation": "New Member"}
    assert rows[64505]["joined"] == dt.date(2025, 1, 7)  # left and came back: first date kept
    assert rows[64496]["joined"] == dt.date(2025, 1, 7)
    assert join_dates(list(reversed(tables))).equals(joins)


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
    lines[index] = lines[index][:cut] + data.draw(st.text(alphabet='0123456789-,;"ASYesNo ',
                                                          max_size=15))
    path = tmp_path / "participants.csv"
    path.write_text("\n".join(lines) + "\n")
    assert load_participants([path], min_rows=1).table.num_rows >= 7
