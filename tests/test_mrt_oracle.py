"""Oracle: routewatch's bgpdump formatter against Debian's ``bgpdump -m`` on real MRT files.

For every real MRT file of the shared corpus (``tests/_data.py``: the repository's copy, plus the
larger corpus's other files when present; a few of the large series files), the lines
of :func:`bgpdump_lines` over all batches must equal ``bgpdump -m FILE`` and, where bgpdump's
own test expectation ships, that expectation. The only differences allowed are the deliberate
ones of ``docs/bgpdump-differences.md``, counted per file in :data:`DIFFERENCES`.
"""

from __future__ import annotations

import difflib
import gzip
import ipaddress
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from _data import shared_files
from routewatch.ingest.mrt import read_elems
from routewatch.ingest.mrt.bgpdump import bgpdump_lines

pytestmark = pytest.mark.oracle

BGPDUMP = shutil.which("bgpdump")
SERIES = ("rrc04_20210101", "rrc06_20210102", "rrc12_20210101")


def _mrt_files() -> list[Path]:
    files: list[Path] = []
    for sub in ("ris", "ris_historical", "routeviews", "misc", "lab"):
        files += shared_files(f"mrt/{sub}")
    files += [p for p in shared_files("mrt/bgpdump-expect") if not p.name.endswith(".bgp.gz")]
    for series in SERIES:
        caches = shared_files(f"mrt/series/{series}", "*.cache")
        files += caches[:1] if "rrc12" in series else caches[:4]
    return files


#: Deliberate differences per file name: {difference kind: number of lines}. Kinds:
#: ``masked-prefix`` bgpdump prints NLRI host bits (we print the canonical prefix);
#: ``bgp5-withdraw-prefix`` bgpdump prints the peer address as a type 5 withdrawn prefix;
#: ``extra`` lines we recover after the point where bgpdump stops or skips records.
DIFFERENCES: dict[str, dict[str, int]] = {
    # bgpdump prints the NLRI bytes as they are; we clear host bits beyond the length
    "updates.nlri_mask_trailing_bits.gz": {"masked-prefix": 1},
    # deprecated type 5 records: bgpdump prints the peer address as the withdrawn prefix
    "ris-rrc00_updates.19990903.1041.gz": {"bgp5-withdraw-prefix": 25},
    "ris-rrc00_updates.19991214.1621.gz": {"bgp5-withdraw-prefix": 1363},
    "ris-rrc00_updates.20000102.2014.gz": {"bgp5-withdraw-prefix": 675},
    # damaged record at offset 188: bgpdump reads it as 2042 garbage withdrawals and stops;
    # we resynchronise and decode the rest of the file
    "ris-rrc00_updates.20000325.0345.gz": {
        "bgp5-withdraw-prefix": 2,
        "only-ours": 5680,
        "only-bgpdump": 2042,
    },
    # records 4 bytes longer than declared: bgpdump stops after the first entry
    "ris-rrc00_bview.20000111.0032.gz": {"only-ours": 452017},
    # 4-byte AGGREGATOR in a 2-byte TABLE_DUMP record: bgpdump ignores the attribute length
    "openbgpd_rib_table": {"aggregator-length": 1},
    # ADD-PATH NLRI in non-ADD-PATH subtypes: both tools misread them (different garbage)
    "bird_bgp": {"masked-prefix": 6},
    "bird6_bgp": {"only-ours": 2, "only-bgpdump": 10, "masked-prefix": 2},
}


#: bgpdump's own expectations were written by a bgpdump that clears NLRI host bits (upstream
#: fixed difference 1 after Debian's 1.6.2), so they agree with routewatch on that file.
EXPECTATION_DIFFERENCES: dict[str, dict[str, int]] = {
    name: kinds
    for name, kinds in DIFFERENCES.items()
    if name != "updates.nlri_mask_trailing_bits.gz"
}


def _ours(path: Path) -> list[str]:
    lines: list[str] = []
    for batch in read_elems(path):
        lines += bgpdump_lines(batch)
    return lines


def _bgpdump(path: Path) -> list[str]:
    """``bgpdump -m`` of ``path``; bgpdump picks its decompressor by the file name, so
    compressed files with another suffix (the ``.cache`` series) are linked under one."""
    assert BGPDUMP is not None
    with tempfile.TemporaryDirectory() as tmp:
        target = path
        head = path.read_bytes()[:3]
        if head[:2] == b"\x1f\x8b" and path.suffix != ".gz":
            target = Path(tmp) / (path.name + ".gz")
            target.symlink_to(path)
        elif head == b"BZh" and path.suffix != ".bz2":
            target = Path(tmp) / (path.name + ".bz2")
            target.symlink_to(path)
        out = subprocess.run([BGPDUMP, "-m", str(target)], capture_output=True, check=False)
    return out.stdout.decode("utf-8", "replace").splitlines()


def _classify(ours: str, ref: str) -> str:
    o, r = ours.split("|"), ref.split("|")
    if (
        o[0] == r[0] == "BGP"
        and o[2] == r[2] == "W"
        and o[:5] == r[:5]
        and r[5].startswith(r[3] + "/")
    ):
        return "bgp5-withdraw-prefix"
    if len(o) == len(r) == 15 and o[:13] == r[:13] and o[14:] == r[14:]:
        return "aggregator-length"
    if o[:5] == r[:5] and o[6:] == r[6:] and _same_net(o[5], r[5]):
        return "masked-prefix"
    return f"UNEXPECTED: ours={ours!r} bgpdump={ref!r}"


def _same_net(ours: str, ref: str) -> bool:
    try:
        return ipaddress.ip_network(ref, strict=False) == ipaddress.ip_network(ours)
    except ValueError:
        return False


def differences(ours: list[str], ref: list[str]) -> Counter[str]:
    """Kinds of the line differences between our lines and bgpdump's.

    Same-position pairs are classified; when the line counts differ, a line diff counts the
    lines only we print (``only-ours``: records bgpdump skips or stops before) and the lines
    only bgpdump prints (``only-bgpdump``: what it makes of damaged records).
    """
    kinds: Counter[str] = Counter()
    if len(ours) == len(ref):
        for a, b in zip(ours, ref, strict=True):
            if a != b:
                kinds[_classify(a, b)] += 1
        return kinds
    matcher = difflib.SequenceMatcher(None, ours, ref, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace" and i2 - i1 == j2 - j1:
            for a, b in zip(ours[i1:i2], ref[j1:j2], strict=True):
                kinds[_classify(a, b)] += 1
            continue
        if i2 > i1:
            kinds["only-ours"] += i2 - i1
        if j2 > j1:
            kinds["only-bgpdump"] += j2 - j1
    return kinds


@pytest.mark.skipif(BGPDUMP is None, reason="needs Debian bgpdump (make install installs it)")
@pytest.mark.parametrize("path", _mrt_files(), ids=lambda p: p.name)
def test_matches_bgpdump(path: Path) -> None:
    ours = _ours(path)
    kinds = differences(ours, _bgpdump(path))
    assert dict(kinds) == DIFFERENCES.get(path.name, {})


def _expect_pairs() -> list[tuple[Path, Path]]:
    """(expectation, input): the input of the same name, else the RIS file it was renamed to."""
    inputs = _mrt_files()
    pairs = []
    for exp in shared_files("mrt/bgpdump-expect", "*.bgp.gz"):
        name = exp.name[: -len(".bgp.gz")]
        renamed = name.split(".", 1)[1]
        same = [p for p in inputs if p.name == name]
        ris = [p for p in inputs if p.parent.name == "ris" and p.name.endswith(renamed)]
        pairs += [(exp, path) for path in (same + ris)[:1]]
    return pairs


@pytest.mark.parametrize("expect,path", _expect_pairs(), ids=lambda p: p.name)
def test_matches_bgpdump_expectation(expect: Path, path: Path) -> None:
    with gzip.open(expect, "rt", encoding="utf-8", errors="replace") as fh:
        ref = fh.read().splitlines()
    kinds = differences(_ours(path), ref)
    assert dict(kinds) == EXPECTATION_DIFFERENCES.get(path.name, {})
