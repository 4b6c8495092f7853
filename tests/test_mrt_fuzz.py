"""A deterministic sample of ``benchmarks/fuzz.py``: mutated real files never crash a parser.

The fuzzer damages real MRT files (record fields, BGP message fields, RIB entries, bytes,
truncation, splicing) and real reference files (lines deleted, cut, duplicated, swapped,
replaced by garbage, numbers made huge) and runs them in worker processes with a time and a
memory limit. Here: its first cases of the MRT reader (each decoded twice, in other chunk and
batch sizes, and every 20th by the interpreted engine too) and its first cases of every
reference format.
Every case must end with elems or a clear routewatch error: no crash, hang, other exception,
disagreement or impossible value. The full run (10,000 cases per parser) is the script's.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

import pytest

from _bench import benchmark


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    return benchmark("fuzz")


def test_mrt_sample_is_clean(fuzz: ModuleType) -> None:
    tally = fuzz.fuzz("mrt", cases=120, timeout=60.0, memory_mb=4096)
    assert tally.cases == 120
    assert tally.clean, fuzz.table([tally])
    assert sum(tally.refusals.values()) == 0  # the MRT reader never refuses: it reports


def test_every_reference_format_has_seeds(fuzz: ModuleType) -> None:
    seeds = fuzz.ref_seeds()
    assert set(fuzz.target_names()[1:]) <= set(seeds)


def test_reference_sample_ends_in_rows_or_a_clear_error(
    fuzz: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first cases of every reference format, here in the test process (the script
    runs them in workers with limits): each loads or is refused with a routewatch error,
    and no exception is raised where Python can only ignore it (in a callback of a C
    library: pyarrow's CSV invalid-row handler did, on cases 1 and 5 of the RPKI CSVs)."""
    ignored: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    outcomes: dict[str, list[str]] = {}
    for name in fuzz.target_names()[1:]:
        target = fuzz.make_target(name)
        outcomes[name] = [target.run(case).kind for case in range(10)]
    assert all(set(kinds) <= {"ok", "refusal"} for kinds in outcomes.values()), outcomes
    assert not ignored, [u.exc_value for u in ignored]
    assert sum(kinds.count("ok") for kinds in outcomes.values()) > 150  # most still load


def test_mutations_are_deterministic(fuzz: ModuleType) -> None:
    target = fuzz.make_target("mrt")
    assert target.input(7) == target.input(7)
    assert target.input(7) != target.input(8)
