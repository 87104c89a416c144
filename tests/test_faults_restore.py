"""Report PDFs are not in the backup (Litestream ships the database, not the files): a
download that finds no PDF has a job make it and waits briefly; `backup-verify` fails when
a completed order's report could not be served; and after the data directory is deleted
and restored from the replica, every completed order's PDF downloads (real processes)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time

import httpx
import pytest

from compass import cli, documents, store
from compass import queue as work
from compass.settings import get_settings
from compass.web import reports as report_pages
from tests.factories import checkout_paid_order, complete_with, engine_result, queue_with_tasks
from tests.fakes.delivery import place_paid_order
from tests.fakes.litestream_tools import CONFIG, file_env, restore, run
from tests.fakes.processes import procfile_stack, tail
from tests.fakes.web_app import db_of, web_client


def completed(db, tier: str = "starter") -> dict:
    order = checkout_paid_order(db, tier)
    return complete_with(db, order, engine_result(db, tier))


def test_a_missing_pdf_is_rebuilt_by_a_job_and_served(tmp_path):
    with web_client() as (client, _queue):
        db = db_of(client)
        order = completed(db)
        path = documents.current_report_pdf(order, get_settings())
        original = path.read_bytes()
        path.unlink()  # lost: say, a restore brought the row back but not the file
        requested = []

        def render_job(order_id: int) -> None:
            requested.append(order_id)
            documents.rebuild_report_pdf(db, order_id, get_settings())

        with work.replaced(render_report=render_job):
            response = client.get(f"/orders/{order['public_id']}/download")
        # The same version, rebuilt in place: no new version row, nothing else changed.
        assert [v["version"] for v in store.reports.versions(db, order["id"])] == [1]
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert requested == [order["id"]]
    assert path.is_file() and len(path.read_bytes()) == pytest.approx(len(original), rel=0.05)


def test_a_pdf_not_ready_yet_is_announced_truthfully_not_a_503(monkeypatch):
    monkeypatch.setattr(report_pages, "PDF_WAIT_SECONDS", 0.5)
    with web_client() as (client, _queue):
        db = db_of(client)
        order = completed(db)
        documents.current_report_pdf(order, get_settings()).unlink()
        requested = []
        with work.replaced(render_report=requested.append):
            first = client.get(f"/orders/{order['public_id']}/download")
            again = client.get(f"/orders/{order['public_id']}/download")
    for response in (first, again):
        assert response.status_code == 202 and response.headers["retry-after"] == "5"
        assert "being prepared" in response.text
    assert requested == [order["id"]]  # one job, however often the page reloads


@pytest.fixture
def replica(tmp_path, monkeypatch):
    data = tmp_path / "data"
    queue_with_tasks(data / "queue.db", 1)  # backup-verify checks both databases
    env = file_env(data, tmp_path / "replica")
    monkeypatch.setenv("LITESTREAM_REPLICA_URL", env["LITESTREAM_REPLICA_URL"])
    monkeypatch.setenv("LITESTREAM_CONFIG", str(CONFIG))
    monkeypatch.setenv("PATH", env["PATH"])
    return lambda: run(["replicate", "-once", "-config", str(CONFIG)], env)


def reports_of(capsys) -> list[dict]:
    out = capsys.readouterr().out
    return json.loads(out[out.index("[\n"):])  # after any log lines


@pytest.mark.timeout(120)
def test_backup_verify_fails_when_a_completed_orders_report_cannot_be_served(
        db, replica, capsys):
    good, lost = completed(db), completed(db)
    documents.current_report_pdf(lost, get_settings()).unlink()  # rebuildable: fine
    assert replica().returncode == 0
    assert cli.main(["backup-verify", "--json"]) == 0
    compass_db = reports_of(capsys)[0]
    assert compass_db["ok"], compass_db
    assert any("1 completed order(s) have no PDF on disk" in n for n in compass_db["notes"])

    # A completed order whose PDF is gone and whose stored result no longer builds one.
    broken = completed(db)
    documents.current_report_pdf(broken, get_settings()).unlink()
    db.execute("UPDATE orders SET result_json = '{\"version\": 1}' WHERE id = ?", [broken["id"]])
    assert replica().returncode == 0
    assert cli.main(["backup-verify", "--json"]) == 1
    compass_db = reports_of(capsys)[0]
    [problem] = compass_db["problems"]
    assert problem.startswith(f"order {broken['order_number']}: report cannot be served")
    assert good["order_number"] not in problem


@pytest.mark.timeout(300)
def test_data_dir_deleted_and_restored_every_completed_pdf_downloads(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    data = first / "data"
    env = file_env(data, tmp_path / "replica")
    with procfile_stack(first) as (base, logs), \
            httpx.Client(base_url=base, timeout=30) as client:
        ids = [place_paid_order(client, tier) for tier in ("starter", "standard", "premium")]
        deadline = time.monotonic() + 240

        def served(public_id: str) -> bool:
            status = client.get(f"/api/orders/{public_id}/status").json()["status"]
            return status == "completed" and client.get(
                f"/orders/{public_id}/download").content.startswith(b"%PDF-")

        while not all(served(i) for i in ids):
            assert time.monotonic() < deadline, tail(logs)
            time.sleep(1)
    assert run(["replicate", "-once", "-config", str(CONFIG)], env).returncode == 0
    shutil.rmtree(data)  # the machine's volume is gone
    (second / "data").mkdir()
    assert restore(data / "compass.db", second / "data" / "compass.db", env)
    conn = sqlite3.connect(second / "data" / "compass.db")
    assert conn.execute("SELECT count(*) FROM orders WHERE status = 'completed'"
                        ).fetchone()[0] == 3
    conn.close()

    with procfile_stack(second) as (base, logs), \
            httpx.Client(base_url=base, timeout=30) as client:
        statuses, took = [], []
        for public_id in ids:
            started = time.monotonic()
            while True:
                response = client.get(f"/orders/{public_id}/download")
                statuses.append(response.status_code)
                if response.status_code == 200:
                    assert response.content.startswith(b"%PDF-")
                    break
                assert response.status_code == 202, response.text
                assert time.monotonic() - started < 60, tail(logs)
                time.sleep(float(response.headers.get("retry-after", "5")))
            took.append(time.monotonic() - started)
    assert set(statuses) <= {200, 202}
    print(f"PDFs served {[f'{t:.1f}' for t in took]} s after the first request; "
          f"statuses {statuses}")
