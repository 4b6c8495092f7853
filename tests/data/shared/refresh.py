"""Rebuild ``tests/data/shared`` from the shared corpus: the real files the tests need, and one cut.

Usage: ``python tests/data/shared/refresh.py [CORPUS]`` (default ``$ROUTEWATCH_SHARED_DATA``, then
``../shared/data`` beside the checkout). It copies the files named in :data:`WHOLE` byte for byte,
makes the cut files of :data:`CUTS` (the first records of an MRT file, and the matching first
lines of bgpdump's expectation for it), writes each series folder's ``SHA256SUMS`` for the files
taken, and regenerates ``PROVENANCE.md`` with every file's sha256 and the source rows of the
corpus's own ``PROVENANCE.md``. Debian ``bgpdump`` must be installed (it checks the cuts).

Failure modes: a file named here that the corpus lacks, a corpus file whose sha256 differs from
the corpus's PROVENANCE.md, or a cut whose ``bgpdump -m`` lines differ from the first lines of
the whole file's expectation stop the run with the reason; nothing is half written, because
every file goes through a temporary name.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: Whole files, as ``folder: [names or glob patterns]`` relative to the corpus.
WHOLE: dict[str, list[str]] = {
    "mrt/ris": ["*"],
    "mrt/ris_historical": ["*"],
    # route-views6_rib.20150922.1200.bz2 (4.2 MB) is left out: no test names it and the
    # route-views6 firstMB RIB has the same record kinds
    "mrt/routeviews": [
        "route-views.jinx_rib.20140530.2200.bz2",
        "route-views.jinx_updates.20140530.2345.bz2",
        "route-views.jinx_updates.20150401.0000.bz2",
        "route-views.sydney_updates.20220601.0230.bz2",
        "route-views.wide_rib.20161101.0000_pick.bz2",
        "route-views.wide_updates.20161101.0000.bz2",
        "route-views2_rib.20080501.0644_firstMB.bz2",
        "route-views2_rib.20140523.0600_firstMB.bz2",
        "route-views6_rib6.20151101.0600_firstMB.bz2",
        "route-views6_updates.20151009.1230.bz2",
    ],
    "mrt/misc": ["updates.20240914.2230_peer-AS140684.bz2"],
    "mrt/lab": ["*"],
    "mrt/bgpdump-expect": ["*"],
    "rpki": [
        "rcynic-scan_roas_roa_list_20160527.txt",
        "ripe-archive_afrinic-tal_roas_20220102.csv",
    ],
    "asrel": ["*"],
    "rir": ["*"],
    "peeringdb": ["*"],
    "manrs": ["*"],
    "irr": [
        "ripe_aut-num_AS3257.txt",
        "ripe-nonauth.db.route.gz",
        "ripe-nonauth.db.route6.gz",
        "ripe-nonauth.db.aut-num.gz",
        "ripe.db.as-set.gz",
    ],
}

#: Whole files left out of folders copied with ``*`` (replaced by a cut below).
LEFT_OUT = {"mrt/bgpdump-expect/updates.et-header.2015.gz.bgp.gz"}

#: Series folders: the first ``n`` five-minute files, in time order.
SERIES = {
    "mrt/series/rrc04_20210101": 50,  # all: tests/test_detect_real.py reads them all
    "mrt/series/rrc06_20210102": 12,  # one hour
    "mrt/series/rrc12_20210101": 2,  # 2.8 MB each: ten minutes of 87 peer ASes
}

#: Cuts: new name -> (whole file in the corpus, first records kept, its bgpdump expectation).
CUTS = {
    "mrt/misc/updates.et-header.2015.first-3000-records.gz": (
        "mrt/misc/updates.et-header.2015.gz",
        3_000,
        "mrt/bgpdump-expect/updates.et-header.2015.gz.bgp.gz",
    ),
}


def corpus_root(argv: list[str]) -> Path:
    """The corpus folder from the command line, the environment or beside the checkout."""
    env = os.environ.get("ROUTEWATCH_SHARED_DATA")
    beside = HERE.parents[3] / "shared" / "data"
    root = Path(argv[1]) if len(argv) > 1 else Path(env) if env else beside
    if not (root / "PROVENANCE.md").is_file():
        sys.exit(f"{root}: no PROVENANCE.md here; pass the shared/data folder as the argument")
    return root


def sha256(data: bytes) -> str:
    """The hex sha256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def write(relative: str, data: bytes) -> None:
    """Write one file of the copy through a temporary name."""
    target = HERE / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as tmp:
        tmp.write(data)
    Path(tmp.name).chmod(0o644)
    Path(tmp.name).replace(target)


def whole_files(corpus: Path) -> list[str]:
    """Every whole file to copy, relative to the corpus, sorted."""
    names: set[str] = set()
    for folder, patterns in WHOLE.items():
        for pattern in patterns:
            found = [p for p in (corpus / folder).glob(pattern) if p.is_file()]
            if not found:
                sys.exit(f"{corpus / folder}: nothing matches {pattern!r}")
            names.update(p.relative_to(corpus).as_posix() for p in found)
    for folder, count in SERIES.items():
        caches = sorted((corpus / folder).glob("*.cache"))[:count]
        names.update(p.relative_to(corpus).as_posix() for p in caches)
    return sorted(names - LEFT_OUT)


def first_records(data: bytes, count: int) -> bytes:
    """The first ``count`` MRT records of ``data`` (12-byte common header, length at byte 8)."""
    offset = 0
    for _ in range(count):
        (length,) = struct.unpack_from(">I", data, offset + 8)
        offset += 12 + length
    if offset > len(data):
        sys.exit(f"record {count} runs past the end of the file")
    return data[:offset]


def bgpdump_lines(data: bytes) -> list[str]:
    """Debian ``bgpdump -m`` over plain MRT bytes."""
    with tempfile.NamedTemporaryFile(suffix=".mrt") as tmp:
        tmp.write(data)
        tmp.flush()
        out = subprocess.run(["bgpdump", "-m", tmp.name], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").splitlines()


def make_cut(corpus: Path, relative: str, source: str, count: int, expect: str) -> str:
    """Cut ``source`` to its first records and its expectation to the same records' lines.

    Returns the name of the cut expectation.
    """
    head = first_records(gzip.decompress((corpus / source).read_bytes()), count)
    write(relative, gzip.compress(head, compresslevel=9, mtime=0))
    ours = bgpdump_lines(head)
    expected = gzip.decompress((corpus / expect).read_bytes()).decode("utf-8").splitlines()
    if expected[: len(ours)] != ours:
        sys.exit(f"{relative}: bgpdump -m lines are not the first lines of {expect}")
    name = f"mrt/bgpdump-expect/{Path(relative).name}.bgp.gz"
    text = "".join(line + "\n" for line in expected[: len(ours)]).encode()
    write(name, gzip.compress(text, compresslevel=9, mtime=0))
    print(f"{relative}: {count} records, {len(ours)} bgpdump lines")
    return name


def series_sums(corpus: Path, relative: str) -> None:
    """``SHA256SUMS`` of a series folder, restricted to the files taken (whose sums it checks)."""
    taken = {p.name: sha256(p.read_bytes()) for p in (HERE / relative).glob("*.cache")}
    lines = (corpus / relative / "SHA256SUMS").read_text().splitlines()
    kept = [line for line in lines if line.split()[1] in taken]
    if sorted(line.split()[1] for line in kept) != sorted(taken) or any(
        taken[line.split()[1]] != line.split()[0] for line in kept
    ):
        sys.exit(f"{relative}: the files taken do not match its SHA256SUMS")
    write(f"{relative}/SHA256SUMS", "".join(f"{line}\n" for line in kept).encode())


def provenance_rows(corpus: Path) -> dict[str, tuple[str, str]]:
    """Corpus file -> (source, what) from the corpus PROVENANCE.md (details, then tables)."""
    text = (corpus / "PROVENANCE.md").read_text()
    rows: dict[str, tuple[str, str]] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name = block.split("\n", 1)[0].strip()
        source = re.search(r"^- Source: github\.com/(\S+) , path `([^`]+)` .*?commit `([0-9a-f]+)`",
                           block, re.M)
        what = re.search(r"^- What: (.*)$", block, re.M)
        if source and what:
            rows[name] = (f"{source[1]} : {source[2]} @ {source[3][:12]}", what[1])
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and (corpus / cells[0]).is_file() and cells[0] not in rows:
            rows[cells[0]] = (f"{cells[3]} @ {cells[4]}", cells[5])
        if len(cells) == 11 and cells[0].startswith("mrt/series/"):
            rows[cells[0].rstrip("/")] = (f"{cells[1]} : {cells[2].strip('`')} @ {cells[3][:12]}",
                                          f"RIS {cells[4]} five-minute update files")
    return rows


def source_of(relative: str, rows: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(source, what) of one file of the copy."""
    if relative in rows:
        return rows[relative]
    folder = relative.rsplit("/", 1)[0]
    if folder in rows:
        return rows[folder]
    if folder == "mrt/bgpdump-expect":
        kind = "input" if not relative.endswith(".bgp.gz") else "bgpdump -vm expected output"
        sub = "test_data" if kind == "input" else "test_expect"
        return (f"RIPE-NCC/bgpdump : {sub}/ @ caf2cb07bc3c", f"bgpdump's own test {kind}")
    sys.exit(f"{relative}: no source row in the corpus PROVENANCE.md")


HEADER = """\
# tests/data/shared — the real files the test suite needs

A copy of part of the project's shared corpus (`shared/data`, whose `PROVENANCE.md` and
`TIMELINE.md` describe every file in full), kept in the repository so that a clone on its own
runs every test. Paths are the corpus paths: `tests/_data.py`'s `shared_data("mrt/ris/x.gz")`
finds `tests/data/shared/mrt/ris/x.gz` first, then `$ROUTEWATCH_SHARED_DATA/mrt/ris/x.gz`, then
`../shared/data/mrt/ris/x.gz`. The larger corpus stays optional: tests that run over every file
available (the bgpdump oracle, the MRT robustness sweep) also take its other files when present.

This folder is generated by `python tests/data/shared/refresh.py [CORPUS]`; do not edit it by
hand. `tests/test_shared_data.py` checks every file against the sha256 below.

Licences and data owners' terms are those of the corpus PROVENANCE.md (RIPE NCC RIS and RIPE DB,
RouteViews, CAIDA AUA, PeeringDB AUP, RIR statistics, MANRS/ISOC; repositories named per row).

## What was left out or cut, and how

- Whole files are byte-for-byte copies (same sha256 as in the corpus).
- `mrt/series/`: the first files of each folder in time order — rrc04 all 50 (04:55-09:05;
  `tests/test_detect_real.py` needs the whole window: a finding of 06:53 reaches its second
  peer AS after 08:25), rrc06 05:05-06:05 (12 of 50 files), rrc12 05:00-05:10 (2 of 12 files,
  2.8 MB each); each folder's `SHA256SUMS` holds the lines of the files taken, unchanged.
- `mrt/misc/updates.et-header.2015.first-3000-records.gz`: the first 3,000 of the 89,686
  MRT records of `mrt/misc/updates.et-header.2015.gz` (BGP4MP_ET), cut at the record boundary
  after the 3,000th record of the decompressed stream and gzipped again (level 9, no name,
  mtime 0). Its expectation `mrt/bgpdump-expect/updates.et-header.2015.first-3000-records.gz.bgp.gz`
  is the first lines of `updates.et-header.2015.gz.bgp.gz`, as many as Debian `bgpdump -m`
  prints for the cut file (checked equal line for line when the cut was made). The whole file
  (3.1 MB) and its expectation (4.0 MB) are not copied.
- Not copied (no test reads them): `mrt/routeviews/route-views6_rib.20150922.1200.bz2`,
  `mrt/derived/`, `bogons/`, `incidents/`, `spoofer/`, `rpki/rov/`, the other `rpki/` and
  `irr/` files (small excerpts of some live in `tests/data/ref/`).

## Files

| file | bytes | sha256 | source (repository : path @ commit) | what |
|---|---|---|---|---|
"""


def copy_whole(corpus: Path, rows: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Copy the whole files; check each against the corpus's sha256 where it lists one."""
    listed = (corpus / "PROVENANCE.md").read_text()
    described = {}
    for relative in whole_files(corpus):
        data = (corpus / relative).read_bytes()
        unlisted = relative.startswith(("mrt/series/", "mrt/bgpdump-expect/"))
        if not unlisted and sha256(data)[:16] not in listed:
            sys.exit(f"{relative}: its sha256 is not the one of the corpus PROVENANCE.md")
        write(relative, data)
        described[relative] = source_of(relative, rows)
    return described


def main(argv: list[str]) -> None:
    """Copy, cut, sum and describe (see the module doc)."""
    if shutil.which("bgpdump") is None:
        sys.exit("Debian bgpdump is needed to check the cuts: apt-get install bgpdump")
    corpus = corpus_root(argv)
    rows = provenance_rows(corpus)
    described = copy_whole(corpus, rows)
    for relative, (source, count, expect) in CUTS.items():
        expect_cut = make_cut(corpus, relative, source, count, expect)
        described[relative] = (rows[source][0], f"first {count:,} records of {source} (see above)")
        described[expect_cut] = (source_of(expect, rows)[0], f"first lines of {expect} (see above)")
    for folder in SERIES:
        series_sums(corpus, folder)
        described[f"{folder}/SHA256SUMS"] = (f"the corpus's {folder}/SHA256SUMS",
                                             "its lines for the files taken")
    lines = [HEADER]
    for relative, (source, what) in sorted(described.items()):
        data = (HERE / relative).read_bytes()
        what = what.replace("|", "/")
        lines.append(f"| {relative} | {len(data)} | {sha256(data)} | {source} | {what} |\n")
    write("PROVENANCE.md", "".join(lines).encode())
    total = sum((HERE / r).stat().st_size for r in described)
    print(f"{len(described)} files, {total:,} bytes")


if __name__ == "__main__":
    main(sys.argv)
