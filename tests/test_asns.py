"""The one AS number parser (routewatch.asns): what every loader, the CLI and the API accept.

The cases of the RPSL loader (``require_as``) and of the RPKI loaders come from their former
parsers' tests; the rest pin asdot (RFC 5396), the 32-bit range (RFC 6793) and the inputs that
must be refused with a message, never converted: non-ASCII digits and huge digit strings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from routewatch.asns import MAX_ASN, Notation, parse_asn
from routewatch.reference.manrs import parse_asns
from routewatch.reference.rpki import _batch_asn, load_ripe_archive_csv

RIPE = (Path(__file__).parent / "data" / "ref" / "rpki"
        / "ripe-archive_afrinic-tal_roas_20220102_excerpt.csv")


@pytest.mark.parametrize(
    ("value", "asn"),
    [
        ("AS123", 123), ("123", 123), (4294967295, 4294967295), (0, 0),  # RPKI loaders
        ("AS64496", 64496), ("as1", 1), ("AS4294967295", 4294967295), ("AS1.0", 65536),  # RPSL
        (" AS64500 ", 64500), ("1.10", 65546), ("AS65535.65535", MAX_ASN), ("0012", 12),
    ],
)  # fmt: skip
def test_accepted(value: object, asn: int) -> None:
    assert parse_asn(value) == asn


@pytest.mark.parametrize(
    "value",
    ["AS", "ASx", "-1", "4294967296", True, "12 3",  # RPKI loaders
     "AS-FOO", "AS4294967296", "AS1.65536", "ASx1",  # RPSL
     "+12", "AS 12", "²", "١٢", "9" * 5000, "AS1.", ".5", "1.2.3", None, 1.0, -1, 2**32],
)  # fmt: skip
def test_refused_with_a_message(value: object) -> None:
    with pytest.raises(ValueError, match=r"^not an ASN: .*AS number"):
        parse_asn(value)


def test_rpsl_requires_the_as_prefix() -> None:
    assert parse_asn("AS64496", notation=Notation.AS_PREFIX) == 64496
    assert parse_asn("as1.0", notation=Notation.AS_PREFIX) == 65536
    for value in ("64496", 64496, "1.0"):
        with pytest.raises(ValueError, match="AS<number>"):
            parse_asn(value, notation=Notation.AS_PREFIX)


def test_caida_files_hold_plain_numbers() -> None:
    assert parse_asn("64496", notation=Notation.ASPLAIN) == 64496
    assert parse_asn(64496, notation=Notation.ASPLAIN) == 64496
    for value in ("AS64496", "1.10", "AS1.10"):
        with pytest.raises(ValueError, match="plain digits"):
            parse_asn(value, notation=Notation.ASPLAIN)


def test_manrs_lists_use_it() -> None:
    assert parse_asns("AS64496, 64497;as64498 / AS1.10") == [64496, 64497, 64498, 65546]
    with pytest.raises(ValueError, match=r"not an ASN: 'AS4294967296' \(out of range"):
        parse_asns("AS64496;AS4294967296")


def test_the_vectorised_rpki_path_agrees_with_it() -> None:
    """The batch path of the CSV loaders takes what parse_asn takes, and refuses the rest
    without raising (non-ASCII digits made Arrow's cast raise before)."""
    texts = ["AS123", " as7 ", "64500", "AS1.10", "1.10", "AS", "-1", "4294967296", "²", None,
             "9" * 30]  # fmt: skip
    values, ok = _batch_asn(pa.array(texts, pa.string()))
    for text, value, good in zip(texts, values.tolist(), ok.tolist(), strict=True):
        try:
            expected: int | None = parse_asn(text)
        except ValueError:
            expected = None
        assert (value if good else None) == expected, text
    numbers, ok = _batch_asn(pa.array([5, None, -1, 2**32], pa.int64()))
    assert numbers.tolist() == [5, 0, 0, 0] and ok.tolist() == [True, False, False, False]
    assert isinstance(numbers, np.ndarray)


def test_a_roa_csv_with_a_non_ascii_digit_reports_the_line(tmp_path: Path) -> None:
    """The real RIPE NCC archive excerpt with one ASN mutated to a superscript digit: a problem
    with its line in parse_asn's words, every other row kept. Before, ``str.isdigit`` took the
    superscript: the batch path failed in Arrow's cast and the row path reported Python's
    ``invalid literal for int()``."""
    lines = RIPE.read_text().splitlines()
    assert ",AS328732," in lines[4]
    lines[4] = lines[4].replace(",AS328732,", ",AS³28732,")
    path = tmp_path / "roas_20220102.csv"
    path.write_text("\n".join(lines) + "\n")
    snap = load_ripe_archive_csv([path], min_rows=1)
    assert [(p.line, p.detail.split(" (")[0]) for p in snap.problems] == [
        (5, "not an ASN: 'AS³28732'")
    ]
    assert snap.table.num_rows == load_ripe_archive_csv([RIPE], min_rows=1).table.num_rows - 1
