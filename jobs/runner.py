"""Orders as async tasks: every order this worker process runs shares one event loop.

An order is almost all waiting on the model, so a thread per order (huey's workers) would cap
a burst at the thread count: four orders at a time while the fiftieth customer waits for
the first forty-six. Here the huey task only hands the order to this loop and returns; the
loop runs up to WORKER_ORDER_CONCURRENCY of them at once, and what really bounds the model
calls is the account's rate limits (compass/engine/model_limits.py), shared by all of them.

Nothing durable lives here. Leases, resume from the call ledger and exactly-once emails are
compass/processing.py's as before: a process that dies leaves leases that expire (or that
its exit handler gives back) and the reconciler queues the orders again. A retry that huey
used to make when the task raised is scheduled here, with the attempts left.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable

from compass import metrics, processing
from compass.settings import get_settings
from jobs import job_db

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 120


class OrderRunner:
    def __init__(self, reschedule: Callable[[int, int, float], None]) -> None:
        self._reschedule = reschedule  # (order_id, retries_left, delay): queue a later attempt
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._accepted: set[int] = set()
        self.running = 0
        self.most_running = 0

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                # Daemon: at exit the process's leases are given back (jobs/reconciler.py).
                threading.Thread(target=loop.run_forever, name="orders", daemon=True).start()
                self._slots = asyncio.Semaphore(get_settings().WORKER_ORDER_CONCURRENCY)
                self._loop = loop
            return self._loop

    def accepted(self) -> set[int]:
        """Orders handed to this process and not finished (running or waiting for a slot)."""
        with self._lock:
            return set(self._accepted)

    def submit(self, order_id: int, retries_left: int) -> concurrent.futures.Future[str] | None:
        """Start the order on the loop; None when this process already has it."""
        loop = self._ensure_loop()
        with self._lock:
            if order_id in self._accepted:
                return None
            self._accepted.add(order_id)
        # The caller's log context (order, task id) goes with it: the loop copies it.
        return asyncio.run_coroutine_threadsafe(self._run(order_id, retries_left), loop)

    async def _run(self, order_id: int, retries_left: int) -> str:
        assert self._slots is not None
        try:
            async with self._slots:
                self.running += 1
                self.most_running = max(self.most_running, self.running)
                try:
                    with metrics.time_job("run_order"), job_db() as db:
                        return await processing.run_order(db, order_id,
                                                          can_retry=retries_left > 0)
                finally:
                    self.running -= 1
        except processing.RetryLater as later:
            # A model outage waited out: as many tries as the tier's time allows
            # (compass.processing decides when to give up), so no attempt is used up.
            self._reschedule(order_id, retries_left, later.delay)
            return "retry_later"
        except Exception:
            # A bug or a crash of this order only; run_order gave its lease back.
            log.exception("order %s: processing crashed", order_id)
            self._retry(order_id, retries_left)
            return "crashed"
        finally:
            with self._lock:
                self._accepted.discard(order_id)

    def wait_idle(self, timeout: float) -> set[int]:
        """At shutdown, once draining (compass.processing): wait up to `timeout` seconds
        for the orders on the loop to store their calls in flight and give their leases
        back. Returns the orders still running (their leases the exit handler releases)."""
        deadline = time.monotonic() + timeout
        while (left := self.accepted()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def _retry(self, order_id: int, retries_left: int) -> None:
        if retries_left > 0:
            self._reschedule(order_id, retries_left - 1, RETRY_DELAY_SECONDS)
        else:
            log.error("order %s: no attempts left; the reconciler will find it", order_id)
