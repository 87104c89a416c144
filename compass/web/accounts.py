"""Sign-in by magic link, sessions, the dashboard and the account page.

The session cookie carries a random token signed with itsdangerous (SECRET_KEY signs;
SECRET_KEY_PREVIOUS keys are still accepted, so the key can rotate). The row behind it
(compass.accounts) decides whether it is live. Who is signed in is compass.web.auth's.
"""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import accounts, lifecycle, referrals, store
from compass.intake import COMPANY_SIZES
from compass.tiers import get_tier
from compass.web import proof
from compass.web.auth import (
    SESSION_COOKIE,
    cookie_serializer,
    current_customer,
    current_principal,
    session_token,
    sign_in_redirect,
)
from compass.web.common import (
    CSRF_FIELD,
    client_ip,
    csrf_failed,
    csrf_valid,
    render,
    state,
)

log = logging.getLogger(__name__)

_MAX_FIELD = 5000


# -- the session cookie -------------------------------------------------------------------------

def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = state(request).settings
    response.set_cookie(
        SESSION_COOKIE, cookie_serializer(settings).dumps(token),
        max_age=int(accounts.SESSION_IDLE_LIFETIME.total_seconds()), path="/",
        httponly=True, samesite="lax", secure=settings.is_production)


def _refresh_cookie(request: Request, response: Response) -> Response:
    """Keep the browser's cookie alive as long as the server-side session slides."""
    token = session_token(request)
    if token and current_principal(request) is not None:
        set_session_cookie(request, response, token)
    return response


def _clear_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=state(request).settings.is_production)


# -- sign-in --------------------------------------------------------------------------------

async def login_page(request: Request) -> Response:
    next_path = accounts.safe_next(request.query_params.get("next"))
    if current_principal(request) is not None:
        return RedirectResponse(next_path or "/dashboard", status_code=303)
    return render(request, "accounts/login.html", {"email": "", "error": None,
                                                   "next_path": next_path or ""})


async def login_submit(request: Request) -> Response:
    app = state(request)
    form = await request.form()
    raw_email = str(form.get("email") or "")[:_MAX_FIELD]
    next_path = accounts.safe_next(str(form.get("next") or "")) or ""
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    if issue := proof.problem(request, form):
        return render(request, "accounts/login.html", {
            "email": raw_email, "error": None, "altcha_error": issue, "next_path": next_path},
            status_code=422)
    try:
        email = accounts.normalise_email(raw_email)
    except accounts.InvalidEmail as exc:
        return render(request, "accounts/login.html",
                      {"email": raw_email, "error": str(exc), "next_path": next_path},
                      status_code=422)
    if not accounts.links_allowed(app.db, email, client_ip(request)):
        return render(request, "accounts/login_limited.html", status_code=429,
                      headers={"Retry-After": "3600"})
    # Whether the address is a customer's is decided after the answer has gone out, so
    # the answer (and its timing) is the same either way.
    response = render(request, "accounts/check_inbox.html")
    response.background = BackgroundTask(_send_login_email, app, email, next_path)
    return response


async def _send_login_email(app, email: str, next_path: str) -> None:
    try:
        accounts.send_login_email(app.db, app.settings, email, next_path=next_path or None)
    except Exception:
        log.exception("could not send a sign-in email")


def _link_problem(request: Request, problem: str, **extra: object) -> Response:
    status_code = {"invalid": 400, "taken": 409}.get(problem, 410)
    return render(request, "accounts/link_problem.html",
                  {"problem": problem, "signed_in": current_principal(request) is not None}
                  | extra, status_code=status_code, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store"}


async def login_link(request: Request) -> Response:
    """The page a sign-in link opens: it only looks the link up.

    Mail scanners fetch every link they see; if this GET signed in, a scanner would burn
    the link (and a crafted link would sign a visitor into someone else's account). The
    button on the page POSTs, with the CSRF token, to `login_submit_link`.
    """
    app = state(request)
    token = request.path_params["token"]
    try:
        email = accounts.login_link_email(app.db, app.settings, token)
    except accounts.LinkRejected as rejected:
        return _link_problem(request, rejected.problem)
    next_path = accounts.safe_next(request.query_params.get("next")) or ""
    viewer = current_principal(request)
    if viewer is not None and viewer.email == email:
        # Already signed in as this address: nothing to do, and the link stays unused.
        return RedirectResponse(next_path or "/dashboard", status_code=303)
    action = f"/login/{quote(token, safe='')}"
    if next_path:
        action += "?next=" + quote(next_path, safe="/")
    return render(request, "accounts/confirm_login.html", {
        "email": email, "action": action, "viewer": viewer}, headers=_NO_STORE)


async def login_link_submit(request: Request) -> Response:
    app = state(request)
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    try:
        session = accounts.sign_in_with_link(app.db, app.settings,
                                             request.path_params["token"])
    except accounts.LinkRejected as rejected:
        return _link_problem(request, rejected.problem)
    previous = session_token(request)
    if previous:
        # Whoever was signed in on this browser is signed out, not left half-replaced.
        accounts.sign_out(app.db, previous)
    next_path = accounts.safe_next(request.query_params.get("next")) or "/dashboard"
    if next_path == "/dashboard" and session.customer_id is None:
        next_path = "/admin"  # an admin who has never ordered has no dashboard
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, session.token)
    return response


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    token = session_token(request)
    if token:
        accounts.sign_out(state(request).db, token)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    _clear_cookie(request, response)
    return response


# -- the dashboard --------------------------------------------------------------------------

def _dashboard_row(order: dict) -> dict:
    tier = get_tier(order["tier"])
    status = order["status"]
    public_id = order["public_id"]
    links = [("Status", f"/status/{public_id}")]
    if status == "completed":
        links += [("Report", f"/orders/{public_id}/report"),
                  ("PDF", f"/orders/{public_id}/download")]
    if order["paid_at"]:
        links.append(("Receipt", f"/orders/{public_id}/receipt"))
    if status == "completed" or order["refund_status"]:
        label = "Refund" if not order["refund_status"] else "Refund status"
        links.append((label, f"/orders/{public_id}/refund"))
    if status == "completed" and tier.revisions:
        links.append(("Revision", f"/orders/{public_id}/revision"))
    return order | {"tier_label": tier.label, "links": links,
                    "status_words": _STATUS_WORDS.get(status, status),
                    # What was (or will be) charged: the price less any discount.
                    "charged_cents": order["amount_cents"] - (order.get("discount_cents") or 0)}


_STATUS_WORDS = {"payment_pending": "Awaiting payment", "paid": "Paid — starting",
                 "processing": "Being prepared", "completed": "Ready", "failed": "Failed",
                 "refunded": "Refunded", "expired": "Not paid (expired)"}


async def dashboard(request: Request) -> Response:
    principal = current_principal(request)
    if principal is None:
        return sign_in_redirect(request)
    orders = []
    referral_link, referred = None, None
    if principal.customer is not None:
        orders = [_dashboard_row(o)
                  for o in store.orders.for_customer(state(request).db, principal.customer["id"])]
        code = referrals.referral_code(state(request).db, principal.customer["id"])
        referral_link = f"{state(request).settings.BASE_URL.rstrip('/')}/order/new?ref={code}"
        referred = store.referrals.for_referrer(state(request).db, principal.customer["id"])
    settings = state(request).settings
    response = render(request, "accounts/dashboard.html", {
        "principal": principal, "orders": orders,
        "active": any(o["status"] in lifecycle.ACTIVE for o in orders),
        "referral_link": referral_link, "referred": referred,
        "referral_percent": settings.REFERRAL_DISCOUNT_PERCENT,
        "reward_percent": settings.REFERRAL_REWARD_PERCENT},
        headers={"Cache-Control": "no-store"})
    return _refresh_cookie(request, response)


# -- the account page -------------------------------------------------------------------------

def _account_page(request: Request, customer: dict, *, status_code: int = 200,
                  **extra: object) -> Response:
    context = {"customer": customer, "sizes": COMPANY_SIZES, "profile_errors": {},
               "values": {k: customer[k] for k in ("name", "company_name", "company_website",
                                                    "industry", "company_size")},
               "notice": request.query_params.get("notice", "") in _NOTICES and
               _NOTICES[request.query_params["notice"]], "email_error": None, "new_email": "",
               "delete_error": None} | extra
    response = render(request, "accounts/account.html", context, status_code=status_code,
                      headers={"Cache-Control": "no-store"})
    return _refresh_cookie(request, response)


_NOTICES = {"saved": "Your details are saved.",
            "email_sent": "We sent a confirmation link to your new address. Your email changes "
                          "when you follow it (within 15 minutes).",
            "email_changed": "Your email address is changed."}


async def account_page(request: Request) -> Response:
    customer = current_customer(request)
    if customer is None:
        return sign_in_redirect(request)
    return _account_page(request, customer)


async def account_submit(request: Request) -> Response:
    app = state(request)
    customer = current_customer(request)
    if customer is None:
        return sign_in_redirect(request)
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    action = str(form.get("action") or "")
    if action == "profile":
        values = {k: str(form.get(k) or "")[:_MAX_FIELD] for k in (
            "name", "company_name", "company_website", "industry", "company_size")}
        profile, errors = accounts.validate_profile(values)
        if errors:
            return _account_page(request, customer, status_code=422, values=values,
                                 profile_errors=errors)
        accounts.update_profile(app.db, customer["id"], profile)
        return RedirectResponse("/account?notice=saved", status_code=303)
    if action == "email":
        return _change_email(request, customer, str(form.get("new_email") or "")[:_MAX_FIELD])
    if action == "export":
        document = accounts.export_data(app.db, customer)
        return Response(json.dumps(document, indent=2, ensure_ascii=False),
                        media_type="application/json", headers={
                            "Content-Disposition":
                                'attachment; filename="ai-readiness-compass-my-data.json"',
                            "Cache-Control": "no-store"})
    if action == "delete":
        if str(form.get("confirm") or "").strip().upper() != "DELETE":
            return _account_page(request, customer, status_code=422,
                                 delete_error="Type DELETE in the box to confirm.")
        try:
            accounts.delete_account(app.db, app.settings, customer)
        except accounts.AccountError as exc:
            return _account_page(request, customer, status_code=409, delete_error=str(exc))
        response = render(request, "accounts/deleted.html")
        _clear_cookie(request, response)
        return response
    return _account_page(request, customer, status_code=400)


def _change_email(request: Request, customer: dict, raw: str) -> Response:
    app = state(request)
    try:
        new_email = accounts.normalise_email(raw)
        if not accounts.links_allowed(app.db, new_email, client_ip(request)):
            raise accounts.AccountError("Too many links were asked for this address in the "
                                        "last hour. Please try again later.")
        accounts.request_email_change(app.db, app.settings, customer, new_email)
    except (accounts.InvalidEmail, accounts.AccountError) as exc:
        return _account_page(request, customer, status_code=422, email_error=str(exc),
                             new_email=raw)
    return RedirectResponse("/account?notice=email_sent", status_code=303)


async def confirm_email(request: Request) -> Response:
    """The page a new address's confirmation link opens: a button, nothing changed yet."""
    token = request.path_params["token"]
    try:
        new_email = accounts.email_change_target(state(request).db, token)
    except accounts.LinkRejected as rejected:
        return _link_problem(request, rejected.problem, email_change=True)
    return render(request, "accounts/confirm_email.html", {
        "email": new_email, "action": f"/account/email/{quote(token, safe='')}"},
        headers=_NO_STORE)


async def confirm_email_submit(request: Request) -> Response:
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    try:
        accounts.confirm_email_change(state(request).db, request.path_params["token"])
    except accounts.LinkRejected as rejected:
        return _link_problem(request, rejected.problem, email_change=True)
    target = "/account?notice=email_changed" if current_customer(request) else \
        "/login?notice=email_changed"
    return RedirectResponse(target, status_code=303)
