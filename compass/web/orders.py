"""The order form and placing an order."""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import lifecycle, payments, ratelimit, store
from compass.intake import (
    AI_COMFORT,
    BUDGETS,
    COMPANY_SIZES,
    DATA_LOCATIONS,
    READINESS_FIELDS,
    TIMELINES,
    OrderInput,
    field_errors,
)
from compass.tiers import TIERS
from compass.web import proof
from compass.web.common import (
    CSRF_FIELD,
    client_ip,
    csrf_failed,
    csrf_valid,
    not_found,
    render,
    state,
)

log = logging.getLogger(__name__)

FIELDS = ("company_name", "contact_name", "email", "company_website", "industry",
          "company_size", "prompt", "pain_point", "tier", *READINESS_FIELDS)
# Longest value kept when re-showing a form (pydantic states the real limits).
_ECHO_LIMIT = 5000


# How the error summary names each field (the same words as the form's labels).
LABELS = {"company_name": "Company name", "contact_name": "Your name", "email": "Email",
          "company_website": "Website", "industry": "Industry", "company_size": "Company size",
          "prompt": "What your business does", "pain_point": "Biggest pain point",
          "tier": "Report", "altcha": "Automatic check",
          "systems_in_use": "Systems and tools you use",
          "data_location": "Where your data lives", "ai_comfort": "Your team and AI tools",
          "tool_budget": "Budget for tools", "timeline": "How soon",
          "pain_hours_per_week": "Hours a week", "pain_people": "People involved",
          "pain_cost_per_hour": "Cost per hour"}


def form_context(values: dict, errors: dict[str, str] | None = None, **extra: object) -> dict:
    return {"values": values, "errors": errors or {}, "sizes": COMPANY_SIZES,
            "labels": LABELS, "data_locations": DATA_LOCATIONS, "ai_comfort": AI_COMFORT,
            "budgets": BUDGETS, "timelines": TIMELINES} | extra


def _form_page(request: Request, values: dict, errors: dict[str, str] | None = None, *,
               status_code: int = 200, notice: str | None = None) -> Response:
    return render(request, "order_form.html", form_context(values, errors, notice=notice),
                  status_code=status_code)


async def new_order(request: Request) -> Response:
    values: dict = {}
    if request.query_params.get("again"):
        # "Order again" from the dashboard: the signed-in customer's latest answers.
        from compass.web.accounts import order_again_values

        values = order_again_values(request)
    tier = request.query_params.get("tier") or values.get("tier") or "standard"
    return _form_page(request, values | {"tier": tier if tier in TIERS else "standard"})


async def create_order(request: Request) -> Response:
    app = state(request)
    form = await request.form()
    values = {name: str(form.get(name) or "")[:_ECHO_LIMIT] for name in FIELDS}
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
        return _form_page(request, values, errors, status_code=422)
    assert tier is not None
    if not ratelimit.hit(app.db, ratelimit.ORDERS_PER_IP, client_ip(request)):
        return render(request, "rate_limited.html", status_code=429,
                      headers={"Retry-After": "3600"})
    order = lifecycle.create_order(app.db, order_input, tier)
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
