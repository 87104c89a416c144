"""The order processing job: a thin huey task around compass.processing.run_order."""

from __future__ import annotations

import asyncio
from typing import Any

from compass import documents, outage
from compass.settings import get_settings
from compass.tiers import get_tier
from jobs import huey, job_db, render_slot, runner


@huey.task(retries=3, context=True)
def process_order(order_id: int, task: Any = None) -> str:
    """The queued job: hands the order to this process's order loop (jobs/runner.py) and
    returns, so a worker thread is never tied up by one order's model calls.

    An order is tried 3 more times, 2 minutes apart, after a crash or while the model is
    unreachable (the runner schedules them); on the last attempt an unreachable model fails
    the order.
    """
    retries_left = task.retries if task is not None else 0
    return "started" if RUNNER.submit(order_id, retries_left) is not None else "already_running"


def _reschedule(order_id: int, retries_left: int, delay: float) -> None:
    process_order.schedule(args=(order_id,), delay=delay, retries=retries_left)


RUNNER = runner.OrderRunner(_reschedule)


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
    with job_db() as db, render_slot():  # not beside the email job rendering the same PDF
        path = documents.rebuild_report_pdf(db, order_id, get_settings())
    return "rendered" if path is not None else "not completed"


def enqueue_render(order_id: int) -> None:
    render_report(order_id)
