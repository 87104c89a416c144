import threading

from compass import store


def test_pragmas_on_every_connection(tmp_path):
    db = store.connect(tmp_path / "x.db")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == store.BUSY_TIMEOUT_MS


def test_migrations_apply_once_in_order(tmp_path):
    db = store.connect(tmp_path / "x.db")
    first = store.migrate(db)
    assert [m.version for m in first] == list(range(1, len(first) + 1))
    assert store.migrate(db) == []
    assert store.pending_migrations(db) == []
    assert {"orders", "customers", "ai_calls"} <= set(db.table_names())


def test_two_processes_migrating_at_once_do_not_collide(tmp_path):
    # A fresh file each round: the race is at the first switch to WAL (it answered
    # "database is locked" without waiting, about one round in twenty).
    errors: list[Exception] = []

    def migrate(path) -> None:
        try:
            store.migrate(store.connect(path))
        except Exception as error:  # the assertion below reports it
            errors.append(error)

    for round_ in range(10):
        path = tmp_path / f"x{round_}.db"
        threads = [threading.Thread(target=migrate, args=(path,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
    versions = [row[0] for row in store.connect(path).execute(
        "SELECT version FROM schema_migrations")]
    assert versions == sorted(set(versions))


def test_transaction_rolls_back_on_error(db):
    try:
        with store.transaction(db):
            db.execute("INSERT INTO customers (email, created_at, updated_at) "
                       "VALUES ('a@b.co', 'x', 'x')")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db["customers"].count == 0


def test_constraints_hold(db):
    import sqlite3

    import pytest

    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO customers (email, created_at, updated_at) "
                   "VALUES ('Upper@Case.com', 'x', 'x')")


def test_ledger_reuses_answered_calls_of_the_same_run_never_errors(db):
    call = store.ai_calls.AICall(run_id="r1", phase="rewrite", attempt=1, retry=0, perspective=None,
                                 provider="offline", model="m", request_hash="h", status="error",
                                 response_text=None)
    store.ai_calls.record(db, call)
    assert store.ai_calls.reusable_response(db, "r1", "h", 1, 0) is None  # nothing was answered
    # An answer QA rejected was paid for: a resumed run reads it back (and retries as before).
    call.status, call.response_text = "invalid", "{bad"
    store.ai_calls.record(db, call)
    assert store.ai_calls.reusable_response(db, "r1", "h", 1, 0)["response_text"] == "{bad"
    call.status, call.response_text = "ok", "{}"
    store.ai_calls.record(db, call)
    assert store.ai_calls.reusable_response(db, "r1", "h", 1, 0)["response_text"] == "{}"
    assert store.ai_calls.reusable_response(db, "r2", "h", 1, 0) is None
    assert store.ai_calls.reusable_response(db, "r1", "h", 2, 0) is None
    # A second retry that sends the same request as the first (its checks found the same
    # problems) is not answered with the first retry's rejected answer.
    assert store.ai_calls.reusable_response(db, "r1", "h", 1, 1) is None
