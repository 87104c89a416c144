"""The operator's pages under /admin: the business at a glance, orders, one order with its
whole story and the actions on it, and the refund review queue.

Admins are the signed-in people whose email is in ADMIN_EMAILS; everyone else (customers,
anonymous visitors) gets the ordinary 404, so the pages' existence is not advertised.
Every action is a POST with the CSRF token and an explicit confirmation box; the sentence
it produced is shown on the order page after a redirect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from structlog.contextvars import bound_contextvars

from compass import clock, insights, operations, outage, queue, referrals, store
from compass.web.auth import current_admin
from compass.web.common import csrf_failed, csrf_valid, not_found, render, state

WINDOWS = (7, 30, 90)
Handler = Callable[[Request], Awaitable[Response]]


def admins_only(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        admin = current_admin(request)
        if admin is None:
            return not_found(request)
        # Every line logged while an admin acts names them: the audit trail is the log.
        with bound_contextvars(admin=getattr(admin, "email", "admin")):
            return await handler(request)

    guarded.__name__ = handler.__name__
    guarded.__doc__ = handler.__doc__
    return guarded


# -- charts drawn on the server -----------------------------------------------------------------

def bar_chart(points: list[tuple[str, float]], *, title: str, label: Callable[[float], str],
              width: int = 640, height: int = 160) -> Markup:
    """An accessible SVG bar chart (title, per-bar tooltips, a data table alternative is
    the figures above it). Labels are escaped; nothing here runs script."""
    top = max((value for _, value in points), default=0) or 1
    gap, left, bottom = 2, 4, 18
    bar_width = max(1.0, (width - left) / max(len(points), 1) - gap)
    bar = Markup('<rect class="bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
                 "<title>{}: {}</title></rect>")
    bars = Markup("")
    for index, (day, value) in enumerate(points):
        bar_height = (height - bottom - 14) * max(value, 0) / top
        x = left + index * (bar_width + gap)
        bars += bar.format(x, height - bottom - bar_height, bar_width, bar_height, day,
                           label(value))
    # Markup.format escapes every argument: titles and labels cannot inject markup.
    return Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{title}"'
        ' xmlns="http://www.w3.org/2000/svg"><title>{title}</title>'
        '<text class="axis" x="{left}" y="11">max {top}</text>{bars}'
        '<text class="axis" x="{left}" y="{base}">{first}</text>'
        '<text class="axis" x="{right}" y="{base}" text-anchor="end">{last}</text></svg>'
    ).format(w=width, h=height, title=title, left=left, top=label(top), bars=bars,
             base=height - 4, right=width - 4, first=points[0][0] if points else "",
             last=points[-1][0] if points else "")


def _days(request: Request) -> int:
    try:
        days = int(request.query_params.get("days", "30"))
    except ValueError:
        return 30
    return days if days in WINDOWS else 30


@admins_only
async def dashboard(request: Request) -> Response:
    db = state(request).db
    days = _days(request)
    now = clock.now()
    figures = insights.last_days(db, days, now=now)
    series = insights.daily_series(db, days, now=now)
    charts = {
        "revenue": bar_chart([(p.day, p.net_cents / 100) for p in series],
                             title=f"Net revenue per day, last {days} days",
                             label=lambda v: f"${v:,.0f}"),
        "orders": bar_chart([(p.day, p.orders) for p in series],
                            title=f"Paid orders per day, last {days} days",
                            label=lambda v: f"{v:g}"),
        "ai_cost": bar_chart([(p.day, p.ai_cost_usd) for p in series],
                             title=f"AI cost per day, last {days} days",
                             label=lambda v: f"${v:,.2f}"),
    }
    incident = outage.current(db)
    return render(request, "admin/dashboard.html", {
        "days": days, "windows": WINDOWS, "f": figures, "charts": charts,
        "referrals": referrals.figures(db, since=figures.since, until=figures.until),
        "attention": insights.attention_lines(db), "admin": current_admin(request),
        "orders_attention": insights.failed_or_held(
            db, now - dt.timedelta(days=days), now),
        "incident": incident, "incident_words": outage.describe(incident) if incident else "",
        "held_count": len(store.orders.held(db)) if incident else 0})


@admins_only
async def orders_page(request: Request) -> Response:
    query = request.query_params.get("q", "")[:200]
    status = request.query_params.get("status") or None
    rows = store.insights.search_orders(state(request).db, query, status=status,
                                        limit=100)
    return render(request, "admin/orders.html", {"rows": rows, "q": query, "status": status})


def _order_or_none(request: Request) -> dict | None:
    return store.insights.find_order(state(request).db, request.path_params["public_id"])


@admins_only
async def order_page(request: Request) -> Response:
    order = _order_or_none(request)
    if order is None:
        return not_found(request)
    detail = insights.order_detail(state(request).db, order)
    return render(request, "admin/order.html", detail | {
        "message": request.query_params.get("done", "")[:300],
        "problem": request.query_params.get("refused", "")[:300],
        "resendable": operations.RESENDABLE})


@admins_only
async def evidence(request: Request) -> Response:
    """The dispute evidence bundle: everything the product holds about the order, as JSON."""
    from compass import disputes

    order = _order_or_none(request)
    if order is None:
        return not_found(request)
    bundle = disputes.evidence_bundle(state(request).db, order)
    return JSONResponse(bundle, headers={
        "Content-Disposition": f'attachment; filename="evidence-{order["order_number"]}.json"',
        "Cache-Control": "no-store"})


def _back(order: dict, *, done: str = "", refused: str = "") -> RedirectResponse:
    key, text = ("refused", refused) if refused else ("done", done)
    return RedirectResponse(f"/admin/orders/{order['public_id']}?{key}={quote(text)}",
                            status_code=303)


async def _confirmed_form(request: Request) -> tuple[dict | None, Response | None]:
    form = await request.form()
    if not csrf_valid(request, form.get("csrf_token")):
        return None, csrf_failed(request)
    return dict(form), None


def _action(run: Callable[[Request, dict, dict], str]) -> Handler:
    """A POST action on one order: CSRF, the confirmation box, then `run`'s sentence."""

    @admins_only
    async def handler(request: Request) -> Response:
        order = _order_or_none(request)
        if order is None:
            return not_found(request)
        form, failure = await _confirmed_form(request)
        if failure is not None:
            return failure
        assert form is not None
        if form.get("confirm") != "yes":
            return _back(order, refused="Tick the confirmation box to do that.")
        try:
            return _back(order, done=run(request, order, form))
        except operations.ActionRefused as refused:
            return _back(order, refused=str(refused))

    handler.__name__ = run.__name__
    return handler


def _admin_email(request: Request) -> str:
    admin = current_admin(request)
    return getattr(admin, "email", None) or "admin"


def _retry(request: Request, order: dict, form: dict) -> str:
    return operations.retry_order(state(request).db, order)


def _resend(request: Request, order: dict, form: dict) -> str:
    return operations.resend_email(state(request).db, state(request).settings, order,
                                   str(form.get("kind", "")))


def _refund(request: Request, order: dict, form: dict) -> str:
    return operations.refund_order(state(request).db, order, admin_email=_admin_email(request),
                                   reason=str(form.get("reason", ""))[:2000])


retry = _action(_retry)
resend = _action(_resend)
refund = _action(_refund)


@admins_only
async def refunds_page(request: Request) -> Response:
    db = state(request).db
    rows = store.insights.refund_queue(db)
    return render(request, "admin/refunds.html", {
        "rows": rows, "message": request.query_params.get("done", "")[:300],
        "problem": request.query_params.get("refused", "")[:300]})


@admins_only
async def refund_decision(request: Request) -> Response:
    """Approve (the worker then makes the refund) or deny with a reason."""
    from compass import refunds

    form, failure = await _confirmed_form(request)
    if failure is not None:
        return failure
    assert form is not None
    refund_id = int(request.path_params["refund_id"])
    decision, note = form.get("decision"), str(form.get("note", "")).strip()
    try:
        if form.get("confirm") != "yes":
            raise refunds.RefundNotAllowed("Tick the confirmation box to decide.")
        if decision == "approve":
            refunds.approve(state(request).db, refund_id, admin_email=_admin_email(request),
                            note=note)
            queue.process_refund(refund_id)
            done = f"Refund {refund_id} approved; the worker is making it."
        elif decision == "deny":
            if not note:
                raise refunds.RefundNotAllowed("Give the customer a reason for the denial.")
            refunds.deny(state(request).db, refund_id, admin_email=_admin_email(request),
                         note=note)
            done = f"Refund {refund_id} denied."
        else:
            raise refunds.RefundNotAllowed("Choose approve or deny.")
    except refunds.RefundNotAllowed as refused:
        return RedirectResponse(f"/admin/refunds?refused={quote(str(refused))}", status_code=303)
    return RedirectResponse(f"/admin/refunds?done={quote(done)}", status_code=303)
