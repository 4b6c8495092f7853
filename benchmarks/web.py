"""Requests per second and latency of the dashboard and API on 127.0.0.1.

Starts ``routewatch serve`` (uvicorn, one process) over a store — ``--db PATH`` (for example the
demo database) or, by default, the test store of ``tests/web_fixture.py`` built in a temporary
folder — then sends a bounded number of GET requests per endpoint from ``--clients``
concurrent keep-alive clients, and prints requests/s, p50, p95 and max latency per endpoint.
Stops by itself. The target: overview p95 under 200 ms.

    .venv/bin/python benchmarks/web.py                       # 200 requests per endpoint
    .venv/bin/python benchmarks/web.py --requests 50 --clients 2
    .venv/bin/python benchmarks/web.py --db demo.duckdb --asn 1251
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _endpoints(asn: int) -> list[tuple[str, str]]:
    return [
        ("overview page", "/"),
        ("overview JSON", "/api/v1/overview"),
        ("overview economy page", "/?area=economy:JP"),
        ("network page", f"/asn/{asn}"),
        ("network JSON", f"/api/v1/networks/{asn}"),
        ("incidents table JSON", "/api/v1/incidents?limit=100"),
        ("scores table CSV", "/api/v1/scores.csv?limit=1000"),
    ]


def _wait(base: str, proc: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with code {proc.returncode}")
        try:
            httpx.get(base + "/api/v1/months", timeout=2).raise_for_status()
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    sys.exit("the server did not answer within 60 s")


def _measure(base: str, path: str, requests: int, clients: int) -> dict[str, float]:
    def one_client(count: int) -> list[float]:
        times = []
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(count):
                start = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - start)
                response.raise_for_status()
        return times

    shares = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        latencies = [t for part in pool.map(one_client, shares) for t in part]
    wall = time.perf_counter() - start
    latencies.sort()
    return {"rps": len(latencies) / wall, "p50": statistics.median(latencies) * 1000,
            "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000,
            "max": latencies[-1] * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="store to serve (default: the test store)")
    parser.add_argument("--asn", type=int, default=1251, help="ASN of the network page")
    parser.add_argument("--requests", type=int, default=200, help="requests per endpoint")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            sys.path.insert(0, str(ROOT / "tests"))
            from web_fixture import build_store

            db = Path(tmp) / "bench.duckdb"
            build_store(db)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "routewatch", "serve", "--db", str(db), "--port",
               str(port)]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)
        try:
            _wait(base, proc)
            print(f"store {db}; {args.requests} requests per endpoint, {args.clients} clients")
            print(f"{'endpoint':<24} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, path in _endpoints(args.asn):
                _measure(base, path, min(10, args.requests), 1)  # warm up
                m = _measure(base, path, args.requests, args.clients)
                print(f"{name:<24} {m['rps']:>8.1f} {m['p50']:>8.1f} {m['p95']:>8.1f} "
                      f"{m['max']:>8.1f}")
        finally:
            proc.terminate()
            proc.wait(10)


if __name__ == "__main__":
    main()
