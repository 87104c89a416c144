"""Live status: the page, the HTMX progress fragment it polls, and the JSON API.

The public id in the URL is the capability (128 random bits); these views show the order
number, tier and progress only, never the customer's name, email or answers.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from compass import lifecycle, progress, store
from compass.tiers import get_tier
from compass.web.common import not_found, render, state


def _order(request: Request) -> dict | None:
    return store.orders.status_view(state(request).db, request.path_params["public_id"])


def _context(request: Request, order: dict) -> dict:
    return {
        "order": order,
        "tier": get_tier(order["tier"]),
        "active": order["status"] in lifecycle.ACTIVE,
        "status_words": progress.STATUS_WORDS.get(order["status"], order["status"]),
        "phase_words": progress.phase_words(order),
        # 100 % belongs to the finished report and its link, never to a running order.
        "percent": progress.shown_percent(state(request).db, order),
        "steps": progress.steps(order),
        "estimate": progress.estimate_words(
            progress.remaining_seconds(state(request).db, order)),
        "failure_words": progress.failure_words(order.get("failure_reason")),
    }


async def status_page(request: Request) -> Response:
    order = _order(request)
    if order is None:
        return not_found(request)
    return render(request, "status.html", _context(request, order),
                  headers={"Cache-Control": "no-store"})


# Every open status page polls every 2 s, and what it shows only changes when the order row
# does (or, once a phase overruns, as the estimate moves with the clock): rendered answers
# are kept per row version and second. Orders awaiting payment are not cached: their
# fragment carries the visitor's CSRF token.
_RENDERED: OrderedDict[tuple, tuple[bytes, tuple[tuple[bytes, bytes], ...]]] = OrderedDict()
_CACHE_SIZE = 4096
# No Cache-Control of their own: SecurityHeaders makes every answer under /status/ and /api/
# "private, no-store" (tests/test_web_identity.py), and a header list it has nothing to
# merge into is the cheapest to send.


class _Rendered(Response):
    """An answer built before: its body and encoded headers are sent as they are (making a
    Response encodes every header again, a measurable share of answering a poll)."""

    def __init__(self, body: bytes, raw_headers: tuple[tuple[bytes, bytes], ...]) -> None:
        self.status_code = 200
        self.background = None
        self.body = body
        self.raw_headers = list(raw_headers)


def _cached(kind: str, order: dict, build: Callable[[], Response]) -> Response:
    key = (kind, order["public_id"], order["updated_at"], order["status"], int(time.time()))
    rendered = _RENDERED.get(key)
    if rendered is None:
        response = build()
        rendered = _RENDERED[key] = (bytes(response.body), tuple(response.raw_headers))
        while len(_RENDERED) > _CACHE_SIZE:
            _RENDERED.popitem(last=False)
    return _Rendered(*rendered)


async def progress_fragment(request: Request) -> Response:
    order = _order(request)
    if order is None:
        # htmx does not swap 4xx answers, so a stale page simply stops changing.
        return not_found(request)
    if order["status"] == "payment_pending":
        return render(request, "partials/progress.html", _context(request, order))
    return _cached("fragment", order, lambda: HTMLResponse(
        render(request, "partials/progress.html", _context(request, order)).body))


def _status_document(request: Request, order: dict) -> Response:
    return Response(json.dumps({
        "order_id": order["public_id"],
        "order_number": order["order_number"],
        "status": order["status"],
        "phase": order["phase"],
        "phase_label": progress.phase_words(order),
        "progress_percent": order["progress_percent"],
        "tier": order["tier"],
        "created_at": order["created_at"],
        "estimated_completion_time": progress.estimated_completion(state(request).db, order),
    }).encode(), media_type="application/json")


async def status_json(request: Request) -> Response:
    order = _order(request)
    if order is None:
        return JSONResponse({"error": "order not found"}, status_code=404)
    return _cached("json", order, lambda: _status_document(request, order))
