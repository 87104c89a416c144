"""What every handler shares: templates, the app's state, CSRF tokens and error pages."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from itsdangerous import BadSignature, Signer
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.templating import Jinja2Templates
from starlette.types import Receive, Scope, Send

from compass import clock
from compass.intake import AI_COMFORT, BUDGETS, COMPANY_SIZES, DATA_LOCATIONS, TIMELINES
from compass.money import FILTERS as REPORT_FILTERS
from compass.payments import CheckoutGateway
from compass.settings import Settings
from compass.templating import TEMPLATES_DIR, money
from compass.tiers import TIERS
from compass.web.security import is_private

templates = Jinja2Templates(directory=TEMPLATES_DIR)  # autoescape is on for .html
templates.env.globals["tiers"] = TIERS

CSRF_COOKIE = "compass_csrf"
CSRF_FIELD = "csrf_token"


@dataclass
class AppState:
    settings: Settings
    db: sqlite_utils.Database
    gateway: CheckoutGateway


def state(request: Request) -> AppState:
    return request.app.state.compass


templates.env.filters["money"] = money


def human_time(value: str | None, tz: dt.tzinfo | None = None, *, seconds: bool = False) -> str:
    """A stored time as a person reads it, in `tz` (the operator's): "Sun 6 Dec 2026, 14:05 EST"."""
    moment = clock.parse_or_none(value)
    if moment is None:
        return "—"
    local = moment.astimezone(tz or dt.UTC)
    text = local.strftime("%a %-d %b %Y, %H:%M:%S" if seconds else "%a %-d %b %Y, %H:%M")
    return f"{text} {local.tzname() or ''}".strip()


def tier_label(name: str) -> str:
    tier = TIERS.get(name)
    return tier.label if tier else name


def days_words(days: float) -> str:
    return "less than a day" if days < 1 else f"{int(days)} day{'s' if int(days) != 1 else ''}"


def times_words(count: int) -> str:
    return {1: "once", 2: "twice"}.get(int(count), f"{count} times")


templates.env.filters["when"] = human_time
templates.env.filters["days_words"] = days_words
templates.env.filters["times_words"] = times_words
templates.env.filters["tier_label"] = tier_label
templates.env.filters.update(REPORT_FILTERS)


# -- CSRF: a signed double-submit token ------------------------------------------------------
# The cookie holds a random value; forms carry the same value signed with SECRET_KEY. A
# cross-site form can neither read our cookie nor forge the signature.

def _signer(request: Request) -> Signer:
    # Signed with SECRET_KEY; SECRET_KEY_PREVIOUS still accepted (itsdangerous signs with
    # the last key of the list and accepts them all).
    return Signer(list(reversed(state(request).settings.signing_keys)), salt="csrf")


def csrf_token(request: Request) -> str:
    """The token for forms on this page (creating the cookie value if the browser has none)."""
    value = request.scope.setdefault("compass.csrf", request.cookies.get(CSRF_COOKIE) or "")
    if not value or len(value) > 64:
        value = secrets.token_urlsafe(24)
        request.scope["compass.csrf"] = value
    return _signer(request).sign(value).decode()


def csrf_valid(request: Request, submitted: object) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(submitted, str):
        return False
    try:
        value = _signer(request).unsign(submitted).decode()
    except BadSignature:
        return False
    return hmac.compare_digest(value, cookie)


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    context = dict(context or {})
    context.setdefault("csrf_token", lambda: csrf_token(request))
    context.setdefault("dev_checkout", state(request).gateway.provider == "dev")
    context.setdefault("altcha", state(request).settings.ALTCHA_ENABLED)
    context.setdefault("business", state(request).settings.business)
    context.setdefault("private_page", is_private(request.url.path))
    context.setdefault("site_url", state(request).settings.BASE_URL.rstrip("/"))
    response = templates.TemplateResponse(request, name, context, status_code=status_code,
                                          headers=headers)
    _set_csrf_cookie(request, response)
    return response


def _set_csrf_cookie(request: Request, response: Response) -> None:
    value = request.scope.get("compass.csrf")
    if value and value != request.cookies.get(CSRF_COOKIE):
        response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax",
                            secure=state(request).settings.is_production, path="/")


class asgi_endpoint:
    """`handler(request) -> response` given to Starlette as a plain ASGI app.

    For a function endpoint Starlette builds a second Request and a second exception
    wrapper on every request (the app's own already ran); on the polled status endpoints
    that was a measurable share of an answer (bench/web.py). Exceptions still reach the
    app's handlers. Starlette takes every method for an ASGI endpoint: give `methods`.
    """

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self.handler = handler
        self.__name__ = handler.__name__  # the route's name, as for a function endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.handler(Request(scope, receive))
        await response(scope, receive, send)


def error_page(request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
    return render(request, "error.html", {"title": title, "message": message},
                  status_code=status_code)


def not_found(request: Request) -> HTMLResponse:
    return error_page(request, 404, "Page not found",
                      "We could not find that page. If you followed a link from one of our "
                      "emails, check that the whole link was copied.")


def csrf_failed(request: Request) -> HTMLResponse:
    return error_page(request, 403, "Please try again",
                      "This form expired or was sent from another site. Go back, reload the "
                      "page and submit it again — nothing was saved or charged.")


def client_ip(request: Request) -> str:
    # compass.web.limits.ClientAddress set it: Fly-Client-IP in production, never a header
    # the client could choose.
    return request.client.host if request.client else "unknown"


# -- the order form, shown by the order and checkout-cancel handlers -------------------------

# How the error summary names each field (the same words as the form's labels).
ORDER_FORM_LABELS = {
    "company_name": "Company name", "contact_name": "Your name", "email": "Email",
    "company_website": "Website", "industry": "Industry", "company_size": "Company size",
    "prompt": "What your business does", "pain_point": "Biggest pain point",
    "tier": "Report", "altcha": "Automatic check",
    "referral_code": "Referral link", "promotion_code": "Promotion code",
    "systems_in_use": "Systems and tools you use",
    "data_location": "Where your data lives", "ai_comfort": "Your team and AI tools",
    "tool_budget": "Budget for tools", "timeline": "How soon",
    "pain_hours_per_week": "Hours a week", "pain_people": "People involved",
    "pain_cost_per_hour": "Cost per hour"}


def order_form_page(request: Request, values: dict, errors: dict[str, str] | None = None, *,
                    status_code: int = 200, **extra: object) -> Response:
    """The order form with `values` filled in and a message beside each field in `errors`."""
    context = {"values": values, "errors": errors or {}, "sizes": COMPANY_SIZES,
               "labels": ORDER_FORM_LABELS, "data_locations": DATA_LOCATIONS,
               "ai_comfort": AI_COMFORT, "budgets": BUDGETS, "timelines": TIMELINES,
               "referral_percent": state(request).settings.REFERRAL_DISCOUNT_PERCENT} | extra
    return render(request, "order_form.html", context, status_code=status_code)
