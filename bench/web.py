"""How fast the live-status endpoints are, next to a bare Starlette endpoint.

Starts two uvicorn servers with the same settings: the real app (app:app) on a fresh data
directory holding one order in `processing`, and a bare Starlette app answering "ok".
While a separate process plays the worker and writes progress updates to that order (the
same short UPDATE the real worker makes, at a much higher rate than it ever would), the
load generator hits each endpoint with 32 concurrent connections:

    bare  GET /bare                              (the ceiling)
    page  GET /status/{id}/progress              (the HTMX fragment the page polls)
    api   GET /api/orders/{id}/status            (the JSON)

It prints requests/s, p50 and p99 latency, the ratio to the bare endpoint, non-2xx
answers and every "database is locked" seen by the writer or in the server logs.
Targets: ≥ 50% of bare rps, p99 < 50 ms, zero "database is locked".

The load generator is wrk (Debian package `wrk`) when installed, else an asyncio httpx
client in two processes (slower: it then measures the client as much as the server).

Run: python bench/web.py [--duration 12] [--rounds 3] [--connections 32] [--writes-per-second 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def _bare(request):
    return PlainTextResponse("ok")


bare_app = Starlette(routes=[Route("/bare", _bare)])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(target: str, port: int, env: dict, log: Path) -> subprocess.Popen:
    # Identical settings for both servers; no access log (it costs the same for both and
    # would dominate a bare endpoint).
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port",
               str(port), "--no-access-log", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)


def wait_up(url: str) -> None:
    import httpx

    deadline = time.monotonic() + 90  # a shared, busy machine starts a server slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"server did not start: {url}")


def seed(data_dir: Path) -> tuple[int, str]:
    os.environ["COMPASS_DATA_DIR"] = str(data_dir)
    from compass import clock, lifecycle, store
    from compass.intake import OrderInput
    from compass.tiers import get_tier

    db = store.open_database(data_dir / "compass.db")
    order = lifecycle.create_order(db, OrderInput(
        company_name="Bench Co", contact_name="B", email="bench@example.com",
        industry="Benchmarks", company_size="2-10",
        prompt="A company that exists to be measured, many times a second."),
        get_tier("premium"))
    lifecycle.transition(db, order["id"], "paid")
    lifecycle.transition(db, order["id"], "processing")
    store.orders.take_lease(db, order["id"], "bench-worker", now=clock.now_iso(),
                            expires_at="9999-12-31T00:00:00.000000Z")
    # A few measured runs, so estimates come from phase_durations as in production.
    store.orders.insert_phase_durations(db, order["id"], "premium",
                                        {"rewrite": 4, "research": 9, "sample": 40, "vote": 1,
                                         "proposal": 20, "review": 8})
    db.conn.close()
    return order["id"], order["public_id"]


def writer(db_path: str, order_id: int, rate: float, stop, result) -> None:
    """The worker's side: progress updates, each its own short write, counted."""
    import sqlite3

    from compass import clock, store

    db = store.connect(db_path)
    writes = locked = 0
    percent, phases = 0, ["rewrite", "research", "sample", "vote", "proposal", "review"]
    interval = 1 / rate
    next_at = time.monotonic()
    while not stop.is_set():
        percent = (percent + 1) % 100
        try:
            store.orders.write_progress(
                db, order_id, "bench-worker", percent=percent, phase=phases[percent % 6],
                label=f"Benchmark step {percent}", phase_started_at=clock.now_iso(),
                lease_expires_at="9999-12-31T00:00:00.000000Z")
            writes += 1
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                locked += 1
            else:
                raise
        next_at += interval
        time.sleep(max(0.0, next_at - time.monotonic()))
    result.put({"writes": writes, "locked": locked})


def run_wrk(url: str, connections: int, duration: int) -> dict:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {"rps": rps, "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": socket_errors.group(1) if socket_errors else "none"}


def _client_process(url: str, connections: int, duration: float, out) -> None:
    import httpx

    async def main() -> tuple[list[float], int]:
        latencies: list[float] = []
        bad = 0
        deadline = time.monotonic() + duration
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:
            async def loop() -> None:
                nonlocal bad
                while time.monotonic() < deadline:
                    start = time.perf_counter()
                    response = await client.get(url)
                    latencies.append((time.perf_counter() - start) * 1000)
                    bad += response.status_code != 200

            await asyncio.gather(*(loop() for _ in range(connections)))
        return latencies, bad

    out.put(asyncio.run(main()))


def run_python_client(url: str, connections: int, duration: int) -> dict:
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_client_process,
                                     args=(url, connections // 2, duration, queue))
             for _ in range(2)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    return {"rps": len(latencies) / duration, "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
            "non_2xx": sum(bad for _, bad in results), "socket_errors": "n/a"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=12, help="seconds per endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--writes-per-second", type=float, default=20.0)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="compass-bench-"))
    data_dir = workdir / "data"
    order_id, public_id = seed(data_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "ANTHROPIC_"))}
    env |= {"COMPASS_DATA_DIR": str(data_dir), "COMPASS_ENV": "development"}
    app_port, bare_port = free_port(), free_port()
    servers = [serve("app:app", app_port, env, workdir / "app.log"),
               serve("bench.web:bare_app", bare_port, env, workdir / "bare.log")]
    load = run_wrk if shutil.which("wrk") else run_python_client
    stop, result = multiprocessing.Event(), multiprocessing.Queue()
    worker = multiprocessing.Process(target=writer, args=(
        str(data_dir / "compass.db"), order_id, args.writes_per_second, stop, result))
    try:
        wait_up(f"http://127.0.0.1:{app_port}/healthz")
        wait_up(f"http://127.0.0.1:{bare_port}/bare")
        worker.start()
        targets = {
            "bare": f"http://127.0.0.1:{bare_port}/bare",
            "progress": f"http://127.0.0.1:{app_port}/status/{public_id}/progress",
            "api": f"http://127.0.0.1:{app_port}/api/orders/{public_id}/status",
        }
        for url in targets.values():
            load(url, args.connections, 2)  # warm-up
        # Interleaved rounds, median per endpoint: load from anything else on the machine
        # then hits all three alike instead of whichever endpoint ran during it.
        rounds: dict[str, list[dict]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, url in targets.items():
                rounds[name].append(load(url, args.connections,
                                         max(1, args.duration // args.rounds)))
        numbers = {name: {key: statistics.median(r[key] for r in runs) if key != "socket_errors"
                          else runs[-1][key] for key in runs[0]}
                   for name, runs in rounds.items()}
        stop.set()
        writes = result.get(timeout=30)
        worker.join()
    finally:
        stop.set()
        for server in servers:
            server.terminate()
            server.wait(10)
    logs = (workdir / "app.log").read_text()
    locked_in_logs = logs.count("database is locked")

    generator = "wrk" if load is run_wrk else "python httpx client"
    print(f"load generator: {generator}, {args.connections} connections, {args.duration} s each"
          f" in {args.rounds} interleaved rounds (medians);"
          f" worker writes {args.writes_per_second:g} progress updates/s")
    print(f"{'endpoint':<10}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'of bare':>9}{'non-2xx':>9}")
    bare_rps = numbers["bare"]["rps"]
    for name, row in numbers.items():
        print(f"{name:<10}{row['rps']:>10.0f}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}"
              f"{row['rps'] / bare_rps:>9.0%}{row['non_2xx']:>9}")
    print(f"progress writes: {writes['writes']}, 'database is locked': writer {writes['locked']},"
          f" server log {locked_in_logs}")
    summary = {"numbers": numbers, "writes": writes, "locked_in_logs": locked_in_logs,
               "generator": generator}
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "web.json").write_text(json.dumps(summary, indent=2))
    checks = []
    for name in ("progress", "api"):
        row = numbers[name]
        checks += [(f"{name} >= 50% of bare req/s", row["rps"] >= 0.5 * bare_rps),
                   (f"{name} p99 < 50 ms", row["p99_ms"] < 50),
                   (f"{name} no non-2xx answers", row["non_2xx"] == 0)]
    checks.append(('zero "database is locked"', writes["locked"] == 0 and locked_in_logs == 0))
    for target, met in checks:
        print(f"target: {target:<32} {'PASS' if met else 'MISS'}")
    ok = all(met for _, met in checks)
    print("targets met: PASS" if ok else "TARGETS MISSED: MISS")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
