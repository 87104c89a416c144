"""The worker's housekeeping: periodic reconciler tasks, the heartbeat /readyz reads, and
what the worker does when it starts and when it is told to stop.

Start-up (huey's on_startup hook, once per process): JSON logs, the heartbeat thread, a
sweep that gives back leases of dead workers on this host and re-enqueues their orders,
and an exit handler. Shutdown: honcho forwards SIGTERM, which drains (jobs.DrainingConsumer,
compass.processing): huey takes no new task, no order starts another model call, and the
exit handler waits up to WORKER_DRAIN_SECONDS for the calls in flight to finish and be
stored, then gives back whatever leases remain — the next worker resumes those orders at
once from the AI call ledger, paying for no answer twice.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import socket
import threading
import time
from typing import Any

from huey import crontab

from compass import clock, health, logs, queue, reconciler, store
from compass.settings import get_settings
from jobs import huey, job_db

log = logging.getLogger(__name__)

# Housekeeping goes before order processing in the queue (higher runs sooner).
PRIORITY = 50

_started = threading.Lock()
_started_flag = False
_stop = threading.Event()
_task_started: dict[str, float] = {}


def _queued_order_ids() -> set[int]:
    """Orders that already have a processing task waiting (now or scheduled for a retry)."""
    ids = set()
    for task in [*huey.pending(), *huey.scheduled()]:
        if task.name.endswith("process_order") and task.args:
            ids.add(int(task.args[0]))
    from jobs.tasks import RUNNER

    return ids | RUNNER.accepted()  # handed to this process's order loop, maybe waiting


def reconcile(*, grace_seconds: float = reconciler.ORPHAN_GRACE_SECONDS) -> reconciler.Report:
    """Re-enqueue orphaned orders and send the overdue "still processing" emails."""
    report = reconciler.Report()
    with job_db() as db:
        report.requeued = reconciler.requeue_orphans(
            db, already_queued=_queued_order_ids(), grace_seconds=grace_seconds)
        report.still_processing = reconciler.send_still_processing(db)
    return report


@huey.periodic_task(crontab(minute="*"), priority=PRIORITY)
def reconcile_orders() -> dict:
    """Every minute: orders whose wake-up call was lost, and overdue-order emails."""
    report = reconcile()
    return {"requeued": report.requeued, "still_processing": report.still_processing}


@huey.periodic_task(crontab(minute="*"), priority=PRIORITY)
def probe_ai_service_every_minute() -> str:
    """Every minute, while the AI service refuses our calls: the probe, in case the chain of
    delayed probes was lost (a restart); also lets orders go that were held without one."""
    import asyncio

    from compass import outage

    with job_db() as db:
        if outage.current(db) is None and not store.orders.held(db):
            return "none"
        return asyncio.run(outage.probe(db))


@huey.periodic_task(crontab(minute="*/15"), priority=PRIORITY)
def expire_abandoned_checkouts() -> list[str]:
    """Every 15 minutes: checkouts left unpaid for a day become `expired`."""
    with job_db() as db:
        return reconciler.expire_abandoned_checkouts(db)


@huey.periodic_task(crontab(minute="*/15"), priority=PRIORITY)
def reward_referrals() -> list[int]:
    """Every 15 minutes: referral rewards whose friend's order is past the refund window."""
    import asyncio

    from compass import referrals

    with job_db() as db:
        return asyncio.run(referrals.make_due_rewards(db, get_settings()))


def send_daily_summary(day: dt.date) -> list[int]:
    """The operator's summary of `day` to every admin (once per day and admin)."""
    from compass import insights, notifications

    settings = get_settings()
    if not settings.admin_emails:
        log.warning("no ADMIN_EMAILS: daily summary not sent")
        return []
    since = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    with job_db() as db:
        figures = insights.figures(db, since, since + dt.timedelta(days=1))
        attention = insights.attention_lines(db)
        queued = []
        for admin in sorted(settings.admin_emails):
            with store.transaction(db):
                email_id = notifications.queue_daily_summary(
                    db, to=admin, day=day.isoformat(), figures=insights.summary_pairs(figures),
                    attention=attention)
            if email_id is not None:
                queued.append(email_id)
        return queued


@huey.periodic_task(crontab(hour="6", minute="5"), priority=PRIORITY)
def daily_summary() -> int:
    """06:05 UTC: yesterday's figures and what needs attention, to the admins."""
    yesterday = clock.now().date() - dt.timedelta(days=1)
    return len(send_daily_summary(yesterday))


# -- the worker process: heartbeat, start-up sweep, shutdown ---------------------------------

def _heartbeat_loop(path: Any) -> None:
    while not _stop.wait(health.HEARTBEAT_INTERVAL_SECONDS):
        try:
            health.write_heartbeat(path, queued=huey.pending_count())
        except Exception:
            log.exception("could not write the worker heartbeat")


def quick_sweep() -> None:
    """Jobs a crashed process committed but never queued (the outbox), then due emails."""
    from jobs import emails

    with job_db() as db:
        queue.replay_outbox(db)
    emails.sweep_emails()


def _sweep_loop(interval: float) -> None:
    """The quick sweep, every few seconds: what must not wait for the minute's reconcile."""
    while not _stop.wait(interval):
        try:
            quick_sweep()
        except Exception:
            log.exception("the quick sweep failed")


def _on_exit(path: Any) -> None:
    _stop.set()
    from compass import processing
    from jobs import tasks

    if processing.DRAINING.is_set():
        # SIGTERM: the orders on the loop stop before their next model call; give their
        # calls in flight the rest of the drain to finish and be stored.
        left = tasks.RUNNER.wait_idle(processing.drain_time_left() + 1.0)
        if left:
            log.warning("shutting down with %d order(s) still in a model call", len(left))
    try:
        with job_db() as db:
            released = reconciler.release_process_leases(db, host=socket.gethostname(),
                                                         pid=os.getpid())
        if released:
            log.warning("shutting down: gave back the leases of %s", ", ".join(released))
        health.write_heartbeat(path, state="stopped")
    except Exception:
        log.exception("shutdown clean-up failed")


def start_worker_process() -> None:
    """Once per worker process (huey calls startup hooks once per worker thread).

    The other worker threads wait here until it has finished: a thread that went on at once
    could run a task (the periodic reconcile) against a schema not yet migrated."""
    global _started_flag
    with _started:
        if not _started_flag:
            _start_once()
            _started_flag = True


def _start_once() -> None:
    logs.configure("worker")
    path = health.heartbeat_path(get_settings())
    health.write_heartbeat(path)
    threading.Thread(target=_heartbeat_loop, args=(path,), name="heartbeat",
                     daemon=True).start()
    atexit.register(_on_exit, path)
    threading.Thread(target=_warm_up_pdf, name="pdf-warm-up", daemon=True).start()
    # The schema is brought up to date once per worker process, before its first task;
    # jobs then only connect (job_db).
    with job_db() as db:
        store.migrate(db)
        reconciler.release_dead_leases(db, host=socket.gethostname(), my_pid=os.getpid())
        queue.replay_outbox(db)
    threading.Thread(target=_sweep_loop, args=(get_settings().SWEEP_SECONDS,), name="sweep",
                     daemon=True).start()
    # No task of this process is running yet: every unleased order is an orphan now.
    report = reconcile(grace_seconds=0)
    log.info("worker started; re-enqueued %d order(s)", len(report.requeued))


def _warm_up_pdf() -> None:
    # Off the start-up path: importing compass.pdf imports WeasyPrint (seconds when busy).
    try:
        from compass import pdf

        pdf.warm_up()
    except Exception:
        log.exception("could not start the PDF renderer ahead of time")


@huey.on_startup()
def _worker_startup() -> None:
    start_worker_process()


# -- every task: timing and log context ---------------------------------------------------------

@huey.pre_execute()
def _before_task(task: Any) -> None:
    _task_started[task.id] = time.perf_counter()
    context: dict[str, Any] = {"task": task.name, "task_id": task.id}
    if task.name.endswith("process_order") and task.args:
        with job_db() as db:
            order = store.orders.get(db, int(task.args[0]))
        if order:
            context |= {"order": order["public_id"], "order_number": order["order_number"]}
    logs.clear_contextvars()
    logs.bind_contextvars(**context)


@huey.post_execute()
def _after_task(task: Any, task_value: Any, exc: BaseException | None) -> None:
    from compass import metrics

    started = _task_started.pop(task.id, None)
    if started is not None:
        outcome = "ok" if exc is None else type(exc).__name__
        metrics.JOB_DURATION.labels(task.name.rsplit(".", 1)[-1], outcome).observe(
            time.perf_counter() - started)
    logs.clear_contextvars()
