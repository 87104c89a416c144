"""The reconciler: finds work that fell through the cracks and puts it back on its way.

The database is the truth and the queue only a wake-up call, so anything the queue lost
(a crash between commit and enqueue, a worker killed mid-order, a deploy) is visible in
the orders table. Each function here is idempotent and safe to run twice at once:

- a re-enqueued order is only run by whoever takes its lease (a duplicate task finds it
  leased or finished and returns);
- expiry is a compare-and-set transition (`lifecycle.transition` raises for the loser);
- emails are unique per order and kind, or per day and recipient.

jobs/reconciler.py runs these on a schedule inside the worker; `compass reconcile` runs
them by hand. SQL here is read-only selection; every change goes through the lifecycle
and notification modules.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sqlite_utils

from compass import db as store
from compass import lifecycle
from compass.tiers import TIERS

log = logging.getLogger(__name__)

# A paid order gets its first wake-up call at payment; give it this long before assuming
# that call was lost (a normal queue wait is seconds, a busy one is visible as pending).
ORPHAN_GRACE_SECONDS = 60
ABANDONED_CHECKOUT_HOURS = 24

Enqueue = Callable[[int, str], None]



def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    now = now or _now()
    now_iso, quiet = store.iso(now), store.iso(now - dt.timedelta(seconds=grace_seconds))
    return list(db.query(
        "SELECT id, public_id, order_number, tier, status, lease_owner, lease_expires_at"
        " FROM orders WHERE status IN ('paid', 'processing')"
        " AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < :now)"
        " AND updated_at < :quiet ORDER BY id",
        {"now": now_iso, "quiet": quiet}))


def requeue_orphans(db: sqlite_utils.Database, enqueue: Enqueue, *,
                    already_queued: Iterable[int] = (), now: dt.datetime | None = None,
                    grace_seconds: float = ORPHAN_GRACE_SECONDS) -> list[str]:
    """Wake the worker for every orphaned order that has no task waiting in the queue."""
    waiting = set(already_queued)
    done = []
    for order in orphaned_orders(db, now=now, grace_seconds=grace_seconds):
        if order["id"] in waiting:
            continue
        enqueue(order["id"], order["tier"])
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
    before = store.iso((now or _now()) - dt.timedelta(hours=after_hours))
    rows = list(db.query(
        "SELECT o.id, o.order_number FROM orders o WHERE o.status = 'payment_pending'"
        " AND o.created_at < :before AND NOT EXISTS (SELECT 1 FROM payments p"
        "   WHERE p.order_id = o.id AND (p.status IN ('processing', 'succeeded')"
        "        OR p.created_at >= :before)) ORDER BY o.id", {"before": before}))
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
    now = now or _now()
    found: list[dict] = []
    for tier in TIERS.values():
        cutoff = store.iso(now - dt.timedelta(hours=tier.delivery_hours / 2))
        found += db.query(
            "SELECT * FROM orders o WHERE o.tier = :tier AND o.status IN ('paid', 'processing')"
            " AND o.paid_at < :cutoff AND NOT EXISTS (SELECT 1 FROM emails e"
            "   WHERE e.order_id = o.id AND e.kind = 'still_processing') ORDER BY o.id",
            {"tier": tier.name, "cutoff": cutoff})
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
    for order in db.query("SELECT id, order_number, lease_owner FROM orders"
                          " WHERE lease_owner IS NOT NULL AND status IN ('paid', 'processing')"):
        owner_host, _, rest = order["lease_owner"].partition(":")
        pid_text = rest.partition(":")[0]
        if owner_host != host or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid == my_pid or alive(pid):
            continue
        with store.transaction(db):
            store.release_order_lease(db, order["id"], order["lease_owner"])
        released.append(order["order_number"])
    if released:
        log.warning("released leases of dead workers: %s", ", ".join(released))
    return released


def release_process_leases(db: sqlite_utils.Database, *, host: str, pid: int) -> list[str]:
    """At shutdown: give back every lease this process holds (its orders resume on the
    next worker at once, from the AI call ledger)."""
    prefix = f"{host}:{pid}:"
    rows = list(db.query("SELECT id, order_number, lease_owner FROM orders"
                         " WHERE substr(lease_owner, 1, :n) = :prefix",
                         {"n": len(prefix), "prefix": prefix}))
    for row in rows:
        with store.transaction(db):
            store.release_order_lease(db, row["id"], row["lease_owner"])
    return [row["order_number"] for row in rows]
