"""Coming back from checkout, and the development checkout that stands in for Stripe."""

from __future__ import annotations

import json
import logging

import httpx
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import lifecycle, payments, store
from compass.web.common import (
    CSRF_FIELD,
    csrf_failed,
    csrf_valid,
    not_found,
    order_form_page,
    render,
    state,
)

log = logging.getLogger(__name__)


async def success(request: Request) -> Response:
    """Fulfil if the webhook has not yet (the customer may beat it here), then show status."""
    app = state(request)
    session_id = request.query_params.get("session_id", "")
    payment = store.payments.by_session(app.db, session_id) if session_id else None
    if payment is None:
        return not_found(request)
    order = store.orders.get(app.db, payment["order_id"])
    assert order is not None
    if order["status"] == "payment_pending":
        try:
            session = await app.gateway.retrieve_session(session_id)
        except payments.CheckoutError:
            log.exception("could not read checkout session for order %s", order["order_number"])
        else:
            # Only a completed session says anything about the payment: an open one is a
            # customer who came here without paying (a typed URL, a back button).
            if session.get("status") == "complete":
                payments.fulfil(app.db, session)
    return RedirectResponse(f"/status/{order['public_id']}", status_code=303)


async def cancel(request: Request) -> Response:
    """Back to the form with the answers kept; nothing was charged."""
    app = state(request)
    public_id = request.query_params.get("order", "")
    order = store.orders.by_public_id(app.db, public_id) if public_id else None
    values: dict = {"tier": "standard"}
    if order is not None and order["status"] == "payment_pending":
        values = lifecycle.order_input_of(order).model_dump() | {"tier": order["tier"]}
    else:
        order = None
    notice = ("Payment cancelled — nothing was charged. Your answers are below if you want to "
              "try again." if order else "Nothing was charged. Fill in the form to order a report.")
    return order_form_page(request, values, cancelled_order=order, notice=notice)


# -- development checkout -----------------------------------------------------------------------

def _dev_gateway(request: Request) -> payments.DevCheckout | None:
    gateway = state(request).gateway
    return gateway if isinstance(gateway, payments.DevCheckout) else None


async def _dev_session(request: Request) -> dict | None:
    gateway = _dev_gateway(request)
    if gateway is None:
        return None
    try:
        return await gateway.retrieve_session(request.path_params["session_id"])
    except payments.CheckoutError:
        return None


async def dev_checkout_page(request: Request) -> Response:
    session = await _dev_session(request)
    if session is None:
        return not_found(request)
    return render(request, "dev_checkout.html", {"session": session, "error": None})


async def dev_checkout_pay(request: Request) -> Response:
    session = await _dev_session(request)
    gateway = _dev_gateway(request)
    if session is None or gateway is None:
        return not_found(request)
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    card_number = str(form.get("card_number") or "")[:40]
    try:
        event = gateway.pay(session["id"], card_number)
    except (payments.CardDeclined, payments.CheckoutError) as exc:
        return render(request, "dev_checkout.html",
                      {"session": session, "error": str(exc), "card_number": card_number},
                      status_code=402)
    await _deliver_webhook(request, event)
    return RedirectResponse(f"/checkout/success?session_id={session['id']}", status_code=303)


async def _deliver_webhook(request: Request, event: dict) -> None:
    """Send the signed event to our own webhook endpoint, through the whole app, as Stripe would."""
    app = state(request)
    payload = json.dumps(event)
    signature = payments.sign_payload(payload, payments.webhook_secret(app.settings))
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://stripe.internal") as client:
        response = await client.post("/api/webhooks/stripe", content=payload, headers={
            "Stripe-Signature": signature, "Content-Type": "application/json"})
    if response.status_code != 200:
        # The success page fulfils anyway; this only means the webhook path misbehaved.
        log.error("dev checkout webhook delivery answered %s", response.status_code)
