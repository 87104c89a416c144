"""The refund page of an order: the rules, a reason, a confirmation, the outcome.

Only the signed-in owner reaches it; anyone else gets the same 404 as for an order that
does not exist. An approved refund is made while the customer waits (usually a second);
if Stripe is slow the page says so and the worker finishes it.
"""

from __future__ import annotations

import json
import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import refunds
from compass.tiers import get_tier
from compass.web.auth import owner_order
from compass.web.common import CSRF_FIELD, csrf_failed, csrf_valid, render, state

log = logging.getLogger(__name__)


def _page(request: Request, order: dict, *, status_code: int = 200, **extra: object) -> Response:
    db = state(request).db
    refund = refunds.refund_for_order(db, order["id"])
    context = {
        "order": order, "tier": get_tier(order["tier"]), "refund": refund,
        "rules": [refunds.Rule(**r) for r in json.loads(refund["rules_json"])]
        if refund else [],
        "eligibility": refunds.eligibility(db, order) if refund is None or
        refund["status"] == "denied" else None,
        "rule_words": refunds.RULE_WORDS, "reason": "", "error": None,
    } | extra
    return render(request, "refunds/refund.html", context, status_code=status_code,
                  headers={"Cache-Control": "no-store"})


async def refund_page(request: Request) -> Response:
    order = owner_order(request)
    if isinstance(order, Response):
        return order
    return _page(request, order)


async def refund_submit(request: Request) -> Response:
    app = state(request)
    order = owner_order(request)
    if isinstance(order, Response):
        return order
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    reason = str(form.get("reason") or "")[:refunds.REASON_MAX + 100].strip()
    errors = []
    if len(reason) < 3:
        errors.append("Tell us in a few words why you want a refund.")
    elif len(reason) > refunds.REASON_MAX:
        errors.append(f"Please keep the reason under {refunds.REASON_MAX} characters.")
    if form.get("confirm") != "yes":
        errors.append("Tick the box to confirm: a refunded report can no longer be downloaded.")
    if errors:
        return _page(request, order, status_code=422, reason=reason, error=" ".join(errors))
    try:
        refund = refunds.request_refund(app.db, order["id"], customer_id=order["customer_id"],
                                        reason=reason)
    except refunds.RefundNotAllowed as exc:
        return _page(request, order, status_code=409, reason=reason, error=str(exc))
    if refund["status"] == "processing":
        # Made now, while the customer waits; a failure here is retried by the worker.
        try:
            await refunds.process(app.db, app.settings, refund["id"])
        except Exception:
            log.exception("refund %s: first attempt failed; the worker will retry", refund["id"])
    return RedirectResponse(f"/orders/{order['public_id']}/refund", status_code=303)
