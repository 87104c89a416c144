"""The reconciler: finds work that fell through the cracks and puts it back on its way.

The database is the truth and the queue only a wake-up call, so anything the queue lost
(a crash between commit and enqueue, a worker killed mid-order, a deploy) is visible in
the orders table. Each function here is idempotent and safe to run twice at once:

- a re-enqueued order is only run by whoever takes its lease (a duplicate task finds it
  leased or finished and returns);
- expiry is a compare-and-set transition (`lifecycle.transition` raises for the loser);
- emails are unique per order and kind, or per day and recipient.

jobs/reconciler.py runs these on a schedule inside the worker; `compass reconcile` runs
them by hand. The queries are compass.store.orders'; every change goes through the lifecycle
and notification modules.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlite_utils

from compass import clock, lifecycle, queue, store
from compass.tiers import TIERS

log = logging.getLogger(__name__)

# A paid order gets its first wake-up call at payment; give it this long before assuming
# that call was lost (a normal queue wait is seconds, a busy one is visible as pending).
ORPHAN_GRACE_SECONDS = 60
ABANDONED_CHECKOUT_HOURS = 24






@dataclass
class Report:
    requeued: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    still_processing: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return bool(self.requeued or self.expired or self.still_processing or self.released)


def orphaned_orders(db: sqlite_utils.Database, *, now: dt.datetime | None = None,
                    grace_seconds: float = ORPHAN_GRACE_SECONDS) -> list[dict]:
    """Orders that need the worker and that no live worker holds.

    paid and never started; processing whose lease expired (its worker died); processing
    with no lease (given back at shutdown or after a crash) — each quiet for `grace_seconds`.
    """
    now = now or clock.now()
    return store.orders.orphaned(
        db, now=clock.iso(now), quiet_since=clock.iso(now - dt.timedelta(seconds=grace_seconds)))


def requeue_orphans(db: sqlite_utils.Database, *,
                    already_queued: Iterable[int] = (), now: dt.datetime | None = None,
                    grace_seconds: float = ORPHAN_GRACE_SECONDS) -> list[str]:
    """Wake the worker for every orphaned order that has no task waiting in the queue."""
    waiting = set(already_queued)
    done = []
    for order in orphaned_orders(db, now=now, grace_seconds=grace_seconds):
        if order["id"] in waiting:
            continue
        queue.process_order(order["id"], order["tier"])
        log.warning("re-enqueued order %s (%s, lease %s until %s)", order["order_number"],
                    order["status"], order["lease_owner"] or "none",
                    order["lease_expires_at"] or "-")
        done.append(order["order_number"])
    return done


def expire_abandoned_checkouts(db: sqlite_utils.Database, *, now: dt.datetime | None = None,
                               after_hours: float = ABANDONED_CHECKOUT_HOURS) -> list[str]:
    """`payment_pending` for a day with no payment under way: the customer walked away.

    An order whose checkout was retried counts from its newest session; one with a
    payment that is processing (a bank debit) or succeeded is left to the webhook.
    """
    before = clock.iso((now or clock.now()) - dt.timedelta(hours=after_hours))
    rows = store.orders.abandoned_checkouts(db, before=before)
    expired = []
    for row in rows:
        try:
            with store.transaction(db):
                lifecycle.transition(db, row["id"], "expired",
                                     reason=f"checkout abandoned for {after_hours:g} h")
        except lifecycle.IllegalTransition:
            continue  # paid (or expired) meanwhile: the other writer won, as it should
        log.info("expired abandoned checkout %s", row["order_number"])
        expired.append(row["order_number"])
    return expired


def overdue_half_way(db: sqlite_utils.Database, *, now: dt.datetime | None = None) -> list[dict]:
    """Paid orders not delivered after half their tier's delivery time, not yet told so."""
    now = now or clock.now()
    found: list[dict] = []
    for tier in TIERS.values():
        cutoff = clock.iso(now - dt.timedelta(hours=tier.delivery_hours / 2))
        found += store.orders.undelivered_without_email(
            db, tier=tier.name, paid_before=cutoff, kind="still_processing")
    return sorted(found, key=lambda order: order["id"])


def send_still_processing(db: sqlite_utils.Database, *, now: dt.datetime | None = None
                          ) -> list[str]:
    """Queue the "still being prepared" email for each order past half its delivery time."""
    from compass import notifications  # delivery's email module

    sent = []
    for order in overdue_half_way(db, now=now):
        with store.transaction(db):
            # Unique per order and kind: a concurrent run gets None and sends nothing.
            if notifications.queue_still_processing(db, order) is not None:
                sent.append(order["order_number"])
    for number in sent:
        log.info("still-processing email queued for %s", number)
    return sent


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_leases(db: sqlite_utils.Database, *, host: str, my_pid: int,
                        alive: Callable[[int], bool] = _pid_alive) -> list[str]:
    """At worker start-up: give back leases held by this host's workers that no longer
    exist (a crash, or a deploy's SIGKILL), so their orders resume now rather than when
    the lease would have expired. Owners are "host:pid:random" (jobs.tasks.worker_id)."""
    released = []
    for order in store.orders.leased(db, runnable_only=True):
        owner_host, _, rest = order["lease_owner"].partition(":")
        pid_text = rest.partition(":")[0]
        if owner_host != host or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == my_pid or alive(pid):
            continue
        with store.transaction(db):
            store.orders.release_lease(db, order["id"], order["lease_owner"])
        released.append(order["order_number"])
    if released:
        log.warning("released leases of dead workers: %s", ", ".join(released))
    return released


def release_process_leases(db: sqlite_utils.Database, *, host: str, pid: int) -> list[str]:
    """At shutdown: give back every lease this process holds (its orders resume on the
    next worker at once, from the AI call ledger)."""
    prefix = f"{host}:{pid}:"
    rows = store.orders.leased(db, owner_prefix=prefix)
    for row in rows:
        with store.transaction(db):
            store.orders.release_lease(db, row["id"], row["lease_owner"])
    return [row["order_number"] for row in rows]
