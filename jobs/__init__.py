"""The worker: a huey queue in its own SQLite file. Run it with `huey_consumer jobs.huey`.

The queue is only a wake-up call; the orders table is the truth. huey's SQLite storage takes
BEGIN EXCLUSIVE on dequeue, which is why the queue lives in data/queue.db and not beside the
orders in compass.db.
"""

from __future__ import annotations

from huey import SqliteHuey

from compass.settings import get_settings


def _make_huey() -> SqliteHuey:
    settings = get_settings()
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: SQLite busy timeout in seconds for the queue file.
    return SqliteHuey("compass", filename=str(settings.queue_path), timeout=10)


huey = _make_huey()

# Tasks register on `huey` when their modules are imported. reconciler: the periodic
# housekeeping, the heartbeat and the worker's start/stop hooks.
from jobs import reconciler  # noqa: E402, F401
from jobs.emails import enqueue_email, resume_stalled_emails, send_email  # noqa: E402
from jobs.refunds import enqueue_refund, process_refund, retry_stuck_refunds  # noqa: E402
from jobs.revisions import enqueue_revision, resume_stalled_revisions, revise_report  # noqa: E402
from jobs.tasks import enqueue_order, process_order  # noqa: E402

__all__ = ["enqueue_email", "enqueue_order", "enqueue_refund", "enqueue_revision", "huey",
           "process_order", "process_refund", "resume_stalled_emails", "resume_stalled_revisions",
           "retry_stuck_refunds", "revise_report", "send_email"]
