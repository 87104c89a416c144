"""/metrics adds up what separate processes (web, worker) counted, and reads the business
numbers from the database at scrape time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from prometheus_client.parser import text_string_to_metric_families

from compass import store
from tests.factories import add_order

# One process's work: imports compass.metrics fresh, so multiprocess mode comes from the
# environment exactly as in the web and worker processes.
WORKER = textwrap.dedent("""
    import sys
    from compass import metrics
    requests, jobs, failures = (int(a) for a in sys.argv[1:4])
    for i in range(requests):
        metrics.observe_request("GET", "/status/{public_id}", 200, 0.02)
    metrics.observe_request("GET", "/status/{public_id}", 404, 0.2)
    metrics.observe_request("POST", "/orders", 303, 0.3)
    for i in range(jobs):
        with metrics.time_job("process_order"):
            pass
    try:
        with metrics.time_job("process_order"):
            raise TimeoutError
    except TimeoutError:
        pass
    for i in range(failures):
        metrics.email_failed("report_ready")
""")


def samples(body: bytes) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def run_process(metrics_dir, data_dir, *args: int) -> None:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
               COMPASS_DATA_DIR=str(data_dir))
    done = subprocess.run([sys.executable, "-c", WORKER, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_counters_and_histograms_sum_across_processes(tmp_path):
    from compass import metrics

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    run_process(metrics_dir, tmp_path, 7, 2, 1)  # "web"
    run_process(metrics_dir, tmp_path, 5, 3, 2)  # "worker"
    assert len(list(metrics_dir.glob("*.db"))) >= 2, "each process writes its own file"

    found = samples(metrics.render(multiproc_dir=metrics_dir)[0])
    status = ("compass_http_requests_total",
              (("method", "GET"), ("route", "/status/{public_id}"), ("status", "200")))
    assert found[status] == 12
    assert found[("compass_http_requests_total",
                  (("method", "POST"), ("route", "/orders"), ("status", "303")))] == 2
    assert found[("compass_http_requests_total",
                  (("method", "GET"), ("route", "/status/{public_id}"), ("status", "404")))] == 2
    # One latency histogram per route, whatever the status.
    route = (("method", "GET"), ("route", "/status/{public_id}"))
    assert found[("compass_http_request_duration_seconds_count", route)] == 14
    assert found[("compass_http_request_duration_seconds_sum", route)] == pytest.approx(0.64)
    for bound, count in (("0.01", 0), ("0.025", 12), ("0.1", 12), ("0.25", 14), ("+Inf", 14)):
        assert found[("compass_http_request_duration_seconds_bucket",
                      (("le", bound), *route))] == count
    assert found[("compass_job_duration_seconds_count",
                  (("outcome", "ok"), ("task", "process_order")))] == 5
    assert found[("compass_job_duration_seconds_count",
                  (("outcome", "TimeoutError"), ("task", "process_order")))] == 2
    assert found[("compass_email_failures_total", (("kind", "report_ready"),))] == 3


def test_reset_empties_the_directory_before_a_boot(tmp_path):
    from compass import metrics

    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    run_process(metrics_dir, tmp_path, 1, 0, 0)
    metrics.reset_multiproc_dir(metrics_dir)
    found = samples(metrics.render(multiproc_dir=metrics_dir)[0])
    assert not any(name.startswith("compass_http") for name, _ in found)


@pytest.fixture
def shop(db):
    for n in range(1, 5):
        add_order(db, n)
    # Two of the four paid orders move on.
    with store.transaction(db):
        store.orders.set_status(db, 1, from_status="paid", to_status="processing")
        store.orders.set_status(db, 2, from_status="paid", to_status="processing")
        store.orders.set_status(db, 2, from_status="processing", to_status="completed")
    return db


def test_database_numbers_are_read_at_scrape_time(shop, tmp_path):
    from compass import metrics

    db_path = tmp_path / "data" / "compass.db"
    empty = tmp_path / "empty-metrics"
    empty.mkdir()
    found = samples(metrics.render(db_path, multiproc_dir=empty)[0])
    orders = lambda status, tier="standard": found[  # noqa: E731
        ("compass_orders", (("status", status), ("tier", tier)))]
    assert orders("paid") == 2 and orders("processing") == 1 and orders("completed") == 1
    assert orders("failed") == 0 and orders("paid", "premium") == 0
    assert found[("compass_paid_cents_total", (("tier", "standard"),))] == 4 * 14900
    model = ("model", "claude-sonnet-5-5")
    assert found[("compass_ai_calls_total", (model, ("status", "ok")))] == 4
    assert found[("compass_ai_tokens_total", (("kind", "input"), model))] == sum(
        1200 + n for n in range(1, 5))
    assert found[("compass_ai_tokens_total", (("kind", "output"), model))] == 4 * 800
    assert found[("compass_ai_cost_usd_total", (model,))] == pytest.approx(
        sum(9000 + n for n in range(1, 5)) / 1e6)

    # The next scrape sees the next write, whichever process made it.
    add_order(shop, 5)
    found = samples(metrics.render(db_path, multiproc_dir=empty)[0])
    assert found[("compass_orders", (("status", "paid"), ("tier", "standard")))] == 3


def test_a_missing_database_is_not_an_error(tmp_path):
    from compass import metrics

    body, content_type = metrics.render(tmp_path / "nothing.db", multiproc_dir=tmp_path)
    assert content_type.startswith("text/plain")
    assert b"compass_orders" not in body
