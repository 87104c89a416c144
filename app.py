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

from compass import logs, payments, startup, store
from compass.settings import Settings, get_settings
from compass.templating import STATIC_DIR
from compass.web import (
    accounts,
    admin,
    checkout,
    ops,
    orders,
    pages,
    proof,
    refunds,
    reports,
    revisions,
    status,
    webhooks,
)
from compass.web.common import AppState, asgi_endpoint, error_page, not_found
from compass.web.limits import BodyLimits, ClientAddress
from compass.web.ops import RequestContext
from compass.web.security import SecurityHeaders

log = logging.getLogger("compass.web")


def routes(settings: Settings) -> list[Route | Mount]:
    found: list[Route | Mount] = [
        # The polled status endpoints first: routes are matched in order.
        Route("/status/{public_id}/progress", asgi_endpoint(status.progress_fragment),
              methods=["GET"]),
        Route("/api/orders/{public_id}/status", asgi_endpoint(status.status_json),
              methods=["GET"]),
        Route("/status/{public_id}", status.status_page),
        Route("/", pages.home),
        Route("/sample-report", pages.sample_report),
        Route("/sample-report.pdf", pages.sample_report_pdf),
        Route("/terms", pages.terms),
        Route("/privacy", pages.privacy),
        Route("/refund-policy", pages.refund_policy),
        Route("/healthz", pages.healthz),
        Route("/robots.txt", pages.robots_txt),
        Route("/favicon.ico", pages.favicon),
        Route("/readyz", ops.readyz),
        Route("/metrics", ops.metrics_endpoint),
        # The operator's pages: admins only, everyone else gets 404.
        Route("/admin", admin.dashboard),
        Route("/admin/orders", admin.orders_page),
        Route("/admin/orders/{public_id}", admin.order_page),
        Route("/admin/orders/{public_id}/retry", admin.retry, methods=["POST"]),
        Route("/admin/orders/{public_id}/resend", admin.resend, methods=["POST"]),
        Route("/admin/orders/{public_id}/refund", admin.refund, methods=["POST"]),
        Route("/admin/orders/{public_id}/evidence", admin.evidence),
        Route("/admin/refunds", admin.refunds_page),
        Route("/admin/export", admin.export_page),
        Route("/admin/export/{kind}.csv", admin.export_csv),
        Route("/admin/refunds/{refund_id:int}", admin.refund_decision, methods=["POST"]),
        Route("/order/new", orders.new_order),
        Route("/orders", orders.create_order, methods=["POST"]),
        Route("/orders/{public_id}/checkout", orders.retry_checkout, methods=["POST"]),
        Route("/orders/{public_id}/report", reports.report_page),
        Route("/orders/{public_id}/download", reports.download),
        Route("/orders/{public_id}/receipt", reports.receipt),
        Route("/orders/{public_id}/refund", refunds.refund_page),
        Route("/orders/{public_id}/refund", refunds.refund_submit, methods=["POST"]),
        Route("/orders/{public_id}/revision", revisions.revision_page),
        Route("/orders/{public_id}/revision", revisions.revision_submit, methods=["POST"]),
        Route("/orders/{public_id}/versions/{number}", revisions.version_page),
        Route("/login", accounts.login_page),
        Route("/login", accounts.login_submit, methods=["POST"]),
        Route("/login/{token}", accounts.login_link),
        Route("/login/{token}", accounts.login_link_submit, methods=["POST"]),
        Route("/logout", accounts.logout, methods=["POST"]),
        Route("/dashboard", accounts.dashboard),
        Route("/account", accounts.account_page),
        Route("/account", accounts.account_submit, methods=["POST"]),
        Route("/account/email/{token}", accounts.confirm_email),
        Route("/account/email/{token}", accounts.confirm_email_submit, methods=["POST"]),
        Route("/checkout/success", checkout.success),
        Route("/checkout/cancel", checkout.cancel),
        Route("/api/webhooks/stripe", webhooks.stripe_webhook, methods=["POST"]),
        Route("/altcha/challenge", proof.challenge),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    if not settings.is_production:
        # Development only: in production these paths do not exist (404).
        found += [
            Route("/dev/checkout/{session_id}", checkout.dev_checkout_page),
            Route("/dev/checkout/{session_id}", checkout.dev_checkout_pay, methods=["POST"]),
            Route("/dev/outbox", reports.outbox_list),
            Route("/dev/outbox/{name}", reports.outbox_message),
        ]
    return found


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        response = not_found(request)
    elif exc.status_code == 405:
        response = error_page(request, 405, "Not allowed", "That page cannot be used this way.")
    else:
        response = error_page(request, exc.status_code, "Something is not right",
                              str(exc.detail))
    # The exception's own headers belong to the answer: a 405 must say which methods the
    # page takes (RFC 9110 §15.5.6, `Allow`, which Starlette's router puts there).
    response.headers.update(exc.headers or {})
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_page(request, 500, "Sorry, something went wrong",
                      "The error has been logged. Nothing you entered was charged twice; "
                      "please try again in a minute.")


def create_app(settings: Settings | None = None) -> Starlette:
    """The app. Settings are read and the database opened at start-up, not at import."""
    startup.start_process()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = settings or get_settings()
        logs.configure("web", own_access_log=True)
        db = store.open_database(current.db_path)
        # A plain attribute: Starlette's State answers `app.state.compass` from __getattr__,
        # after a failed lookup that raises an AttributeError on every request.
        object.__setattr__(app.state, "compass", AppState(
            settings=current, db=db, gateway=payments.checkout_gateway(current, db)))
        try:
            yield
        finally:
            db.conn.close()

    current = settings or get_settings()
    return Starlette(
        routes=routes(current),
        # RequestContext outermost: its request id, access line, timing and security headers
        # cover everything (BodyLimits' refusals too). ClientAddress first: the access line
        # and the rate limits see the real client. BodyLimits before any handler reads a body.
        middleware=[Middleware(ClientAddress, fly=current.is_production,
                               trusted=current.FORWARDED_ALLOW_IPS),
                    Middleware(RequestContext,
                               security=SecurityHeaders(production=current.is_production)),
                    Middleware(BodyLimits, timeout=current.BODY_TIMEOUT_SECONDS)],
        exception_handlers={HTTPException: _http_error, 500: _server_error},
        lifespan=lifespan,
    )


app = create_app()
