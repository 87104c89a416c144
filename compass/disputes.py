"""Disputes (chargebacks): recorded, the operator told at once, the evidence gathered.

A dispute has a deadline (Stripe's `evidence_details.due_by`) after which the bank decides
without us, and the product holds strong evidence: what the customer asked for, when they
paid, when the report was delivered and downloaded, which emails went out. So each
`charge.dispute.*` event updates one `disputes` row and the order's `dispute_status`, and a
new dispute emails every admin at once with the deadline and a link to the order, whose
admin page offers the evidence bundle as a download. Nothing here knows HTTP.

Dispute object fields used (https://docs.stripe.com/api/disputes/object): id, amount,
currency, charge, payment_intent, reason, status, evidence_details.due_by (Unix time; 0 or
null when the bank allows no response).
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import sqlite_utils

from compass import clock, notifications, store, templating
from compass.settings import Settings, get_settings

log = logging.getLogger(__name__)

CLOSED = frozenset({"won", "lost", "warning_closed", "prevented"})
EVENTS = frozenset({"charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed"})


def _due_by(dispute: dict) -> str | None:
    due = (dispute.get("evidence_details") or {}).get("due_by")
    if not isinstance(due, int | float) or due <= 0:
        return None
    return clock.iso(dt.datetime.fromtimestamp(due, dt.UTC))


def _id(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) else None


def record(db: sqlite_utils.Database, event_type: str, dispute: dict) -> tuple[str, int | None]:
    """Apply one dispute event (inside the webhook's transaction): (outcome, order id)."""
    dispute_id = _id(dispute)
    if dispute_id is None:
        return "malformed_dispute", None
    intent = _id(dispute.get("payment_intent"))
    payment = store.payments.by_intent(db, intent) if intent else None
    order = store.orders.get(db, payment["order_id"]) if payment else None
    before = store.disputes.get(db, dispute_id)
    status = str(dispute.get("status") or ("lost" if event_type.endswith("closed")
                                            else "needs_response"))
    fields: dict[str, object] = {
        "stripe_dispute_id": dispute_id, "order_id": order["id"] if order else None,
        "payment_id": payment["id"] if payment else None,
        "charge_id": _id(dispute.get("charge")), "payment_intent_id": intent,
        "amount_cents": int(dispute.get("amount") or 0),
        "currency": str(dispute.get("currency") or "usd").lower(),
        "reason": str(dispute.get("reason") or ""), "status": status,
        "evidence_due_by": _due_by(dispute),
    }
    if status in CLOSED:
        fields["closed_at"] = (before or {}).get("closed_at") or clock.now_iso()
    store.disputes.upsert(db, **fields)
    if order is not None:
        store.orders.set_dispute_status(db, order["id"], status)
    row = store.disputes.get(db, dispute_id)
    assert row is not None
    if before is None:
        _tell_admins(db, "dispute_opened", row, order)
    if status in CLOSED and (before is None or before["status"] not in CLOSED):
        _tell_admins(db, "dispute_closed", row, order)
    log.error("order %s: dispute %s is %s (%s), evidence due %s",
              order["order_number"] if order else "?", dispute_id, status, fields["reason"],
              fields["evidence_due_by"] or "-")
    return (f"dispute_{status}" if order else "dispute_unknown_payment"), (
        order["id"] if order else None)


def _tell_admins(db: sqlite_utils.Database, kind: str, dispute: dict,
                 order: dict | None, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    base = settings.BASE_URL.rstrip("/")
    due = dispute["evidence_due_by"]
    context = {
        "order_number": order["order_number"] if order else "(no order found)",
        "amount": templating.money(dispute["amount_cents"], dispute["currency"]),
        "reason": dispute["reason"].replace("_", " ") or "not given",
        "status": dispute["status"].replace("_", " "),
        "due_by": (due[:16].replace("T", " ") + " UTC") if due else "no response allowed",
        "stripe_dispute_id": dispute["stripe_dispute_id"],
        "admin_url": f"{base}/admin/orders/{order['public_id']}" if order else f"{base}/admin",
        "evidence_url": f"{base}/admin/orders/{order['public_id']}/evidence" if order else "",
    }
    if not settings.admin_emails:
        log.error("dispute %s: no ADMIN_EMAILS to tell", dispute["stripe_dispute_id"])
    for admin in sorted(settings.admin_emails):
        notifications.queue_account_email(
            db, kind=kind, to=admin, context=context,
            key=f"{dispute['stripe_dispute_id']}:{admin}")


def evidence_bundle(db: sqlite_utils.Database, order: dict) -> dict:
    """What the product knows that answers a dispute, as one JSON-ready document: what was
    ordered and by whom, the payment, delivery and downloads, emails sent, the timeline."""
    customer = store.customers.get(db, order["customer_id"]) if order["customer_id"] else None
    try:
        answers = json.loads(order["input_json"])
    except ValueError:
        answers = {}
    return {
        "order": {k: order.get(k) for k in (
            "order_number", "public_id", "tier", "status", "amount_cents", "currency",
            "created_at", "paid_at", "started_at", "completed_at", "downloads_count",
            "dispute_status")},
        "customer": {k: (customer or {}).get(k) for k in ("email", "name", "company_name",
                                                            "created_at")},
        "what_they_asked_for": answers,
        "payments": [{k: p[k] for k in ("checkout_session_id", "payment_intent_id", "status",
                                         "amount_cents", "currency", "created_at",
                                         "updated_at")}
                     for p in store.payments.for_order(db, order["id"])],
        "delivery": {
            "report_versions": [{k: v.get(k) for k in ("version", "created_at")}
                                for v in store.reports.versions(db, order["id"])],
            "report_url": f"{get_settings().BASE_URL.rstrip('/')}/orders/{order['public_id']}"
                          "/report",
            "downloads_count": order.get("downloads_count"),
            "last_downloaded_at": order.get("last_downloaded_at"),
        },
        "emails_sent": [{k: e[k] for k in ("kind", "to_address", "status", "sent_at")}
                        for e in store.insights.order_detail(db, order)["emails"]],
        "timeline": [{k: e[k] for k in ("created_at", "from_status", "to_status", "reason")}
                     for e in store.orders.events(db, order["id"])],
        "refunds": [{k: r[k] for k in ("kind", "status", "amount_cents", "requested_at",
                                        "completed_at")}
                    for r in store.refunds.for_order(db, order["id"])],
        "disputes": store.disputes.for_order(db, order["id"]),
    }
