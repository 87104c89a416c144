"""The work the worker does, and how any process asks for it.

compass names the jobs and their arguments here; the worker package (jobs/) provides an
implementation of each, putting a huey task on the queue. Nothing under compass/ imports
jobs: a process that asks for work before an implementation was provided loads the one
named by the `compass.queue` entry point in pyproject.toml (jobs:IMPLEMENTATIONS). That
is how the web process and the CLI reach the worker's queue, while the worker provides
its own at import. Tests swap implementations with `replaced(...)`.

The queue is only a wake-up call (the database is the truth), so work is requested after
the transaction that records it commits: `after_commit` here, which also writes the
request into the outbox table in that same transaction. A process killed between its
commit and the enqueue (kill -9, OOM, a crash) leaves the row, and the worker's sweep
(`replay_outbox`, every few seconds and at start-up) queues the job instead: the receipt
of a payment is late by seconds, not lost until a slower sweep finds it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    import sqlite_utils

Job = Literal["process_order", "send_email", "process_refund", "revise_report",
              "probe_ai_service", "render_report"]
JOBS: tuple[Job, ...] = get_args(Job)
ENTRY_POINT_GROUP = "compass.queue"

Handler = Callable[..., object]
_handlers: dict[str, Handler] = {}


class QueueUnavailable(RuntimeError):
    """No implementation of a job: the package is installed without its entry point."""


def provide(implementations: Mapping[str, Handler]) -> None:
    """Add implementations for the jobs that have none (a replacement in force is kept)."""
    unknown = set(implementations) - set(JOBS)
    if unknown:
        raise ValueError(f"not jobs: {sorted(unknown)}")
    for job, handler in implementations.items():
        _handlers.setdefault(job, handler)


def load() -> None:
    """Provide the installed implementation (the `compass.queue` entry point) if needed."""
    if set(JOBS) <= set(_handlers):
        return
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        provide(entry.load())
    missing = set(JOBS) - set(_handlers)
    if missing:
        raise QueueUnavailable(
            f"no implementation of {sorted(missing)}: install the package (pip install -e .)"
            f" so its {ENTRY_POINT_GROUP!r} entry point is registered")


def provided() -> frozenset[str]:
    return frozenset(_handlers)


def _request(job: str, *args: object) -> None:
    if job not in _handlers:
        load()
    _handlers[job](*args)


def after_commit(db: sqlite_utils.Database, job: Job, *args: object) -> None:
    """Request `job` once the current transaction commits, durably (see the module's doc).

    Dropped with the transaction on rollback, like `store.after_commit`. A job may be
    requested twice (the sweep can race a slow enqueue): every job is idempotent."""
    from compass import store

    outbox_id = store.outbox.add(db, job, json.dumps(args))

    def enqueue() -> None:
        _request(job, *args)
        store.outbox.remove(db, outbox_id)

    store.after_commit(db, enqueue)


# An outbox row older than this lost its enqueue: the process that wrote it died (the
# enqueue itself takes milliseconds after the commit).
OUTBOX_GRACE_SECONDS = 5.0


def replay_outbox(db: sqlite_utils.Database, *,
                  grace_seconds: float = OUTBOX_GRACE_SECONDS) -> list[str]:
    """Queue the jobs whose enqueue never happened; returns them as "job(args)"."""
    from compass import clock, store

    done = []
    before = clock.iso(clock.now() - dt.timedelta(seconds=grace_seconds))
    for row in store.outbox.older_than(db, before):
        args = json.loads(row["args_json"])
        try:
            _request(row["job"], *args)
        except Exception:
            logging.getLogger(__name__).exception("could not queue outbox row %s", row["id"])
            continue
        store.outbox.remove(db, row["id"])
        done.append(f"{row['job']}({', '.join(map(str, args))})")
    if done:
        logging.getLogger(__name__).warning("queued %d job(s) a crashed process had not: %s",
                                            len(done), ", ".join(done))
    return done


def process_order(order_id: int, tier: str) -> None:
    """Run a paid order through the engine (the tier decides its queue priority)."""
    _request("process_order", order_id, tier)


def send_email(email_id: int) -> None:
    """Send one email row (compass.notifications.deliver)."""
    _request("send_email", email_id)


def process_refund(refund_id: int) -> None:
    """Make an approved refund at Stripe (compass.refunds.process)."""
    _request("process_refund", refund_id)


def probe_ai_service(delay_seconds: float) -> None:
    """In `delay_seconds`, one small model call; if it succeeds, resume every held order
    (compass.outage.probe)."""
    _request("probe_ai_service", delay_seconds)


def revise_report(revision_id: int) -> None:
    """Run a premium revision (compass.revisions.run_revision)."""
    _request("revise_report", revision_id)


@contextmanager
def replaced(**handlers: Handler) -> Iterator[None]:
    """Use `handlers` for these jobs inside the block (tests: record instead of queueing)."""
    unknown = set(handlers) - set(JOBS)
    if unknown:
        raise ValueError(f"not jobs: {sorted(unknown)}")
    saved = dict(_handlers)
    _handlers.update(handlers)
    try:
        yield
    finally:
        _handlers.clear()
        _handlers.update(saved)


def render_report(order_id: int) -> None:
    """Render a completed order's missing report PDF (compass.documents.rebuild_report_pdf)."""
    _request("render_report", order_id)
