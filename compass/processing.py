"""Processing a paid order: lease it, run the engine with live progress, store the result.

Everything durable is in the orders table: a worker that dies mid-run leaves a lease that
expires, and the order can be taken again (the engine resumes from its call ledger, so the
model calls already paid for are not repeated). jobs/tasks.py is the huey task that calls
`run_order`; refunds and revisions keep theirs in compass/ the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlite_utils

from compass import clock, lifecycle, outage, store
from compass.engine import EngineFailed, run_engine
from compass.engine.provider import build_provider
from compass.progress import PHASES
from compass.settings import get_settings
from compass.tiers import get_tier

log = logging.getLogger(__name__)

def lease_seconds() -> float:
    """How long an order's lease lasts unless renewed (ORDER_LEASE_SECONDS, 300 s)."""
    return get_settings().ORDER_LEASE_SECONDS


def heartbeat_seconds() -> float:
    # Well inside the lease: a call that reports no progress for a while keeps it.
    return min(60.0, lease_seconds() / 5)
# Progress is written at most this often unless the phase changes (which is always written).
MIN_WRITE_INTERVAL = 0.5

Engine = Callable[..., Awaitable[dict]]


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class ProgressWriter:
    """The engine's progress callback: throttled writes to the order, phase timings kept."""

    def __init__(self, db: sqlite_utils.Database, order_id: int, owner: str):
        self.db, self.order_id, self.owner = db, order_id, owner
        self.phase: str | None = None
        self.phase_started = time.monotonic()
        self.phase_started_iso = clock.now_iso()
        self.durations: dict[str, float] = {}
        self.last_write = 0.0
        self.last_percent = -1
        self.lease_lost = False

    def __call__(self, percent: int, phase: str, label: str) -> None:
        now = time.monotonic()
        changed = phase != self.phase
        if changed:
            if self.phase is not None:
                self._close_phase(now)
            self.phase, self.phase_started, self.phase_started_iso = phase, now, clock.now_iso()
        elif percent == self.last_percent or now - self.last_write < MIN_WRITE_INTERVAL:
            return
        self.last_write, self.last_percent = now, percent
        # One short autocommit UPDATE: never holds the write lock across engine work.
        written = store.orders.write_progress(
            self.db, self.order_id, self.owner, percent=max(0, min(100, percent)),
            phase=phase, label=label[:200], phase_started_at=self.phase_started_iso,
            lease_expires_at=clock.iso_in(lease_seconds()))
        if not written and not self.lease_lost:
            self.lease_lost = True
            log.warning("order %s: lost the lease while running", self.order_id)

    def _close_phase(self, now: float) -> None:
        if self.phase in PHASES:
            self.durations[self.phase] = self.durations.get(self.phase, 0.0) + (
                now - self.phase_started)

    def finish(self) -> dict[str, float]:
        self._close_phase(time.monotonic())
        self.phase = None
        return self.durations


async def _heartbeat(db: sqlite_utils.Database, order_id: int, owner: str,
                     writer: ProgressWriter) -> None:
    # Keeps the lease alive through long model calls that report no progress; renews only
    # a lease that is still ours (a worker frozen past its lease must not take it back).
    while True:
        await asyncio.sleep(heartbeat_seconds())
        if not store.orders.renew_lease(db, order_id, owner,
                                        expires_at=clock.iso_in(lease_seconds())):
            writer.lease_lost = True


class LeaseLost(BaseException):
    """This worker no longer owns the order (its lease expired while it was frozen, and
    another worker took it). A BaseException, like CancelledError: the engine's handlers
    of model errors must not catch it, retry or record it as the order's failure."""


class Draining(BaseException):
    """The worker is stopping (SIGTERM): no new model call starts."""


# Set once by the worker's SIGTERM handler (jobs.DrainingConsumer): from then on no run
# starts a model call, runs wait for their calls in flight, store them and give back their
# lease; the next worker resumes from the call ledger without paying for them again.
DRAINING = threading.Event()
_drain_deadline = 0.0


# At a drain, a call the API has not started answering after this long is cancelled.
UNSTARTED_GRACE_SECONDS = 3.0


def drain_time_left() -> float:
    return max(0.0, _drain_deadline - time.monotonic())


def start_draining(seconds: float) -> None:
    global _drain_deadline
    if not DRAINING.is_set():
        _drain_deadline = time.monotonic() + seconds
        DRAINING.set()
        log.warning("draining: no new model calls; %g s for the calls in flight", seconds)


class LeasedProvider:
    """The model provider, behind a compare-and-set on the order's lease: before every model
    call the lease is renewed if it is still ours, else LeaseLost is raised, so a worker
    that lost the order stops before paying for another call. Calls already in flight
    finish (they are paid for) and their answers land in the ledger for the new owner."""

    def __init__(self, provider: Any, db: sqlite_utils.Database, order_id: int, owner: str,
                 writer: ProgressWriter):
        self.provider, self.db, self.order_id, self.owner = provider, db, order_id, owner
        self.writer = writer
        self.name = getattr(provider, "name", "unknown")
        self.offline = getattr(provider, "offline", False)
        self.calls: dict[asyncio.Future, bool] = {}  # call → the API has started answering

    async def complete(self, request: Any, *, on_started: Any = None,
                       before_send: Any = None) -> Any:
        self._still_ours(request.phase)

        def checked_again() -> None:
            # A call may wait inside the provider for a concurrency or rate-limit slot for
            # longer than the lease: it is checked again right before it leaves.
            self._still_ours(request.phase)
            if before_send is not None:
                before_send()

        marker: list[asyncio.Future] = []
        call: asyncio.Future = asyncio.ensure_future(self.provider.complete(
            request, on_started=lambda: self._started(marker[0], on_started),
            before_send=checked_again))
        marker.append(call)
        self.calls[call] = False
        try:
            return await call
        finally:
            # The caller records the answer in the ledger in this same step, before any
            # other task runs: once no call is left, every answer received is stored.
            self.calls.pop(call, None)

    def _still_ours(self, phase: str) -> None:
        """Renew the lease if it is still this worker's; else raise (Draining, LeaseLost)."""
        if DRAINING.is_set():
            raise Draining(f"order {self.order_id}: stopping before a {phase} call")
        if self.writer.lease_lost or not store.orders.renew_lease(
                self.db, self.order_id, self.owner, expires_at=clock.iso_in(lease_seconds())):
            self.writer.lease_lost = True
            raise LeaseLost(f"order {self.order_id}: lease lost before a {phase} call")

    def _started(self, call: asyncio.Future, on_started: Any) -> None:
        # The API has the prompt (message_start): from here on the call is paid for.
        self.calls[call] = True
        if on_started is not None:
            on_started()

    @property
    def in_flight(self) -> int:
        return len(self.calls)

    async def settle(self, until: float) -> int:
        """Wait (until the monotonic time `until`) for the calls the API has started to
        answer; a call it has not started within UNSTARTED_GRACE_SECONDS (still waiting
        for rate-limit room, say) is cancelled: nothing of it is paid for yet. Returns how
        many calls were left unfinished."""
        unstarted_until = time.monotonic() + UNSTARTED_GRACE_SECONDS
        while self.calls and time.monotonic() < until:
            if time.monotonic() >= unstarted_until:
                for call, started in list(self.calls.items()):
                    if not started:
                        call.cancel()
            await asyncio.sleep(0.05)
        return len(self.calls)

    async def aclose(self) -> None:
        await self.provider.aclose()


class RetryLater(Exception):
    """The engine could not reach the model; the order should be tried in `delay` seconds."""

    def __init__(self, reason: str, delay: float = 120.0):
        super().__init__(reason)
        self.delay = delay


def _wait_out(db: sqlite_utils.Database, order: dict, owner: str, reason: str,
              exc: BaseException) -> str:
    """A transient model outage: give the order back to try again later, with a delay that
    doubles each time, while the tier's waiting share (AI_OUTAGE_WAIT_SHARE of its delivery
    time, from payment) lasts; after that, fail it (refunded by the lifecycle hook) with
    the true reason. Raises RetryLater, or returns "failed"."""
    settings = get_settings()
    tier = get_tier(order["tier"])
    now = clock.now()
    with store.transaction(db):
        current = store.orders.get(db, order["id"])
        if not current or current["status"] != "processing" or current["lease_owner"] != owner:
            return "lease_lost"
        since = clock.parse_or_none(current.get("ai_wait_since")) or now
        paid = clock.parse_or_none(current.get("paid_at")) or now
        give_up_at = paid + dt.timedelta(
            hours=tier.delivery_hours * settings.AI_OUTAGE_WAIT_SHARE)
        retries = int(current.get("ai_wait_retries") or 0) + 1
        delay = min(settings.AI_RETRY_MAX_SECONDS,
                    settings.AI_RETRY_BASE_SECONDS * 2 ** min(retries - 1, 20))
        if now + dt.timedelta(seconds=delay) <= give_up_at:
            retry_at = now + dt.timedelta(seconds=delay)
            due = paid + dt.timedelta(hours=tier.delivery_hours)
            store.orders.wait_for_ai(
                db, order["id"], owner, since=clock.iso(since), retries=retries,
                retry_at=clock.iso(retry_at),
                label=(f"Delayed — we are waiting for the AI service, which is not answering "
                       f"right now. We try again automatically (next try about "
                       f"{retry_at:%H:%M} UTC); your report is still due by "
                       f"{due:%d %b, %H:%M} UTC."))
        else:
            retry_at = None
            waited = max(0.0, (now - since).total_seconds())
            reason = (f"{reason}; waited {waited / 60:.0f} min for it to come back, until "
                      f"{settings.AI_OUTAGE_WAIT_SHARE:.0%} of the {tier.label} delivery time")
            lifecycle.transition(db, order["id"], "failed", reason=reason[:500],
                                 fields={"failure_reason": reason[:2000], "lease_owner": None,
                                         "lease_expires_at": None, "ai_retry_at": None})
    if retry_at is not None:  # raised once the wait is committed
        log.warning("order %s: %s; waiting it out (retry %d in %.0f s, gives up at %s)",
                    order["order_number"], reason, retries, delay, clock.iso(give_up_at))
        raise RetryLater(reason, delay) from exc
    log.warning("order %s failed: %s", order["order_number"], reason)
    return "failed"


async def run_order(db: sqlite_utils.Database, order_id: int, *, engine: Engine | None = None,
                    provider: Any = None, owner: str | None = None,
                    can_retry: bool = False) -> str:
    """Process one order to completed or failed. Returns what happened, for logs and tests."""
    # Everything that could fail to load is resolved before the lease is taken, so a broken
    # install cannot strand a leased order in `processing`.
    engine = engine or run_engine
    own_provider = provider is None
    if own_provider:
        provider = build_provider(get_settings())
    try:
        return await _run_leased(db, order_id, engine=engine, provider=provider,
                                 owner=owner or worker_id(), can_retry=can_retry)
    finally:
        if own_provider:
            await provider.aclose()


async def _run_leased(db: sqlite_utils.Database, order_id: int, *, engine: Engine,
                      provider: Any, owner: str, can_retry: bool) -> str:
    with store.transaction(db):
        order = store.orders.get(db, order_id)
        if order is None:
            return "missing"
        if order["status"] not in ("paid", "processing"):
            return f"not_runnable:{order['status']}"
        incident = outage.current(db)
        if incident is not None:
            # The API refuses our account: no call can succeed, so none is made. The order
            # waits, held, for the probe that resumes it (compass.outage).
            outage.hold(db, order_id, incident)
            return "held"
        if not store.orders.take_lease(db, order_id, owner, now=clock.now_iso(),
                                       expires_at=clock.iso_in(lease_seconds())):
            return "leased_elsewhere"
        if order["status"] == "paid":
            order = lifecycle.transition(db, order_id, "processing", reason=f"worker {owner}")
    tier = get_tier(order["tier"])
    writer = ProgressWriter(db, order_id, owner)
    heartbeat = asyncio.create_task(_heartbeat(db, order_id, owner, writer))
    leased = LeasedProvider(provider, db, order_id, owner, writer)
    try:
        result = await engine(
            lifecycle.order_input_of(order), tier, provider=leased, db=db,
            # Stable per order: a re-run after a crash resumes from the call ledger.
            run_id=f"order-{order['public_id']}", order_id=order_id, progress=writer,
            model=get_settings().model_for(tier.name))
    except EngineFailed as exc:
        reason = getattr(exc, "reason", str(exc))
        if getattr(exc, "systemic", False):
            # Our outage, not the customer's failure: hold the order, never fail or refund it.
            with store.transaction(db):
                incident = outage.report_systemic(
                    db, kind=exc.kind, status=getattr(exc.__cause__, "status", None),
                    message=str(exc.__cause__ or reason),
                    model=get_settings().model_for(tier.name) or tier.model)
                if _still_ours(db, order_id, owner):
                    outage.hold(db, order_id, incident)
            log.error("order %s held: %s", order["order_number"], reason)
            return "held"
        if getattr(exc, "retryable", False):
            # The model was unreachable, not the report bad: wait it out and try again (the
            # call ledger keeps what already succeeded), within the tier's time.
            return _wait_out(db, order, owner, reason, exc)
        with store.transaction(db):
            if _still_ours(db, order_id, owner):
                lifecycle.transition(db, order_id, "failed", reason=reason[:500],
                                     fields={"failure_reason": reason[:2000],
                                             "lease_owner": None, "lease_expires_at": None})
        log.warning("order %s failed: %s", order["order_number"], reason)
        return "failed"
    except Draining:
        unfinished = await leased.settle(_drain_deadline)
        with store.transaction(db):
            store.orders.release_lease(db, order_id, owner)
        log.warning("order %s: stopped for shutdown; calls in flight stored, %d unfinished; "
                    "lease given back", order["order_number"], unfinished)
        return "drained"
    except LeaseLost:
        # Another worker owns the order now: write nothing more, leave it to them.
        log.error("order %s: lease lost (another worker took it); stopped before the next "
                  "model call", order["order_number"])
        return "lease_lost"
    except BaseException:
        # A bug or a crash: give the lease back so a retry (huey's, or the reconciler's) can run.
        with store.transaction(db):
            store.orders.release_lease(db, order_id, owner)
        raise
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
    durations = writer.finish()
    # Completed as soon as the report is stored: the page shows it at once. The PDF follows
    # (the report-ready email job renders it, documents.ensure_report_pdf), and until it is
    # there the download says so and reloads by itself.
    with store.transaction(db):
        if not _still_ours(db, order_id, owner):
            log.error("order %s finished but its lease was taken over", order["order_number"])
            return "lease_lost"
        lifecycle.transition(db, order_id, "completed", reason="report ready", fields={
            "result_json": json.dumps(result), "progress_percent": 100, "phase": "done",
            "phase_label": "Your report is ready", "lease_owner": None, "lease_expires_at": None,
            "ai_retry_at": None,
        })
        store.orders.insert_phase_durations(db, order_id, tier.name, durations)
    log.info("order %s completed", order["order_number"])
    return "completed"


def _still_ours(db: sqlite_utils.Database, order_id: int, owner: str) -> bool:
    current = store.orders.get(db, order_id)
    return bool(current and current["status"] == "processing" and current["lease_owner"] == owner)
