"""The web process: `uvicorn app:app`. Routes, middleware and start-up in one place."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from compass import db as store
from compass import payments
from compass.payments import Enqueue
from compass.settings import Settings, get_settings
from compass.web import checkout, orders, pages, status, webhooks
from compass.web.common import ROOT, AppState, error_page, not_found
from compass.web.security import SecurityHeaders

log = logging.getLogger("compass.web")


def _queue_enqueue(order_id: int, tier: str) -> None:
    from jobs import enqueue_order  # imported late: it opens the queue file from settings

    enqueue_order(order_id, tier)


def routes(settings: Settings) -> list[Route | Mount]:
    found = [
        # The polled status endpoints first: routes are matched in order.
        Route("/status/{public_id}/progress", status.progress_fragment),
        Route("/api/orders/{public_id}/status", status.status_json),
        Route("/status/{public_id}", status.status_page),
        Route("/", pages.home),
        Route("/terms", pages.terms),
        Route("/privacy", pages.privacy),
        Route("/refund-policy", pages.refund_policy),
        Route("/healthz", pages.healthz),
        Route("/order/new", orders.new_order),
        Route("/orders", orders.create_order, methods=["POST"]),
        Route("/orders/{public_id}/checkout", orders.retry_checkout, methods=["POST"]),
        Route("/orders/{public_id}/report", status.report_page),
        Route("/checkout/success", checkout.success),
        Route("/checkout/cancel", checkout.cancel),
        Route("/api/webhooks/stripe", webhooks.stripe_webhook, methods=["POST"]),
        Mount("/static", StaticFiles(directory=ROOT / "static"), name="static"),
    ]
    if not settings.is_production:
        # Development only: in production these paths do not exist (404).
        found += [
            Route("/dev/checkout/{session_id}", checkout.dev_checkout_page),
            Route("/dev/checkout/{session_id}", checkout.dev_checkout_pay, methods=["POST"]),
        ]
    return found


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return not_found(request)
    if exc.status_code == 405:
        return error_page(request, 405, "Not allowed", "That page cannot be used this way.")
    return error_page(request, exc.status_code, "Something is not right", str(exc.detail))


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500, "Sorry, something went wrong",
                      "The error has been logged. Nothing you entered was charged twice; "
                      "please try again in a minute.")


def create_app(settings: Settings | None = None, *, enqueue: Enqueue | None = None) -> Starlette:
    """The app. Settings are read and the database opened at start-up, not at import."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = settings or get_settings()
        db = store.open_database(current.db_path)
        app.state.compass = AppState(settings=current, db=db,
                                     gateway=payments.checkout_gateway(current, db),
                                     enqueue=enqueue or _queue_enqueue)
        try:
            yield
        finally:
            db.conn.close()

    current = settings or get_settings()
    return Starlette(
        routes=routes(current),
        middleware=[Middleware(SecurityHeaders, production=current.is_production)],
        exception_handlers={HTTPException: _http_error, 500: _server_error},
        lifespan=lifespan,
    )


app = create_app()
