"""What Litestream costs and how far behind it runs, under a steady stream of order writes.

Each "order write" is the transaction the spine makes when an order is paid: upsert the
customer, insert the order and two order_events rows and an ai_calls row (with a 600-byte
response), in one BEGIN IMMEDIATE … COMMIT, on a database migrated like production.

Three runs of the same writer at a steady rate:

    bare        no Litestream                              → write latency baseline
    replicated  `litestream replicate` with litestream.yml → write latency under replication
    lag         replicated, plus a reader restoring the replica over and over: for each
                order, the time from its COMMIT to the first restore that contains it

And the request side (`--http`): the real app under uvicorn on each data directory, with
and without Litestream, answering GET /api/orders/{id}/status (the JSON the status page
polls) from one client as fast as it can while the writer keeps writing orders.

The lag is an upper bound with the resolution of one restore (≈ 50–100 ms here): the row
was not in the restore started before, and was in the one started at the time counted.
The replica is a file replica, or S3 on a local moto server (`--target s3`), which adds a
real HTTP round trip per upload.

Run: python bench/replication.py [--seconds 15] [--rate 20] [--target file|s3|both] [--http]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from compass import clock, store  # noqa: E402
from tests.fakes.litestream_tools import (  # noqa: E402
    file_env,
    moto_s3,
    replicating,
    restore,
    s3_env,
)


def write_order(db, n: int) -> None:
    with store.transaction(db):
        customer = store.customers.upsert(
            db, email=f"owner{n}@example.com", name="Owner", company_name=f"Firm {n}",
            company_website="https://example.com", industry="retail", company_size="11-50")
        order_id = store.orders.insert(
            db, public_id=f"pub-{n:08d}", order_number=f"ORD-2026-{n:06d}",
            customer_id=customer, tier="standard", amount_cents=14900, currency="usd",
            input_json=json.dumps({"company_name": f"Firm {n}", "prompt": "x" * 400}))
        store.orders.add_event(db, order_id, None, "payment_pending", "created")
        store.orders.set_status(db, order_id, from_status="payment_pending", to_status="paid",
                                fields={"paid_at": clock.now_iso()})
        store.orders.add_event(db, order_id, "payment_pending", "paid", "checkout completed")
        store.ai_calls.record(db, store.ai_calls.AICall(
            run_id=f"order-{n}", phase="research", attempt=1, retry=0, perspective=None,
            provider="offline", model="claude-sonnet-5-5", request_hash=f"h{n}", status="ok",
            input_tokens=1200, output_tokens=800, cost_microusd=9000, latency_ms=1500,
            response_text="r" * 600, order_id=order_id))


class Writer(threading.Thread):
    """Writes orders at a steady rate; keeps each one's commit time and latency."""

    def __init__(self, db_path: Path, rate: float, seconds: float, first: int = 1):
        super().__init__(daemon=True)
        self.db_path, self.rate, self.seconds, self.first = db_path, rate, seconds, first
        self.committed: dict[int, float] = {}
        self.latencies: list[float] = []

    def run(self) -> None:
        db = store.connect(self.db_path)
        interval = 1 / self.rate
        start = time.monotonic()
        n = self.first
        while (due := start + (n - self.first) * interval) < start + self.seconds:
            time.sleep(max(0.0, due - time.monotonic()))
            began = time.perf_counter()
            write_order(db, n)
            self.latencies.append(time.perf_counter() - began)
            self.committed[n] = time.monotonic()
            n += 1
        db.conn.close()


class Restorer(threading.Thread):
    """Restores the replica in a loop and notes when each order first appears in it."""

    def __init__(self, db_path: Path, env: dict[str, str], workdir: Path):
        super().__init__(daemon=True)
        self.db_path, self.env, self.workdir = db_path, env, workdir
        self.seen: dict[int, float] = {}
        self.restore_seconds: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import sqlite3

        out = self.workdir / "restored.db"
        while not self.stop.is_set():
            started = time.monotonic()
            if restore(self.db_path, out, self.env):
                self.restore_seconds.append(time.monotonic() - started)
                conn = sqlite3.connect(out)
                for (number,) in conn.execute("SELECT order_number FROM orders"):
                    self.seen.setdefault(int(number[-6:]), started)
                conn.close()


def http_latency(data: Path, env: dict[str, str] | None, seconds: float, rate: float,
                 log: Path) -> list[float]:
    """Status-API request latencies while orders are written, Litestream running if `env`."""
    import contextlib
    import os
    import subprocess

    import httpx

    from tests.fakes.processes import free_port

    write_order(store.connect(data / "compass.db"), 1)
    port = free_port()
    server_env = {k: v for k, v in os.environ.items() if not k.startswith("PROMETHEUS_")}
    server_env |= {"COMPASS_DATA_DIR": str(data), "PROMETHEUS_MULTIPROC_DIR":
                   str(data / "metrics")}
    replica = replicating(env, log) if env else contextlib.nullcontext()
    latencies: list[float] = []
    with replica, open(log.with_suffix(".web.log"), "w") as web_log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "uvicorn"), "app:app", "--port", str(port),
             "--log-level", "warning"], cwd=ROOT, env=server_env, stdout=web_log,
            stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/api/orders/pub-00000001/status"
            with httpx.Client(timeout=5) as client:
                deadline = time.monotonic() + 20
                while True:
                    try:
                        if client.get(url).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "the app did not start"
                    time.sleep(0.1)
                writer = Writer(data / "compass.db", rate, seconds, first=2)
                writer.start()
                while writer.is_alive():
                    began = time.perf_counter()
                    assert client.get(url).status_code == 200
                    latencies.append(time.perf_counter() - began)
        finally:
            server.terminate()
            server.wait(10)
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(values: list[float]) -> str:
    return (f"p50 {pct(values, 50) * 1000:6.2f} ms  p95 {pct(values, 95) * 1000:6.2f} ms  "
            f"p99 {pct(values, 99) * 1000:6.2f} ms  max {max(values) * 1000:6.2f} ms")


def fresh(tmp: Path, name: str) -> Path:
    data = tmp / name
    store.open_database(data / "compass.db").conn.close()
    return data


def bench_target(target: str, seconds: float, rate: float, tmp: Path, endpoint: str | None
                 ) -> dict:
    def env_for(data: Path) -> dict[str, str]:
        if target == "s3":
            return s3_env(data, endpoint or "", "compass-backups", prefix=data.name)
        return file_env(data, tmp / f"replica-{data.name}")

    results: dict = {"target": target}
    data = fresh(tmp, f"{target}-bare")
    writer = Writer(data / "compass.db", rate, seconds)
    writer.start()
    writer.join()
    results["bare"] = writer.latencies

    data = fresh(tmp, f"{target}-replicated")
    with replicating(env_for(data), tmp / f"{target}-replicated.log"):
        time.sleep(1.5)  # past the first snapshot
        writer = Writer(data / "compass.db", rate, seconds)
        writer.start()
        writer.join()
    results["replicated"] = writer.latencies

    data = fresh(tmp, f"{target}-lag")
    env = env_for(data)
    with replicating(env, tmp / f"{target}-lag.log"):
        time.sleep(1.5)
        restorer = Restorer(data / "compass.db", env, tmp)
        writer = Writer(data / "compass.db", rate, seconds)
        restorer.start()
        writer.start()
        writer.join()
        deadline = time.monotonic() + 15
        while len(restorer.seen) < len(writer.committed) and time.monotonic() < deadline:
            time.sleep(0.1)
        restorer.stop.set()
        restorer.join()
    lags = [restorer.seen[n] - t for n, t in writer.committed.items() if n in restorer.seen]
    results["lag"] = [max(0.0, lag) for lag in lags]
    results["lag_missing"] = len(writer.committed) - len(lags)
    results["lag_run_latency"] = writer.latencies
    results["restore_seconds"] = restorer.restore_seconds
    return results


def report(results: dict, rate: float, seconds: float) -> None:
    target = results["target"]
    bare, replicated = results["bare"], results["replicated"]
    print(f"\n== {target} replica: {rate:g} order writes/s for {seconds:g} s "
          f"({len(bare)} writes per run)")
    print(f"write latency, no Litestream     {ms(bare)}")
    print(f"write latency, Litestream        {ms(replicated)}")
    cost = statistics.median(replicated) - statistics.median(bare)
    print(f"  median cost of replication: {cost * 1000:+.2f} ms per write transaction")
    print(f"write latency, Litestream+reader {ms(results['lag_run_latency'])}")
    print(f"replication lag (commit → restorable) {ms(results['lag'])}")
    print(f"  mean {statistics.mean(results['lag']):.3f} s; rows never seen: "
          f"{results['lag_missing']}; one restore took "
          f"{statistics.median(results['restore_seconds']) * 1000:.0f} ms (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rate", type=float, default=20, help="order writes per second")
    parser.add_argument("--target", choices=["file", "s3", "both"], default="both")
    parser.add_argument("--http", action="store_true",
                        help="also measure the status API's latency with and without Litestream")
    args = parser.parse_args()
    targets = ["file", "s3"] if args.target == "both" else [args.target]
    with tempfile.TemporaryDirectory(prefix="bench-replication-") as tmp_name:
        tmp = Path(tmp_name)
        for target in targets:
            if target == "s3":
                with moto_s3(tmp / "moto.log") as endpoint:
                    results = bench_target(target, args.seconds, args.rate, tmp, endpoint)
            else:
                results = bench_target(target, args.seconds, args.rate, tmp, None)
            report(results, args.rate, args.seconds)
        if args.http:
            bare = http_latency(fresh(tmp, "http-bare"), None, args.seconds, args.rate,
                                tmp / "http-bare.log")
            data = fresh(tmp, "http-replicated")
            replicated = http_latency(data, file_env(data, tmp / "replica-http"), args.seconds,
                                      args.rate, tmp / "http-replicated.log")
            print(f"\n== GET /api/orders/{{id}}/status while {args.rate:g} orders/s are written"
                  f" ({len(bare)} / {len(replicated)} requests)")
            print(f"no Litestream  {ms(bare)}")
            print(f"Litestream     {ms(replicated)}")
            cost = statistics.median(replicated) - statistics.median(bare)
            print(f"  median cost: {cost * 1000:+.2f} ms per request")


if __name__ == "__main__":
    main()
