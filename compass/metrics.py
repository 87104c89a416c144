"""Prometheus metrics that add up correctly with web and worker as separate processes.

Two kinds of numbers:
- what happens inside a process (requests and their latency, job durations, email send
  failures): prometheus-client counters and histograms in multiprocess mode, each process
  writing its own memory-mapped file under $COMPASS_DATA_DIR/metrics, summed at scrape;
- what the database already knows (orders by status, AI calls, tokens and cost, revenue):
  read from SQLite at scrape time by `DatabaseCollector`, so they are right after a
  restart, whichever process did the work, and cost nothing on the hot path.

Multiprocess mode is chosen when prometheus-client is first imported, so this module sets
PROMETHEUS_MULTIPROC_DIR before importing it. The directory must be emptied before the
processes start (deploy/entrypoint.sh does); never while they run.
"""

from __future__ import annotations

import atexit
import math
import os
import threading
import time
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from compass import store


def _multiproc_dir() -> Path:
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if configured:
        path = Path(configured)
    else:
        # Settings() rather than get_settings(): metrics must not refuse to load over a
        # missing production secret (the web's own start-up check reports that).
        from compass.settings import Settings

        path = (Settings().COMPASS_DATA_DIR / "metrics").resolve()
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    return path


MULTIPROC_DIR = _multiproc_dir()

from prometheus_client import (  # noqa: E402 - after PROMETHEUS_MULTIPROC_DIR is set
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

if values.ValueClass is values.MutexValue:
    # prometheus-client was imported before this module: switch to multiprocess values
    # now, before any metric below is created.
    values.ValueClass = values.get_value_class()

ORDER_STATUSES = ("payment_pending", "paid", "processing", "completed", "failed", "refunded",
                  "expired")
TIER_NAMES = ("starter", "standard", "premium")

HTTP_REQUESTS = Counter(
    "compass_http_requests", "HTTP requests answered, by route template and status.",
    ["method", "route", "status"])
_LATENCY_BOUNDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf)
HTTP_LATENCY = Histogram(
    "compass_http_request_duration_seconds", "Time to answer an HTTP request.",
    ["method", "route"], buckets=_LATENCY_BOUNDS)
JOB_DURATION = Histogram(
    "compass_job_duration_seconds", "Time a background job ran, by task and outcome.",
    ["task", "outcome"],
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600))
EMAIL_FAILURES = Counter(
    "compass_email_failures", "Email send attempts that failed (each retry counts).",
    ["kind"])


class _RequestTally:
    """Requests counted in memory and written to the shared files at most once a second.

    Every write to a multiprocess metric takes a lock, checks the pid and packs into the
    memory-mapped file: three of them per request cost the status polls more than
    answering them did (bench/web.py). Summed here, each label set is written once per
    interval, at scrape (`render`) and when the process exits.
    """

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        # (method, route, status) -> [count, sum of seconds, count per bucket of
        # _LATENCY_BOUNDS]: one lookup per request; flush() sums the latencies per route.
        self._tallies: dict[tuple[str, str, int], list[float]] = {}
        self._flush_at = time.monotonic() + interval

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        with self._lock:
            tally = self._tallies.get(key)
            if tally is None:
                tally = self._tallies[key] = [0.0] * (len(_LATENCY_BOUNDS) + 2)
            tally[0] += 1
            tally[1] += seconds
            # Prometheus buckets: the first upper bound >= the value.
            tally[2 + bisect_left(_LATENCY_BOUNDS, seconds)] += 1
        if time.monotonic() >= self._flush_at:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            tallies, self._tallies = self._tallies, {}
            self._flush_at = time.monotonic() + self.interval
        latencies: dict[tuple[str, str], list[float]] = {}
        for (method, route, status), tally in tallies.items():
            HTTP_REQUESTS.labels(method, route, str(status)).inc(tally[0])
            summed = latencies.setdefault((method, route), [0.0] * (len(_LATENCY_BOUNDS) + 1))
            for index, value in enumerate(tally[1:]):
                summed[index] += value
        for latency_labels, latency in latencies.items():
            child = HTTP_LATENCY.labels(*latency_labels)
            # Histogram.observe takes one value; these are its own sum and bucket values
            # (prometheus-client is pinned; tests/test_ops_metrics.py reads them back).
            child._sum.inc(latency[0])
            for bucket, observed in zip(child._buckets, latency[1:], strict=True):
                if observed:
                    bucket.inc(observed)


_REQUESTS = _RequestTally()
atexit.register(_REQUESTS.flush)


# One answered request: observe_request(method, route, status, seconds), where `route` is
# the template ("/status/{public_id}"), never the URL. The tally's own method: a function
# around it would cost every request one more call.
observe_request = _REQUESTS.add


@contextmanager
def time_job(task: str) -> Iterator[None]:
    """Time a job; the outcome label is "ok" or the exception's class name."""
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        JOB_DURATION.labels(task, outcome).observe(time.perf_counter() - started)


def email_failed(kind: str) -> None:
    EMAIL_FAILURES.labels(kind).inc()


class DatabaseCollector(Collector):
    """Business numbers read from SQLite at scrape time (read-only, one short transaction)."""

    def __init__(self, db_path: str | Path):
        self.db_path = Path(db_path)

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        if not self.db_path.exists():
            return
        conn = store.open_readonly(self.db_path, timeout=2)
        try:
            tables = store.metrics.relations(conn)
            if "orders" in tables:
                yield from self._orders(conn, tables)
            if "ai_calls" in tables:
                yield from self._ai_calls(conn)
            if "ai_incidents" in tables:
                open_now, held = store.metrics.ai_outage(conn)
                # Alert on the first: the API refuses our key or spend limit (compass.outage).
                yield GaugeMetricFamily("compass_ai_incident_open",
                                        "1 while the AI service refuses our calls.",
                                        value=open_now)
                yield GaugeMetricFamily("compass_orders_held",
                                        "Paid orders held until the AI service takes calls.",
                                        value=held)
            if "emails" in tables:
                yield from self._emails(conn)
        finally:
            conn.close()

    def _orders(self, conn: store.ReadOnly, tables: set[str]) -> Iterator:
        by_status = GaugeMetricFamily("compass_orders", "Orders by current status and tier.",
                                      labels=["status", "tier"])
        counts = {(status, tier): 0 for status in ORDER_STATUSES for tier in TIER_NAMES}
        for status, tier, n in store.metrics.orders_by_status_and_tier(conn):
            counts[(status, tier)] = n
        for (status, tier), n in sorted(counts.items()):
            by_status.add_metric([status, tier], n)
        yield by_status

        paid = CounterMetricFamily("compass_paid_cents", "Money taken, in cents, by tier.",
                                   labels=["tier"])
        for tier, cents in store.metrics.paid_cents_by_tier(conn):
            paid.add_metric([tier], cents)
        yield paid

        if "orders_needing_attention" in tables:
            stuck = store.metrics.orders_needing_attention(conn)
            yield GaugeMetricFamily("compass_orders_needing_attention",
                                    "Orders the reconciler or the operator should look at.",
                                    value=stuck)

    def _ai_calls(self, conn: store.ReadOnly) -> Iterator:
        calls = CounterMetricFamily("compass_ai_calls", "Model calls, by model and outcome.",
                                    labels=["model", "status"])
        tokens = CounterMetricFamily("compass_ai_tokens", "Tokens billed, by model and kind.",
                                     labels=["model", "kind"])
        cost = CounterMetricFamily("compass_ai_cost_usd", "Model spend in US dollars.",
                                   labels=["model"])
        latency = CounterMetricFamily("compass_ai_call_latency_seconds",
                                      "Summed model call latency (divide by calls for a mean).",
                                      labels=["model"])
        rows = store.metrics.ai_call_totals(conn)
        per_model: dict[str, list[int]] = {}
        for model, status, n, t_in, t_out, t_cr, t_cw, micro, ms in rows:
            calls.add_metric([model, status], n)
            totals = per_model.setdefault(model, [0, 0, 0, 0, 0, 0])
            for index, value in enumerate((t_in, t_out, t_cr, t_cw, micro, ms)):
                totals[index] += value or 0
        for model, (t_in, t_out, t_cr, t_cw, micro, ms) in sorted(per_model.items()):
            for kind, value in (("input", t_in), ("output", t_out), ("cache_read", t_cr),
                                ("cache_write", t_cw)):
                tokens.add_metric([model, kind], value)
            cost.add_metric([model], micro / 1_000_000)
            latency.add_metric([model], ms / 1000)
        yield from (calls, tokens, cost, latency)

    def _emails(self, conn: store.ReadOnly) -> Iterator:
        emails = GaugeMetricFamily("compass_emails", "Email messages by kind and status.",
                                   labels=["kind", "status"])
        for kind, status, n in store.metrics.emails_by_kind_and_status(conn):
            emails.add_metric([kind, status], n)
        yield emails


def render(db_path: str | Path | None = None, *,
           multiproc_dir: str | Path | None = None) -> tuple[bytes, str]:
    """The /metrics body (all processes' metrics plus the database's) and its content type."""
    _REQUESTS.flush()  # this process's latest requests; the others' are at most 1 s old
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir or MULTIPROC_DIR))
    if db_path is not None:
        registry.register(DatabaseCollector(db_path))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def reset_multiproc_dir(path: str | Path | None = None) -> None:
    """Empty the directory: only before the processes start (a running one would lose its file)."""
    directory = Path(path) if path else MULTIPROC_DIR
    directory.mkdir(parents=True, exist_ok=True)
    for entry in directory.glob("*.db"):
        entry.unlink(missing_ok=True)
