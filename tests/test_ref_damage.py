"""Damaged reference files: a bad line costs that line, wherever it is; a byte-order mark costs
nothing; a named kind is loaded leniently.

Every input is a real file (``tests/_data.py``: the repository's copy of the shared corpus, or
an excerpt of it in ``tests/data/ref``) MUTATED here the way files get damaged: one garbage
line inserted (near the top, where the format is sniffed, or far down), a UTF-8 byte-order mark
in front, a stray line before a CSV header or a JSON document, a garbage line inside a JSON
object. The only invented input is the Spoofer API page (no real page exists; see
``tests/data/ref/spoofer/PROVENANCE.md``). Each check compares the damaged file's rows with the
rows of the undamaged file (or of the file with the damaged object removed), and asks for
exactly the problems the damage explains, with their line numbers.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from _data import shared_data
from routewatch.cli.main import cli
from routewatch.errors import UnsupportedFormatError
from routewatch.reference.base import RefKind, Snapshot
from routewatch.reference.jsonscan import array_elements
from routewatch.reference.sniff import detect, import_loaders, load_any, mostly, open_binary

import_loaders()

REF = Path(__file__).parent / "data" / "ref"
GARBAGE = b"this line is garbage !!\n"
BOM = b"\xef\xbb\xbf"

#: (real file, format, kind) of every line-shaped or header-led format with a real sample
LINE_FILES = [
    (shared_data("rpki/rcynic-scan_roas_roa_list_20160527.txt"), "rcynic-scan-roas", "vrps"),
    (REF / "asrel" / "toposcope_asrel_201801.head.txt", "caida-as-rel", "as-relationships"),
    (
        REF / "asrel" / "caida-as-taxonomy_as_rel.as24-33-38.txt",
        "caida-as-taxonomy-rel",
        "as-relationships",
    ),
    (REF / "irr" / "ripe-nonauth.db.route.head.txt", "rpsl-route", "irr-routes"),
    (REF / "irr" / "ripe.db.as-set.excerpt.txt", "rpsl-as-set", "irr-as-sets"),
    (
        REF / "bogons" / "team-cymru_fullbogons-ipv4_20240310_head80.txt",
        "team-cymru-fullbogons",
        "bogon-prefixes",
    ),
    (REF / "peeringdb" / "caida_ix-asns_201910.excerpt.jsonl", "caida-ixp-jsonl", "peeringdb"),
]
#: (real file, format, kind) whose format is decided by a header or a document opening
HEADED_FILES = [
    (shared_data("rpki/ripe-archive_afrinic-tal_roas_20220102.csv"), "ripe-rpki-archive-csv",
     "vrps"),
    (REF / "rpki" / "routinator_afrinic-vrps_20220102.csv", "routinator-csv", "vrps"),
    (REF / "bogons" / "iana_ipv4-address-space_2020.csv", "iana-address-space-csv",
     "bogon-prefixes"),
    (REF / "bogons" / "iana-ipv4-special-registry-1_transcribed.csv",
     "iana-special-registry-csv", "bogon-prefixes"),
    (REF / "bogons" / "as-numbers-2_condensed.csv", "iana-as-numbers-csv", "bogon-asns"),
    (shared_data("peeringdb/peeringdb-api_netixlan.json"), "peeringdb-json", "peeringdb"),
]  # fmt: skip


def content(path: Path) -> bytes:
    """The decompressed bytes of a real file."""
    with open_binary(path) as stream:
        return stream.read()


def damaged(tmp_path: Path, source: Path, data: bytes) -> Path:
    """``data`` written under the source's name (some formats look at the name)."""
    target = tmp_path / source.name
    target.write_bytes(data)
    return target


def insert(data: bytes, line: int, text: bytes = GARBAGE) -> bytes:
    """``text`` inserted so that it becomes line ``line``."""
    lines = data.splitlines(keepends=True)
    return b"".join([*lines[: line - 1], text, *lines[line - 1 :]])


def same_rows(a: Snapshot, b: Snapshot) -> None:
    assert (a.format, a.kind, a.as_of) == (b.format, b.kind, b.as_of)
    assert a.table.equals(b.table), "rows differ"


@pytest.mark.parametrize(("path", "fmt", "kind"), LINE_FILES + HEADED_FILES,
                         ids=[f for _, f, _ in LINE_FILES + HEADED_FILES])  # fmt: skip
def test_a_byte_order_mark_changes_nothing(tmp_path: Path, path: Path, fmt: str, kind: str) -> None:
    # main: every line-shaped format refused the file ("content matches no known reference
    # format"), the IANA CSVs read no row, even with the kind named
    original = load_any([path], RefKind(kind))
    marked = damaged(tmp_path, path, BOM + content(path))
    assert detect(marked).name == fmt
    for named in (None, RefKind(kind)):
        snapshot = load_any([marked], named)
        same_rows(snapshot, original)
        assert snapshot.problems == original.problems


@pytest.mark.parametrize(("path", "fmt", "kind"), LINE_FILES, ids=[f for _, f, _ in LINE_FILES])
def test_a_bad_line_in_the_sniffed_head_costs_only_itself(
    tmp_path: Path, path: Path, fmt: str, kind: str
) -> None:
    # main: the as-rel dialects and RPSL refused the file, auto or named
    original = load_any([path], RefKind(kind))
    bad = damaged(tmp_path, path, insert(content(path), 5))
    assert detect(bad).name == fmt
    for named in (None, RefKind(kind)):
        snapshot = load_any([bad], named)
        same_rows(snapshot, original)
        assert [p.line for p in snapshot.problems] == [5]


@pytest.mark.slow
@pytest.mark.parametrize("line", [5, 5000, 40_000])
def test_the_same_bad_line_early_or_late_gives_the_same_result(tmp_path: Path, line: int) -> None:
    # main: line 5 -> UnsupportedFormatError; line 5,000 -> every other row and exit 3
    path = shared_data("asrel/caida-as-taxonomy_as_rel.txt")
    original = load_any([path])
    snapshot = load_any([damaged(tmp_path, path, insert(content(path), line))])
    same_rows(snapshot, original)
    assert [(Path(p.file).name, p.line) for p in snapshot.problems] == [(path.name, line)]


def test_the_cli_reports_the_bad_line_and_exits_3(tmp_path: Path) -> None:
    # main: exit 1, "content matches no known reference format of kind as-relationships"
    path = REF / "asrel" / "toposcope_asrel_201801.head.txt"
    bad = damaged(tmp_path, path, insert(content(path), 5))
    result = CliRunner().invoke(cli, ["ref", "show", "as-relationships", str(bad), "--summary"])
    assert result.exit_code == 3, result.output
    assert f"{bad.name}:5:" in result.output
    assert "rows      " + str(load_any([path]).table.num_rows) in result.output


@pytest.mark.parametrize(("path", "fmt", "kind"), HEADED_FILES,
                         ids=[f for _, f, _ in HEADED_FILES])  # fmt: skip
def test_a_stray_line_before_the_header(tmp_path: Path, path: Path, fmt: str, kind: str) -> None:
    # main: the CSV formats and the PeeringDB JSON were refused (or read no row)
    original = load_any([path], RefKind(kind))
    bad = damaged(tmp_path, path, GARBAGE + content(path))
    assert detect(bad).name == fmt
    snapshot = load_any([bad], RefKind(kind))
    same_rows(snapshot, original)
    assert [p.line for p in snapshot.problems] == [1]


def test_a_named_kind_is_loaded_when_auto_detection_gives_up(tmp_path: Path) -> None:
    # 40 garbage lines among the first 80: beyond what auto-detection tolerates (it must not
    # guess a kind), but the user named the kind, so the file loads and every bad line is listed
    path = REF / "asrel" / "toposcope_asrel_201801.head.txt"
    lines = content(path).splitlines(keepends=True)
    mixed = [line for pair in zip(lines[:40], [GARBAGE] * 40, strict=True) for line in pair]
    bad = damaged(tmp_path, path, b"".join(mixed + lines[40:]))
    with pytest.raises(UnsupportedFormatError, match="matches no known reference format"):
        load_any([bad])
    snapshot = load_any([bad], RefKind.AS_RELATIONSHIPS)
    same_rows(snapshot, load_any([path]))
    assert [p.line for p in snapshot.problems] == list(range(2, 81, 2))


def test_a_damaged_json_object_costs_only_that_object(tmp_path: Path) -> None:
    # main: "malformed JSON, rest of array skipped" - every object after the damage was lost
    path = shared_data("peeringdb/peeringdb-api_netixlan.json")
    data = content(path)
    lines = data.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.strip() == b"{" and i > 20)
    end = next(i for i in range(start, len(lines)) if lines[i].strip().startswith(b"}"))
    (tmp_path / "removed").mkdir()
    without = damaged(tmp_path / "removed", path, b"".join(lines[:start] + lines[end + 1 :]))
    bad = damaged(tmp_path, path, insert(data, start + 3))
    snapshot = load_any([bad])
    same_rows(snapshot, load_any([without]))
    assert [p.line for p in snapshot.problems] == [start + 1]
    assert "malformed JSON element skipped" in snapshot.problems[0].detail


def test_a_damaged_spoofer_page_keeps_its_other_sessions(tmp_path: Path) -> None:
    # the page is INVENTED in the API's format (no real page exists); main lost the whole page
    path = REF / "spoofer" / "sessions_page.invented.json"
    original = load_any([path])
    for line in (1, 7):
        snapshot = load_any([damaged(tmp_path, path, insert(content(path), line))])
        same_rows(snapshot, original)
        expected = [line, *(p.line + (p.line >= line) for p in original.problems)]
        assert sorted(p.line for p in snapshot.problems) == sorted(expected)


def test_a_stray_line_in_spoofer_json_lines(tmp_path: Path) -> None:
    path = REF / "spoofer" / "sessions_as3356_2020-05.jsonl"
    snapshot = load_any([damaged(tmp_path, path, GARBAGE + content(path))])
    same_rows(snapshot, load_any([path]))
    assert [p.line for p in snapshot.problems] == [1]


def test_json_resynchronisation_after_stray_quotes_and_brackets() -> None:
    text = '[{"a": 1},\n{"b": 2, oops " here\n},\nnoise\n{"c": [3, {"d": 4}]},\n{"e": '
    problems: list = []
    values = list(array_elements(text, 1, "x.json", problems))
    assert values == [(1, {"a": 1}), (5, {"c": [3, {"d": 4}]})]
    assert [(p.line, p.detail.split(":")[0]) for p in problems] == [
        (2, "malformed JSON element skipped"),
        (4, "malformed JSON text skipped"),
        (6, "malformed JSON, rest of the array skipped"),
    ]


def test_the_tolerance_rule() -> None:
    def good(line: str) -> bool:
        return line == "ok"

    assert mostly(["ok"] * 18 + ["x"] * 2, good)  # two bad lines always pass
    assert not mostly(["ok"] * 17 + ["x"] * 3, good)  # three of twenty do not
    assert mostly(["ok"] * 190 + ["x"] * 10, good)  # one in twenty of a long sample
    assert not mostly(["ok"] * 189 + ["x"] * 11, good)
    assert not mostly(["ok", "x", "x"], good)  # never more bad than good
    assert not mostly([], good)
