"""Whole-table comparison for exactness tests: every row, every column, lists included."""

from __future__ import annotations

import pyarrow as pa

__all__ = ["assert_same_table"]


def assert_same_table(expected: pa.Table, got: pa.Table, what: str) -> None:
    """Fail with the first differing rows unless both tables are equal row for row."""
    assert expected.schema.equals(got.schema), (
        f"{what}: schemas differ\n{expected.schema}\n{got.schema}"
    )
    if expected.equals(got):
        return
    want, have = expected.to_pylist(), got.to_pylist()
    assert len(want) == len(have), f"{what}: {len(want)} rows expected, {len(have)} found"
    for i, (a, b) in enumerate(zip(want, have, strict=True)):
        if a != b:
            diff = {k: (a[k], b[k]) for k in a if a[k] != b[k]}
            raise AssertionError(f"{what}: row {i} differs (expected, found): {diff}")
    raise AssertionError(f"{what}: tables differ in a way rows do not show (types or chunks)")
