"""A real Litestream replicates both databases (file replica, and S3 on a local moto server)
and a restore gives back every row, including rows written while it was running."""

from __future__ import annotations

import pytest

from compass import store
from tests.factories import add_order, queue_with_tasks
from tests.fakes.litestream_tools import (
    CONFIG,
    file_env,
    moto_s3,
    replicating,
    restore,
    rows,
    run,
    s3_env,
    wait_restorable,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(params=["file", "s3"])
def replica_env(request, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    if request.param == "file":
        yield file_env(data, tmp_path / "replica")
    else:
        with moto_s3(tmp_path / "moto.log") as endpoint:
            yield s3_env(data, endpoint, "compass-backups")


def test_replica_restores_every_row_of_both_databases(replica_env, tmp_path):
    data = tmp_path / "data"
    db = store.open_database(data / "compass.db")
    for n in range(1, 21):
        add_order(db, n)
    queue_with_tasks(data / "queue.db", 5)

    with replicating(replica_env, tmp_path / "litestream.log"):
        # Written while Litestream runs: shipped as incremental LTX files, not the snapshot.
        for n in range(21, 41):
            add_order(db, n)
        queue_with_tasks(data / "queue.db", 3)
        restored = tmp_path / "restored.db"
        wait_restorable(data / "compass.db", restored, replica_env,
                        lambda r: len(r["orders"]) == 40)
    db.conn.close()

    # After the final sync, the restored copy equals the live database row for row.
    for name in ("compass.db", "queue.db"):
        out = tmp_path / f"restored-{name}"
        assert restore(data / name, out, replica_env), (tmp_path / "litestream.log").read_text()
        live, copy = rows(data / name), rows(out)
        assert copy == live, f"{name} differs after restore"
    assert len(rows(tmp_path / "restored-compass.db")["ai_calls"]) == 40
    assert len(rows(tmp_path / "restored-queue.db")["task"]) == 8


def test_s3_replica_lands_in_the_bucket_under_the_prefix(tmp_path):
    import httpx

    data = tmp_path / "data"
    db = store.open_database(data / "compass.db")
    add_order(db, 1)
    db.conn.close()
    queue_with_tasks(data / "queue.db", 1)
    with moto_s3(tmp_path / "moto.log", bucket="fly-tigris") as endpoint:
        env = s3_env(data, endpoint, "fly-tigris", prefix="prod/compass")
        done = run(["replicate", "-once", "-config", str(CONFIG)], env)
        assert done.returncode == 0, done.stderr
        listing = httpx.get(f"{endpoint}/fly-tigris?list-type=2&prefix=prod/compass/").text
    assert "<Key>prod/compass/compass.db/" in listing
    assert "<Key>prod/compass/queue.db/" in listing


def test_one_replica_per_database_is_what_the_config_declares():
    # Litestream 0.5 rejects `replicas:` lists with more than one entry; the config uses the
    # singular form for each store.
    text = CONFIG.read_text()
    assert "replicas:" not in text
    assert text.count("replica:") == 2
