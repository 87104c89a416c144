"""`compass backup-verify`: restores the replica, checks integrity, compares row counts
with the live database and reports how far behind the replica is."""

from __future__ import annotations

import json

import pytest

from compass import cli, store
from tests.factories import add_order, queue_with_tasks
from tests.fakes.litestream_tools import CONFIG, file_env, litestream, run

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def replicated(tmp_path, monkeypatch):
    """A live data directory with a file replica, synced once; yields (db, env)."""
    data = tmp_path / "data"
    db = store.open_database(data / "compass.db")
    for n in range(1, 6):
        add_order(db, n)
    queue_with_tasks(data / "queue.db", 2)
    env = file_env(data, tmp_path / "replica")
    monkeypatch.setenv("LITESTREAM_REPLICA_URL", env["LITESTREAM_REPLICA_URL"])
    monkeypatch.setenv("LITESTREAM_CONFIG", str(CONFIG))
    monkeypatch.setenv("PATH", env["PATH"])
    monkeypatch.setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    sync = lambda: run(["replicate", "-once", "-config", str(CONFIG)], env)  # noqa: E731
    assert sync().returncode == 0
    yield db, sync
    db.conn.close()


def verify_json(capsys, *extra: str) -> tuple[int, list[dict]]:
    code = cli.main(["backup-verify", "--json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_an_up_to_date_replica_passes(replicated, capsys):
    code, reports = verify_json(capsys)
    assert code == 0
    compass, queue = reports
    assert compass["ok"] and queue["ok"]
    assert compass["integrity"] == "ok" and compass["restored"]
    counts = {t["table"]: (t["live_rows"], t["replica_rows"]) for t in compass["tables"]}
    assert counts["orders"] == (5, 5)
    assert counts["ai_calls"] == (5, 5)
    assert counts["schema_migrations"][0] == len(store.available_migrations())
    assert compass["lag_seconds"] == 0
    assert compass["replica_txid"] == compass["local_txid"]
    assert {t["table"] for t in queue["tables"]} >= {"task"}
    assert not any(t["table"].startswith("_litestream") for t in compass["tables"])


def test_a_replica_behind_the_live_data_is_reported_and_fails_past_max_lag(replicated, capsys):
    db, _sync = replicated
    for n in range(6, 9):
        add_order(db, n)  # not replicated: Litestream is not running

    code, reports = verify_json(capsys)
    compass = reports[0]
    assert code == 0, "a few seconds behind is within the default max lag"
    counts = {t["table"]: (t["live_rows"], t["replica_rows"]) for t in compass["tables"]}
    assert counts["orders"] == (8, 5)
    assert compass["lag_seconds"] > 0

    code, reports = verify_json(capsys, "--max-lag", "0")
    assert code == 1
    assert any("behind the live data" in p for p in reports[0]["problems"])


def test_catching_up_clears_the_lag(replicated, capsys):
    db, sync = replicated
    add_order(db, 6)
    assert sync().returncode == 0
    code, reports = verify_json(capsys, "--max-lag", "0")
    assert code == 0, reports
    counts = {t["table"]: (t["live_rows"], t["replica_rows"]) for t in reports[0]["tables"]}
    assert counts["orders"] == (6, 6)


def test_the_text_report_names_each_table(replicated, capsys):
    assert cli.main(["backup-verify"]) == 0
    out = capsys.readouterr().out
    assert "compass.db: OK" in out and "queue.db: OK" in out
    assert "integrity_check: ok" in out
    assert "lag behind live data: 0.0 s" in out
    assert "orders" in out and "customers" in out


def test_without_a_replica_it_says_what_to_set(tmp_path, monkeypatch, capsys):
    litestream()  # skips cleanly if the binary is missing
    monkeypatch.delenv("LITESTREAM_REPLICA_URL", raising=False)
    monkeypatch.delenv("BUCKET_NAME", raising=False)
    assert cli.main(["backup-verify"]) == 2
    assert "LITESTREAM_REPLICA_URL" in capsys.readouterr().err


def test_a_missing_backup_is_a_failure(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    store.open_database(data / "compass.db").conn.close()
    monkeypatch.setenv("LITESTREAM_REPLICA_URL", f"file://{tmp_path / 'empty-replica'}")
    monkeypatch.setenv("LITESTREAM_CONFIG", str(CONFIG))
    monkeypatch.setenv("PATH", file_env(data, tmp_path)["PATH"])
    code, reports = verify_json(capsys)
    assert code == 1
    assert not reports[0]["restored"]
    assert reports[0]["problems"]
