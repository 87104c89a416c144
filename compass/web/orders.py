"""The order form and placing an order."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import accounts, lifecycle, payments, ratelimit, referrals, store
from compass.intake import (
    READINESS_FIELDS,
    OrderInput,
    field_errors,
)
from compass.tiers import TIERS
from compass.web import proof
from compass.web.auth import current_customer
from compass.web.common import (
    CSRF_FIELD,
    client_ip,
    csrf_failed,
    csrf_valid,
    not_found,
    order_form_page,
    render,
    state,
)

log = logging.getLogger(__name__)

FIELDS = ("company_name", "contact_name", "email", "company_website", "industry",
          "company_size", "prompt", "pain_point", "tier", *READINESS_FIELDS)
# Optional: the referral link's code (a hidden field) and a promotion code typed in.
DISCOUNT_FIELDS = ("referral_code", "promotion_code")
# Longest value kept when re-showing a form (pydantic states the real limits).
_ECHO_LIMIT = 5000


async def new_order(request: Request) -> Response:
    values: dict = {}
    # "Order again" from the dashboard: the signed-in customer's latest answers.
    if request.query_params.get("again") and (customer := current_customer(request)):
        values = accounts.order_again_values(state(request).db, customer)
    tier = request.query_params.get("tier") or values.get("tier") or "standard"
    values |= {"tier": tier if tier in TIERS else "standard"}
    # A referral link (/order/new?ref=CODE): the form carries the code; an unknown one is
    # simply not shown (the order is then at the full price).
    ref = request.query_params.get("ref", "")[:64]
    referrer = referrals.referrer_for_link(state(request).db, ref) if ref else None
    signed_in = current_customer(request)
    if referrer is not None and (signed_in is None or signed_in["id"] != referrer["id"]):
        values["referral_code"] = ref
    return order_form_page(request, values)


async def create_order(request: Request) -> Response:
    app = state(request)
    form = await request.form()
    values = {name: str(form.get(name) or "")[:_ECHO_LIMIT] for name in FIELDS}
    values |= {name: str(form.get(name) or "").strip()[:64] for name in DISCOUNT_FIELDS}
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    errors: dict[str, str] = {}
    if issue := proof.problem(request, form):
        errors["altcha"] = issue
    tier = TIERS.get(values["tier"])
    if tier is None:
        errors["tier"] = "Choose one of the three reports."
    try:
        order_input = OrderInput.model_validate(values)
    except ValidationError as exc:
        errors |= field_errors(exc)
    if errors:
        return order_form_page(request, values, errors, status_code=422)
    assert tier is not None
    if not ratelimit.hit(app.db, ratelimit.ORDERS_PER_IP, client_ip(request)):
        return render(request, "rate_limited.html", status_code=429,
                      headers={"Retry-After": "3600"})
    signed_in = current_customer(request)
    try:
        discount = await referrals.discount_for_order(
            app.db, referrals.promotions_for(app.settings, app.db), app.settings,
            email=order_input.email, signed_in_id=signed_in["id"] if signed_in else None,
            price_cents=tier.price_cents, currency="usd", referral=values["referral_code"],
            promotion_code=values["promotion_code"])
    except referrals.DiscountRefused as refused:
        # Shown beside the form with the answers kept; a refused referral link is dropped
        # from the form, so sending it again orders at the full price.
        kept = values | ({"referral_code": ""} if refused.field == "referral_code" else {})
        return order_form_page(request, kept, {refused.field: str(refused)}, status_code=422)
    except referrals.PromotionsUnavailable:
        log.exception("could not check the discount of an order")
        return order_form_page(request, values, {
            "promotion_code" if values["promotion_code"] else "referral_code":
                "We could not apply the discount just now. Please try again in a minute."},
            status_code=503)
    order = lifecycle.create_order(app.db, order_input, tier)
    order = referrals.attach(app.db, order, discount)
    return await _checkout_or_apology(request, order)


async def _checkout_or_apology(request: Request, order: dict) -> Response:
    app = state(request)
    try:
        created = await payments.start_checkout(app.db, app.gateway, order)
    except payments.PaymentUnderway:
        # Paid (or being paid) meanwhile from another tab: show the order, open nothing.
        return RedirectResponse(f"/status/{order['public_id']}", status_code=303)
    except payments.CheckoutLimited:
        return render(request, "checkout_error.html", {"order": order, "limited": True},
                      status_code=429, headers={"Retry-After": "600"})
    except payments.CheckoutError:
        # Logged by start_checkout; the order stays payment_pending and can be retried.
        return render(request, "checkout_error.html", {"order": order}, status_code=502)
    return RedirectResponse(created.url, status_code=303)


async def retry_checkout(request: Request) -> Response:
    """The apology page's retry button: a new Checkout Session for the same order."""
    app = state(request)
    form = await request.form()
    order = store.orders.by_public_id(app.db, request.path_params["public_id"])
    if order is None:
        return not_found(request)
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    if order["status"] != "payment_pending":
        return RedirectResponse(f"/status/{order['public_id']}", status_code=303)
    return await _checkout_or_apology(request, order)
