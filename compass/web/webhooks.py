"""Stripe's webhook: verify, record once, apply."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compass import payments
from compass.web.common import state

log = logging.getLogger(__name__)

MAX_BODY = 512 * 1024  # Stripe events are a few kilobytes


async def stripe_webhook(request: Request) -> Response:
    app = state(request)
    declared = request.headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    payload = await request.body()
    if len(payload) > MAX_BODY:
        return JSONResponse({"error": "payload too large"}, status_code=413)
    try:
        event = payments.verify_event(payload, request.headers.get("stripe-signature"),
                                      payments.webhook_secret(app.settings))
    except payments.BadSignature as exc:
        log.warning("rejected a webhook: %s", exc)
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    outcome = payments.handle_event(app.db, event)
    return JSONResponse({"received": True, "outcome": outcome})
