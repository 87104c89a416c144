"""The worker: a huey queue in its own SQLite file. Run it with `huey_consumer jobs.huey`.

The queue is only a wake-up call; the orders table is the truth. huey's SQLite storage takes
BEGIN EXCLUSIVE on dequeue, which is why the queue lives in data/queue.db and not beside the
orders in compass.db.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils
from huey import SqliteHuey
from huey.consumer import Consumer
from huey.exceptions import RetryTask

from compass import processing, queue, startup, store
from compass.settings import get_settings


class DrainingConsumer(Consumer):
    """huey's consumer, telling the order runs when SIGTERM arrives: with the Procfile's
    `--graceful-signal TERM --shutdown-timeout`, huey stops dequeuing and waits for its
    tasks; compass.processing then starts no new model call, lets the calls in flight finish
    and stores them, and gives the order back (the next worker resumes it from the ledger)."""

    def _handle_signal(self, signum: int, frame: Any) -> None:
        if signum == signal.SIGTERM:
            processing.start_draining(get_settings().WORKER_DRAIN_SECONDS)
        super()._handle_signal(signum, frame)


class CompassHuey(SqliteHuey):
    def create_consumer(self, **options: Any) -> Consumer:
        return DrainingConsumer(self, **options)


def _make_huey() -> SqliteHuey:
    settings = get_settings()
    settings.queue_path.parent.mkdir(parents=True, exist_ok=True)
    # timeout: SQLite busy timeout in seconds for the queue file.
    return CompassHuey("compass", filename=str(settings.queue_path), timeout=10)


huey = _make_huey()


@contextmanager
def job_db() -> Iterator[sqlite_utils.Database]:
    """The connection of one job run, closed when it ends. No migrations here: the worker
    process applies them once at start-up (jobs.reconciler.start_worker_process)."""
    db = store.connect(get_settings().db_path)
    try:
        yield db
    finally:
        db.conn.close()


# The worker renders one PDF at a time (compass.pdf's helper). Jobs that may render (the
# receipt and report emails, render_report) take this slot or step back onto the queue for
# a second (RetryTask: no retry used up): waiting for the renderer would hold worker
# threads a paid order needs (a burst of receipts once kept one queued 5-15 s), and two
# jobs rendering the same missing PDF one after the other would store it twice.
RENDER_SLOT = threading.Semaphore(1)
RENDER_WAIT_SECONDS = 1


@contextmanager
def render_slot() -> Iterator[None]:
    if not RENDER_SLOT.acquire(blocking=False):
        raise RetryTask(delay=RENDER_WAIT_SECONDS)
    try:
        yield
    finally:
        RENDER_SLOT.release()


# Tasks register on `huey` when their modules are imported. reconciler: the periodic
# housekeeping, the heartbeat and the worker's start/stop hooks.
from jobs import emails, reconciler, refunds, revisions, tasks  # noqa: E402

# How each job compass.queue names is put on this queue; also the `compass.queue` entry
# point (pyproject.toml), which is how the web process and the CLI find it.
IMPLEMENTATIONS: dict[str, Callable[..., object]] = {
    "process_order": tasks.enqueue_order,
    "send_email": emails.enqueue_email,
    "process_refund": refunds.enqueue_refund,
    "revise_report": revisions.enqueue_revision,
    "probe_ai_service": tasks.schedule_probe,
    "render_report": tasks.enqueue_render,
}
queue.provide(IMPLEMENTATIONS)
startup.start_process()

__all__ = ["IMPLEMENTATIONS", "emails", "huey", "job_db", "reconciler", "refunds", "revisions",
           "tasks"]
