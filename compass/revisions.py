"""Premium's included revision: asking for it, running it, keeping every version.

A revision row is written when the customer asks (queued); the worker's job claims it
(running), reruns the proposal with the customer's notes (compass.engine.revision), and
in one transaction stores the new version and makes it the order's report. The report
as it was before is kept on the row (`base_result_json`), so every version can be shown
again. A revision that fails leaves the report untouched and does not use up the
customer's revision. Nothing here knows about HTTP.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from compass import clock, lifecycle, outage, store
from compass.settings import Settings
from compass.tiers import get_tier

log = logging.getLogger(__name__)

NOTES_MIN, NOTES_MAX = 10, 4000
# A running revision whose worker has said nothing for this long is taken over.
STALE_AFTER = dt.timedelta(minutes=10)

Reviser = Callable[..., Awaitable[dict]]
class RevisionNotAllowed(Exception):
    """The order cannot be revised now; the message is for the customer."""


@dataclass(frozen=True)
class Allowance:
    included: int
    used: int
    active: dict | None
    why_not: str

    @property
    def can_request(self) -> bool:
        return not self.why_not


def allowance(db: sqlite_utils.Database, order: dict) -> Allowance:
    """How many revisions the order's tier includes, how many are used, and whether one can
    be asked for now (with the reason in words when not)."""
    included = get_tier(order["tier"]).revisions
    rows = store.revisions.for_order(db, order["id"])
    used = sum(1 for r in rows if r["status"] in ("queued", "running", "completed"))
    active = next((r for r in rows if r["status"] in ("queued", "running")), None)
    why = ""
    if included == 0:
        why = (f"The {get_tier(order['tier']).label} report does not include a revision; the "
               "Premium report includes one.")
    elif order["status"] != "completed":
        why = "A revision can be asked for once the report is ready (and not refunded)."
    elif active is not None:
        why = "Your revision is being prepared."
    elif used >= included:
        why = "You have used the revision this report includes."
    elif store.refunds.live_for_order(db, order["id"]) is not None:
        why = "A refund has been asked for this order, so it cannot be revised."
    return Allowance(included=included, used=used, active=active, why_not=why)


def request_revision(db: sqlite_utils.Database, order_id: int,
                     notes: str) -> tuple[dict, bool]:
    """Record the customer's notes as a queued revision: (the row, whether it is new).

    A second request while one is under way (a double-submitted form) returns that one;
    the caller queues the job only for a new row.
    """
    notes = notes.strip()
    if len(notes) < NOTES_MIN:
        raise RevisionNotAllowed(f"Please describe what to change in at least {NOTES_MIN} "
                                 "characters.")
    if len(notes) > NOTES_MAX:
        raise RevisionNotAllowed(f"Please keep your notes under {NOTES_MAX} characters.")
    with store.transaction(db):
        order = store.orders.get(db, order_id)
        if order is None:
            raise RevisionNotAllowed("This order does not exist.")
        verdict = allowance(db, order)
        if verdict.active is not None:
            return verdict.active, False
        if not verdict.can_request:
            raise RevisionNotAllowed(verdict.why_not)
        number = len(store.revisions.for_order(db, order_id)) + 1
        revision_id = store.revisions.insert(db, order_id=order_id, number=number, notes=notes,
                                             base_result_json=order["result_json"])
        row = store.revisions.get(db, revision_id)
    assert row is not None
    log.info("order %s: revision %d requested", order["order_number"], number)
    return row, True


def run_id_for(order: dict, revision: dict) -> str:
    # Stable per revision: a rerun after a crash resumes from the call ledger.
    return f"revision-{order['public_id']}-{revision['number']}"


async def run_revision(db: sqlite_utils.Database, revision_id: int, *, provider: Any,
                       reviser: Reviser | None = None,
                       now: dt.datetime | None = None) -> str:
    """Run one revision to completed or failed; returns what happened (for logs and tests)."""
    if reviser is None:
        from compass.engine.revision import revise_proposal

        reviser = revise_proposal
    from compass.engine import EngineFailed

    now = now or clock.now()
    with store.transaction(db):
        revision = store.revisions.get(db, revision_id)
        if revision is None:
            return "missing"
        if not store.revisions.claim(db, revision_id, now=clock.now_iso(),
                                     stale_before=clock.iso(now - STALE_AFTER)):
            return f"not_runnable:{revision['status']}"
        order = store.orders.get(db, revision["order_id"])
    assert order is not None
    if order["status"] != "completed":
        _fail(db, revision_id, f"the order is {order['status']}")
        return "failed"
    if outage.current(db) is not None:
        # The API refuses our account (compass.outage): wait, queued, for the probe.
        with store.transaction(db):
            store.revisions.update(db, revision_id, status="queued")
        return "held"

    def heartbeat(percent: int, phase: str, label: str) -> None:
        store.revisions.update(db, revision_id, status="running")  # keeps it from going stale

    try:
        result = await reviser(
            json.loads(revision["base_result_json"]), revision["notes"],
            lifecycle.order_input_of(order), get_tier(order["tier"]), provider=provider,
            db=db, run_id=run_id_for(order, revision), order_id=order["id"],
            revision_number=revision["number"], progress=heartbeat)
    except EngineFailed as exc:
        if getattr(exc, "systemic", False):
            # Our outage, not the revision's failure: queued again, resumed by the probe.
            with store.transaction(db):
                outage.report_systemic(
                    db, kind=exc.kind, status=getattr(exc.__cause__, "status", None),
                    message=str(exc.__cause__ or exc.reason),
                    model=outage.model_for_tier(order["tier"]))
                store.revisions.update(db, revision_id, status="queued",
                                       failure_reason=str(exc)[:2000])
            return "held"
        if getattr(exc, "retryable", False):
            with store.transaction(db):
                store.revisions.update(db, revision_id, status="queued",
                                       failure_reason=str(exc)[:2000])
            raise
        _fail(db, revision_id, getattr(exc, "reason", str(exc)))
        return "failed"
    with store.transaction(db):
        current = store.orders.get(db, order["id"])
        if current is None or current["status"] != "completed":
            store.revisions.update(db, revision_id, status="failed",
                                   failure_reason="the order was refunded meanwhile",
                                   completed_at=clock.now_iso())
            return "failed"
        encoded = json.dumps(result)
        store.revisions.update(db, revision_id, status="completed", result_json=encoded,
                               completed_at=clock.now_iso(), failure_reason=None)
        store.orders.set_result(db, order["id"], encoded)
    log.info("order %s: revision %d completed", order["order_number"], revision["number"])
    return "completed"


def _fail(db: sqlite_utils.Database, revision_id: int, reason: str) -> None:
    with store.transaction(db):
        store.revisions.update(db, revision_id, status="failed", failure_reason=reason[:2000],
                               completed_at=clock.now_iso())
    log.warning("revision %s failed: %s", revision_id, reason)



def history(db: sqlite_utils.Database, order: dict) -> list[dict]:
    """The order's revision requests, newest first, for the revision page."""
    return list(reversed(store.revisions.for_order(db, order["id"])))


@dataclass(frozen=True)
class Version:
    number: int
    label: str
    result: dict
    created_at: str
    current: bool


def versions(db: sqlite_utils.Database, order: dict) -> list[Version]:
    """Every version of the order's report, oldest first; the last is the current one."""
    found: list[Version] = []
    completed = [r for r in store.revisions.for_order(db, order["id"])
                 if r["status"] == "completed" and r["result_json"]]
    if completed:
        first = json.loads(completed[0]["base_result_json"])
        found.append(Version(1, "Original report", first,
                             first.get("generated_at") or order["completed_at"] or "", False))
        for revision in completed:
            result = json.loads(revision["result_json"])
            found.append(Version(len(found) + 1, f"Revision {revision['number']}", result,
                                 revision["completed_at"] or "", False))
    elif order.get("result_json"):
        result = json.loads(order["result_json"])
        found.append(Version(1, "Original report", result,
                             result.get("generated_at") or order["completed_at"] or "", False))
    if found:
        last = found[-1]
        found[-1] = Version(last.number, last.label, last.result, last.created_at, True)
    return found


def deliver(db: sqlite_utils.Database, settings: Settings, revision_id: int) -> None:
    """The completed revision's PDF (the next report version) and its email (worker only)."""
    revision = store.revisions.get(db, revision_id)
    order = store.orders.get(db, revision["order_id"]) if revision else None
    if revision is None or order is None or revision["status"] != "completed":
        return
    from compass import documents, notifications

    try:
        documents.store_report_pdf(db, order, settings)
    except Exception:
        # The browser version is already the new one; the email job renders it if missing.
        log.exception("order %s: could not render the revised PDF", order["order_number"])
    with store.transaction(db):
        # Once per order (one revision is included); queued when this commits.
        notifications.queue_order_email(db, order, "revision_ready", {
            "notes": revision["notes"], "revision_number": revision["number"],
            "revision_url": f"{settings.BASE_URL.rstrip('/')}/orders/{order['public_id']}"
                            "/revision"})
