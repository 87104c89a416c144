"""The ai_calls table: the cost ledger, the QA capture and the resume checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import inserted_id


@dataclass
class AICall:
    run_id: str
    phase: str
    attempt: int
    retry: int
    perspective: str | None
    provider: str
    model: str
    request_hash: str
    status: str  # ok | invalid | error
    stop_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_microusd: int = 0
    latency_ms: int = 0
    error: str | None = None
    response_text: str | None = None
    order_id: int | None = None


def record(db: sqlite_utils.Database, call: AICall) -> int:
    row = asdict(call) | {"created_at": now_iso()}
    columns = ", ".join(row)
    placeholders = ", ".join(f":{name}" for name in row)
    cursor = db.conn.execute(f"INSERT INTO ai_calls ({columns}) VALUES ({placeholders})", row)  # noqa: S608 - column names are ours
    return inserted_id(cursor)


def reusable_response(db: sqlite_utils.Database, run_id: str, request_hash: str,
                      attempt: int, retry: int) -> dict | None:
    """The newest answered call of this run, QA attempt and retry with the very same request.

    This is the resume checkpoint: a run restarted after a crash (or a drain at shutdown)
    asks for identical requests and gets their stored answers instead of paying for them
    again. An answer the deterministic checks rejected (`invalid`) is reused too: checked
    again it fails the same way, so the run goes on to the retry it made before (whose own
    answer is then reused) instead of buying the rejected answer a second time. The
    attempt is part of the key because a QA revision must get a fresh answer even when it
    happens to send the same request as the rejected attempt did; the retry is part of it
    for the same reason one level down: a second retry whose checks found the same problems
    sends the same request as the first, and must not be answered by the first's rejected
    answer (it would never call the model again).
    """
    rows = list(db.query(
        "SELECT * FROM ai_calls WHERE run_id = ? AND request_hash = ? AND attempt = ?"
        " AND retry = ? AND status IN ('ok', 'invalid') ORDER BY id DESC LIMIT 1",
        [run_id, request_hash, attempt, retry],
    ))
    return rows[0] if rows else None


def for_run(db: sqlite_utils.Database, run_id: str) -> list[dict]:
    return list(db.query("SELECT * FROM ai_calls WHERE run_id = ? ORDER BY id", [run_id]))
