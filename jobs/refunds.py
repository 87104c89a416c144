"""Refund jobs: make an approved refund, and a periodic sweep that finishes stuck ones.

The refunds table is the truth (compass.refunds): a job only acts on a `processing` row,
with the row's idempotency key, so a duplicated, retried or late job never refunds twice.
"""

from __future__ import annotations

import asyncio
import logging

from huey import crontab

from compass import refunds
from compass.settings import get_settings
from jobs import huey, job_db

log = logging.getLogger(__name__)


class RefundPending(Exception):
    """Stripe could not be reached; huey retries the job."""


@huey.task(retries=5, retry_delay=60, retry_backoff=2, priority=15)
def process_refund(refund_id: int) -> str:
    """Make the refund if it is approved and not made yet; raising makes huey retry."""
    with job_db() as db:
        refund = asyncio.run(refunds.process(db, get_settings(), refund_id))
    if refund["status"] == "processing":
        raise RefundPending(f"refund {refund_id}: {refund['last_error']}")
    return refund["status"]


@huey.periodic_task(crontab(minute="*/5"))
def retry_stuck_refunds() -> int:
    """Every five minutes: finish approved refunds whose job was lost or whose process died."""
    with job_db() as db:
        done = asyncio.run(refunds.retry_stuck(db, get_settings()))
    if done:
        log.warning("retried %d stuck refund(s): %s", len(done),
                    [(r["id"], r["status"]) for r in done])
    return len(done)


def enqueue_refund(item_id: int) -> None:
    """Put the refund's job on the queue."""
    process_refund(item_id)
