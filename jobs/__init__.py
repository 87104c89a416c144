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

from jobs.tasks import enqueue_order, process_order  # noqa: E402 - tasks register on `huey`

__all__ = ["enqueue_order", "huey", "process_order"]
