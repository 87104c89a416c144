"""The order processing job: a thin huey task around compass.processing.run_order."""

from __future__ import annotations

import asyncio
from typing import Any

from compass import documents, outage, processing
from compass.settings import get_settings
from compass.tiers import get_tier
from jobs import huey, job_db


@huey.task(retries=3, retry_delay=120, context=True)
def process_order(order_id: int, task: Any = None) -> str:
    """The queued job. Thread workers have no hard timeout; the engine bounds its model calls.

    huey retries it (3 times, 2 minutes apart) when it raises: after a crash, or when the
    model was unreachable. On the last attempt an unreachable model fails the order.
    """
    retries_left = task.retries if task is not None else 0
    with job_db() as db:
        return asyncio.run(processing.run_order(db, order_id, can_retry=retries_left > 0))


def enqueue_order(order_id: int, tier_name: str) -> None:
    """Queue the order's processing; premium orders are dequeued first."""
    huey.enqueue(process_order.s(order_id, priority=get_tier(tier_name).queue_priority))


@huey.task(priority=50)
def probe_ai_service() -> str:
    """While an AI service incident is open: one small call; on success every held order
    is queued again, else the next probe is scheduled (compass.outage)."""
    with job_db() as db:
        outcome = asyncio.run(outage.probe(db))
    if outcome == "down":
        schedule_probe(get_settings().AI_PROBE_SECONDS)
    return outcome


def schedule_probe(delay_seconds: float) -> None:
    probe_ai_service.schedule(delay=delay_seconds)


@huey.task(priority=60)
def render_report(order_id: int) -> str:
    """A completed order's PDF that a download found missing (after a restore, say)."""
    with job_db() as db:
        path = documents.rebuild_report_pdf(db, order_id, get_settings())
    return "rendered" if path is not None else "not completed"


def enqueue_render(order_id: int) -> None:
    render_report(order_id)
