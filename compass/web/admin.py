"""The operator's pages under /admin: the business at a glance, orders, one order with its
whole story and the actions on it, and the refund review queue.

Admins are the signed-in people whose email is in ADMIN_EMAILS; everyone else (customers,
anonymous visitors) gets the ordinary 404, so the pages' existence is not advertised.
Every action is a POST with the CSRF token and an explicit confirmation box; the sentence
it produced is shown on the order page after a redirect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Awaitable, Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from structlog.contextvars import bound_contextvars

from compass import clock, insights, operations, outage, queue, referrals, store
from compass.web.auth import current_admin
from compass.web.common import csrf_failed, csrf_valid, not_found, render, state

WINDOWS = (7, 30, 90)
Handler = Callable[[Request], Awaitable[Response]]

# Order and refund states as the operator reads them.
STATE_WORDS = {"payment_pending": "Awaiting payment", "paid": "Paid, queued",
               "processing": "Processing", "held": "Held", "completed": "Completed",
               "failed": "Failed", "refunded": "Refunded", "expired": "Expired",
               "pending_review": "Waiting for review", "approved": "Approved",
               "succeeded": "Succeeded", "denied": "Denied", "sent": "Sent",
               "pending": "Waiting", "sending": "Sending", "requires_action": "Needs action"}


REFUND_KINDS = {"customer_request": "Refund requested by the customer",
                "processing_failed": "Automatic refund: the report failed",
                "admin": "Refund by an operator", "duplicate_payment": "Second payment"}


def _requester(row: dict) -> str:
    who = row.get("requested_by") or ""
    if who.startswith("customer:"):
        return f"the customer ({row.get('customer_email') or 'no email'})"
    if who.startswith("admin:"):
        return f"{who.removeprefix('admin:')} (operator)"
    return who.replace("_", " ") or "the system"


def page(request: Request, name: str, context: dict, *, section: str) -> Response:
    """An admin page: the admin layout, times in the operator's timezone."""
    settings = state(request).settings
    return render(request, name, context | {
        "section": section, "tz": ZoneInfo(settings.ADMIN_TIMEZONE),
        "tz_name": settings.ADMIN_TIMEZONE, "state_words": STATE_WORDS})


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

def _nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (a round top for the axis)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def _day_label(day: str) -> str:
    try:
        return dt.date.fromisoformat(day).strftime("%-d %b")
    except ValueError:
        return day


def bar_chart(points: list[tuple[str, float]], *, title: str, label: Callable[[float], str],
              width: int = 640, height: int = 200, counts: bool = False) -> Markup:
    """An SVG bar chart drawn on the server: a value axis with gridlines (0, half, top),
    dates under the first, middle and last bars, each non-zero bar's value above it when
    the bars are wide enough, and a tooltip per bar. Classes only, no style attributes
    (the CSP allows no inline style). Markup.format escapes every label."""
    top = _nice_top(max((value for _, value in points), default=0))
    if counts:  # whole numbers: the middle gridline must fall on one
        top = max(2.0, top + top % 2)
    left, right, top_pad, bottom = 52, 8, 14, 22
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    slot = plot_w / max(len(points), 1)
    bar_width = max(1.0, slot - 2)
    base_y = top_pad + plot_h
    parts = [Markup('<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{t}"'
                    ' xmlns="http://www.w3.org/2000/svg"><title>{t}</title>').format(
                        w=width, h=height, t=title)]
    for fraction in (0, 0.5, 1):
        y = base_y - plot_h * fraction
        parts.append(Markup('<line class="grid" x1="{x1}" y1="{y:.1f}" x2="{x2}" y2="{y:.1f}"/>'
                            '<text class="axis" x="{tx}" y="{ty:.1f}" text-anchor="end">{v}</text>'
                            ).format(x1=left, x2=width - right, y=y, tx=left - 4, ty=y + 3,
                                     v=label(top * fraction)))
    show_values = slot >= 16
    for index, (day, value) in enumerate(points):
        bar_height = plot_h * max(value, 0) / top
        x = left + index * slot + 1
        parts.append(Markup('<rect class="bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" '
                            'height="{:.1f}"><title>{}: {}</title></rect>').format(
                                x, base_y - bar_height, bar_width, bar_height, _day_label(day),
                                label(value)))
        if show_values and value > 0:
            parts.append(Markup('<text class="value" x="{:.1f}" y="{:.1f}" text-anchor="middle">'
                                '{}</text>').format(x + bar_width / 2, base_y - bar_height - 3,
                                                    label(value)))
    parts.append(Markup('<line class="axis-line" x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>').format(
        l=left, r=width - right, b=base_y))
    if points:
        for index in sorted({0, len(points) // 2, len(points) - 1}):
            anchor = "start" if index == 0 else "end" if index == len(points) - 1 else "middle"
            x = left + index * slot + 1 + (0 if anchor == "start" else
                                          bar_width if anchor == "end" else bar_width / 2)
            parts.append(Markup('<text class="axis" x="{:.1f}" y="{}" text-anchor="{}">{}</text>'
                                ).format(x, height - 6, anchor, _day_label(points[index][0])))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


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
                            label=lambda v: f"{v:g}", counts=True),
        "ai_cost": bar_chart([(p.day, p.ai_cost_usd) for p in series],
                             title=f"AI cost per day, last {days} days",
                             label=lambda v: f"${v:,.2f}"),
    }
    incident = outage.current(db)
    return page(request, "admin/dashboard.html", {
        "days": days, "windows": WINDOWS, "f": figures, "charts": charts,
        "referrals": referrals.figures(db, since=figures.since, until=figures.until),
        "attention": insights.attention_lines(db), "admin": current_admin(request),
        "orders_attention": insights.failed_or_held(
            db, now - dt.timedelta(days=days), now),
        "incident": incident, "incident_words": outage.describe(incident) if incident else "",
        "held_count": len(store.orders.held(db)) if incident else 0}, section="overview")


@admins_only
async def orders_page(request: Request) -> Response:
    query = request.query_params.get("q", "")[:200]
    status = request.query_params.get("status") or None
    rows = store.insights.search_orders(state(request).db, query, status=status,
                                        limit=100)
    return page(request, "admin/orders.html", {"rows": rows, "q": query, "status": status},
                section="orders")


def _order_or_none(request: Request) -> dict | None:
    return store.insights.find_order(state(request).db, request.path_params["public_id"])


@admins_only
async def order_page(request: Request) -> Response:
    order = _order_or_none(request)
    if order is None:
        return not_found(request)
    detail = insights.order_detail(state(request).db, order)
    return page(request, "admin/order.html", detail | {
        "message": request.query_params.get("done", "")[:300],
        "problem": request.query_params.get("refused", "")[:300],
        "can": operations.available(state(request).db, order)}, section="orders")


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
    rows = [row | {"requester": _requester(row)} for row in store.insights.refund_queue(db)]
    return page(request, "admin/refunds.html", {"refund_kinds": REFUND_KINDS,
        "rows": rows, "message": request.query_params.get("done", "")[:300],
        "problem": request.query_params.get("refused", "")[:300]}, section="refunds")


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


# -- CSV export ---------------------------------------------------------------------------------

EXPORT_KINDS = ("orders", "payments", "refunds")


def _period(request: Request) -> tuple[dt.date, dt.date]:
    """The export's days, inclusive, in the operator's timezone: ?since&until, or ?days."""
    settings = state(request).settings
    today = clock.now().astimezone(ZoneInfo(settings.ADMIN_TIMEZONE)).date()
    try:
        since = dt.date.fromisoformat(request.query_params["since"])
        until = dt.date.fromisoformat(request.query_params["until"])
    except (KeyError, ValueError):
        days = _days(request)
        return today - dt.timedelta(days=days - 1), today
    return (since, until) if since <= until else (until, since)


@admins_only
async def export_page(request: Request) -> Response:
    since, until = _period(request)
    return page(request, "admin/export.html", {"since": since.isoformat(),
                                               "until": until.isoformat(),
                                               "kinds": EXPORT_KINDS}, section="export")


@admins_only
async def export_csv(request: Request) -> Response:
    """orders|payments|refunds of a period as CSV (UTF-8, a header row, stored UTC times)."""
    kind = request.path_params["kind"]
    if kind not in EXPORT_KINDS:
        return not_found(request)
    since, until = _period(request)
    zone = ZoneInfo(state(request).settings.ADMIN_TIMEZONE)
    start = dt.datetime.combine(since, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    columns, rows = store.insights.export_rows(
        state(request).db, kind, {"since": clock.iso(start), "until": clock.iso(end)})
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    # A cell that starts like a formula is prefixed, so a spreadsheet shows it as text.
    writer.writerows([[f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row]
                      for row in rows])
    name = f"compass-{kind}-{since.isoformat()}-to-{until.isoformat()}.csv"
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{name}"'})
