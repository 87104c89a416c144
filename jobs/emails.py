"""The email jobs: send one email (with retries and exponential backoff), and a periodic
sweep that re-queues emails whose job was lost.

The emails table is the truth and the guard (see compass.notifications): a job only sends
an email it manages to claim, so a duplicate, retried or late job never sends twice.
"""

from __future__ import annotations

import logging

from huey import crontab

from compass import notifications
from jobs import huey, job_db

log = logging.getLogger(__name__)

# Three attempts: now, after 1 minute, after 5 more (huey multiplies the delay each retry).
RETRIES = notifications.MAX_ATTEMPTS - 1
RETRY_DELAY_SECONDS = 60
RETRY_BACKOFF = 5


@huey.task(retries=RETRIES, retry_delay=RETRY_DELAY_SECONDS, retry_backoff=RETRY_BACKOFF,
           priority=20)
def send_email(email_id: int) -> str:
    """Send the email if it is still ours to send; raising makes huey retry it later."""
    with job_db() as db:
        return notifications.deliver(db, email_id)


@huey.periodic_task(crontab(minute="*/5"))
def resume_stalled_emails() -> int:
    """Every five minutes: queue again the emails whose wake-up call was lost."""
    with job_db() as db:
        resumed = notifications.resume_stalled(db)
    if resumed:
        log.warning("re-queued %d stalled email(s): %s", len(resumed), resumed)
    return len(resumed)


def enqueue_email(item_id: int) -> None:
    """Put the email's send job on the queue (emails go before report processing)."""
    send_email(item_id)
