"""The email jobs: send one email, and the sweep that queues emails whose retry fell due or
whose job was lost.

The emails table is the truth and the guard (see compass.notifications): a job only sends
an email it manages to claim, so a duplicate, retried or early job never sends twice. The
retry schedule lives on the row (`next_attempt_at`), not in huey: the worker's quick sweep
(jobs.reconciler, every SWEEP_SECONDS) calls `sweep_emails`.
"""

from __future__ import annotations

import logging

import sqlite_utils

from compass import notifications
from jobs import huey, job_db, render_slot

log = logging.getLogger(__name__)


@huey.task(priority=20)
def send_email(email_id: int) -> str:
    """Send the email if it is still ours to send; a failed attempt records when to retry."""
    with job_db() as db:
        if not notifications.may_render(db, email_id):
            return _deliver(db, email_id)
        with render_slot():  # jobs.RENDER_SLOT: one render at a time, or back in a second
            return _deliver(db, email_id)


def _deliver(db: sqlite_utils.Database, email_id: int) -> str:
    try:
        return notifications.deliver(db, email_id)
    except notifications.RetryLater as retry:
        return f"retry at {retry.due}"


def queued_email_ids() -> set[int]:
    """Emails that already have a send job waiting in the queue."""
    return {int(task.args[0]) for task in [*huey.pending(), *huey.scheduled()]
            if task.name.endswith("send_email") and task.args}


def sweep_emails() -> list[int]:
    """Queue the emails that are due (retries, lost wake-up calls, dead senders)."""
    with job_db() as db:
        resumed = notifications.sweep(db, already_queued=queued_email_ids())
    if resumed:
        log.info("queued %d due email(s): %s", len(resumed), resumed)
    return resumed


def enqueue_email(item_id: int) -> None:
    """Put the email's send job on the queue (emails go before report processing)."""
    send_email(item_id)
