"""deploy/entrypoint.sh run for real with a temporary data directory: it restores from the
replica when the volume is empty, leaves a volume that has data alone, migrates, and runs
the app under `litestream replicate -exec` (here a small script standing in for honcho)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from compass import store
from tests.fakes.litestream_tools import (
    BIN,
    CONFIG,
    ROOT,
    file_env,
    litestream,
    moto_s3,
    s3_env,
)

pytestmark = pytest.mark.timeout(60)
ENTRYPOINT = ROOT / "deploy" / "entrypoint.sh"

# Stands in for `honcho start`: records what it found at boot, writes one row, and exits
# once that row can be restored from the replica (so each run is as short as possible).
APP = textwrap.dedent("""
    import json, os, sqlite3, subprocess, sys, tempfile, time
    marker, report = sys.argv[1], sys.argv[2]
    data = os.environ["COMPASS_DATA_DIR"]
    db = sqlite3.connect(os.path.join(data, "compass.db"), isolation_level=None)
    db.execute("PRAGMA busy_timeout = 5000")
    seen = [r[0] for r in db.execute("SELECT email FROM customers ORDER BY id")]
    version = db.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    db.execute("INSERT INTO customers (email, created_at, updated_at) VALUES (?, 'x', 'x')",
               (marker,))
    json.dump({"seen": seen, "version": version, "ca_bundle": os.environ.get("AWS_CA_BUNDLE"),
               "metrics_dir": os.environ.get("PROMETHEUS_MULTIPROC_DIR")}, open(report, "w"))
    deadline = time.monotonic() + 20
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "check.db")
        while time.monotonic() < deadline:
            subprocess.run([os.environ["LITESTREAM"], "restore", "-config",
                            os.environ["LITESTREAM_CONFIG"], "-if-replica-exists", "-o", out,
                            os.path.join(data, "compass.db")], capture_output=True)
            if os.path.exists(out):
                check = sqlite3.connect(out)
                found = check.execute("SELECT 1 FROM customers WHERE email = ?", (marker,))
                if found.fetchone():
                    sys.exit(0)
                check.close()
                os.unlink(out)
            time.sleep(0.1)
    sys.exit("the row never reached the replica")
""")


def boot(env: dict[str, str], tmp_path, marker: str, *, wait: bool = True
         ) -> tuple[subprocess.CompletedProcess, dict]:
    script = tmp_path / "app.py"
    script.write_text(APP if wait else APP.replace("deadline = time.monotonic() + 20",
                                                   "sys.exit(0)"))
    report = tmp_path / f"{marker}.json"
    # compass.metrics exports PROMETHEUS_MULTIPROC_DIR into this test process when any
    # earlier test imported it; the entrypoint must choose its own.
    env = {k: v for k, v in env.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env = env | {"LITESTREAM": litestream(), "LITESTREAM_CONFIG": str(CONFIG),
                 "COMPASS": str(BIN / "compass"),
                 "COMPASS_APP_CMD": f"{sys.executable} {script} {marker} {report}"}
    done = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env=env, capture_output=True,
                          text=True, timeout=50, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads(report.read_text())


def test_restores_an_empty_volume_and_leaves_a_full_one_alone(tmp_path):
    data = tmp_path / "data"
    with moto_s3(tmp_path / "moto.log") as endpoint:
        # As on these build machines: Litestream must run without AWS_CA_BUNDLE.
        env = s3_env(data, endpoint, "compass-backups") | {
            "AWS_CA_BUNDLE": "/etc/ssl/certs/ca-certificates.crt"}

        # First boot ever: nothing to restore, migrate, replicate the first row.
        done, seen = boot(env, tmp_path, "first@example.com")
        assert "compass.db: no replica yet; starting empty" in done.stderr
        assert seen["seen"] == []
        assert seen["version"] == len(store.available_migrations())
        assert seen["ca_bundle"] is None
        assert seen["metrics_dir"] == str(data / "metrics")

        # The machine is replaced and the volume is new: restore before the app starts.
        for path in sorted(data.glob("**/*"), reverse=True):
            path.unlink() if path.is_file() else path.rmdir()
        data.rmdir()
        done, seen = boot(env, tmp_path, "second@example.com")
        assert "compass.db restored" in done.stderr
        assert seen["seen"] == ["first@example.com"]

        # A restart on the same volume: whatever is on it wins, even rows the replica lacks.
        db = store.connect(data / "compass.db")
        db.conn.execute("INSERT INTO customers (email, created_at, updated_at)"
                        " VALUES ('local-only@example.com', 'x', 'x')")
        db.conn.close()
        done, seen = boot(env, tmp_path, "third@example.com")
        assert "compass.db present on the volume; not restoring" in done.stderr
        assert seen["seen"] == ["first@example.com", "second@example.com",
                                "local-only@example.com"]


def test_production_refuses_to_run_without_a_replica(tmp_path):
    env = file_env(tmp_path / "data", tmp_path / "replica")
    del env["LITESTREAM_REPLICA_URL"]
    env |= {"COMPASS_ENV": "production", "LITESTREAM": litestream(),
            "COMPASS": str(BIN / "compass"), "COMPASS_APP_CMD": "true"}
    done = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 64
    assert "no replica is configured" in done.stderr


def test_development_without_a_replica_runs_the_app_directly(tmp_path):
    env = file_env(tmp_path / "data", tmp_path / "replica")
    del env["LITESTREAM_REPLICA_URL"]
    marker = tmp_path / "ran"
    env |= {"COMPASS": str(BIN / "compass"), "COMPASS_APP_CMD": f"touch {marker}"}
    done = subprocess.run(["/bin/sh", str(ENTRYPOINT)], env=env, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert marker.exists()
    assert "running without backups" in done.stderr
    assert (tmp_path / "data" / "compass.db").exists()


def test_tigris_bucket_name_becomes_the_replica_url(tmp_path):
    # `fly storage create` sets BUCKET_NAME (and the endpoint); nothing else is needed.
    with moto_s3(tmp_path / "moto.log", bucket="tigris-bucket") as endpoint:
        env = s3_env(tmp_path / "data", endpoint, "unused")
        del env["LITESTREAM_REPLICA_URL"]
        env["BUCKET_NAME"] = "tigris-bucket"
        done, _ = boot(env, tmp_path, "tigris@example.com", wait=False)
    assert "replicating to s3://tigris-bucket/compass" in done.stderr


def test_a_staged_point_in_time_restore_replaces_the_database_at_boot(tmp_path):
    import datetime as dt
    import time

    from tests.factories import queue_with_tasks
    from tests.fakes.litestream_tools import restore, rows, run

    data = tmp_path / "data"
    env = file_env(data, tmp_path / "replica")
    db = store.open_database(data / "compass.db")
    queue_with_tasks(data / "queue.db", 1)

    def customer_replicated(email: str) -> None:
        db.conn.execute("INSERT INTO customers (email, created_at, updated_at)"
                        " VALUES (?, 'x', 'x')", (email,))
        done = run(["replicate", "-once", "-config", str(CONFIG)], env)
        assert done.returncode == 0, done.stderr

    customer_replicated("before@example.com")
    time.sleep(1.1)  # replica timestamps have one-second resolution
    moment = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    time.sleep(1.1)
    customer_replicated("mistake@example.com")
    db.conn.close()

    # The operator restores the moment before the mistake into restore/, then restarts.
    (data / "restore").mkdir()
    done = run(["restore", "-config", str(CONFIG), "-timestamp", moment, "-o",
                str(data / "restore" / "compass.db"), str(data / "compass.db")], env)
    assert done.returncode == 0, done.stderr
    done, seen = boot(env, tmp_path, "after@example.com")
    assert "compass.db replaced by the staged restore" in done.stderr
    assert seen["seen"] == ["before@example.com"]
    kept = list(data.glob("compass.db.before-restore-*"))
    assert len(kept) == 1 and "mistake@example.com" in str(rows(kept[0])["customers"])
    assert not (data / "restore" / "compass.db").exists()

    # The replica now continues from the restored database, not the old history.
    out = tmp_path / "latest.db"
    assert restore(data / "compass.db", out, env)
    emails = [r[1] for r in rows(out)["customers"]]
    assert emails == ["before@example.com", "after@example.com"]
