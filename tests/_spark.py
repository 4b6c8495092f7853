"""Spark for the tests: a ``local[2]`` engine cut by Arrow batch size, shuffle partitions and
buckets, the one session stopped at the end of a module, and a real standalone cluster on
127.0.0.1 (Java and pyspark are installed by ``make install``; their absence fails these
tests rather than skipping them)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from routewatch.pipeline.spark import SparkEngine

__all__ = ["PID_DIR", "spark_cut", "spark_session_stopped", "standalone_cluster"]


def spark_cut(records: int, partitions: int, buckets: int, master: str = "local[2]"
              ) -> tuple[str, SparkEngine]:
    """A Spark engine with this Arrow batch size, shuffle partitions and buckets, and what
    it is in words."""
    engine = SparkEngine(master, buckets, {
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(records),
        "spark.sql.shuffle.partitions": str(partitions),
    })  # fmt: skip
    return (f"spark {master}, {records:,} records per Arrow batch, {partitions} shuffle "
            f"partition(s), {buckets} buckets"), engine


@pytest.fixture(scope="module")
def spark_session_stopped() -> Iterator[None]:
    """Stop the module's Spark session (if one was started) when the module ends."""
    yield
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()


# ------------------------------------------------------------------ a standalone cluster
#: where the test cluster's daemons keep their pid files: fixed, so a daemon left by a run
#: that was killed is found (and stopped) by the next one
PID_DIR = Path(tempfile.gettempdir()) / f"routewatch-spark-test-{os.getuid()}"
_MASTER = "org.apache.spark.deploy.master.Master"
_WORKER = "org.apache.spark.deploy.worker.Worker"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _daemon(env: dict[str, str], *args: str) -> None:
    """``sbin/spark-daemon.sh ARGS`` of the pyspark package (it ships no start-master.sh)."""
    script = Path(env["SPARK_HOME"]) / "sbin" / "spark-daemon.sh"
    subprocess.run(["bash", str(script), *args], env=env, check=True, capture_output=True,
                   timeout=120)  # fmt: skip


def _stop_all(env: dict[str, str]) -> None:
    for cls in (_WORKER, _MASTER):
        with contextlib.suppress(subprocess.SubprocessError):
            _daemon(env, "stop", cls, "1")


def _wait_for(port: int, what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"the test cluster's {what} did not listen on 127.0.0.1:{port} "
                         f"within {seconds:.0f} s; its log is in {PID_DIR}")


def _worker_registered(env: dict[str, str], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        logs = "".join(p.read_text(errors="replace") for p in PID_DIR.glob("*Worker*.out"))
        if "Successfully registered with master" in logs:
            return
        time.sleep(0.5)
    raise AssertionError(f"the test cluster's worker did not register; logs in {PID_DIR}")


@pytest.fixture(scope="module")
def standalone_cluster() -> Iterator[str]:
    """A real Spark standalone master and worker (2 cores, 4 GB) on 127.0.0.1, started from
    the pyspark package; its master URL. Stopped at the end whatever happens; daemons left
    by an earlier, killed run are stopped first."""
    import pyspark

    env = {**os.environ, "SPARK_HOME": str(Path(pyspark.__file__).parent),
           "SPARK_LOCAL_IP": "127.0.0.1", "SPARK_PID_DIR": str(PID_DIR),
           "SPARK_LOG_DIR": str(PID_DIR), "SPARK_IDENT_STRING": "routewatch-test",
           "PYSPARK_PYTHON": sys.executable}  # fmt: skip
    PID_DIR.mkdir(parents=True, exist_ok=True)
    _stop_all(env)  # a stale daemon of a killed run
    for log in PID_DIR.glob("*.out*"):
        log.unlink()
    port = _free_port()
    url = f"spark://127.0.0.1:{port}"
    try:
        _daemon(env, "start", _MASTER, "1", "--host", "127.0.0.1", "--port", str(port),
                "--webui-port", str(_free_port()))  # fmt: skip
        _wait_for(port, "master")
        _daemon(env, "start", _WORKER, "1", "--host", "127.0.0.1", "--cores", "2",
                "--memory", "4g", "--webui-port", str(_free_port()), url)  # fmt: skip
        _worker_registered(env)
        yield url
    finally:
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        _stop_all(env)
