"""Who is signed in, for every area's handlers: the session cookie's token, the principal
behind it (looked up once per request), admins, and the order a signed-in owner may see.

Handler modules share these through here, never through each other.
"""

from __future__ import annotations

from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import accounts, store
from compass.settings import Settings
from compass.web.common import not_found, state, templates

SESSION_COOKIE = "compass_session"
_PRINCIPAL = "compass.principal"


def cookie_serializer(settings: Settings) -> URLSafeSerializer:
    # itsdangerous signs with the LAST key and accepts all of them.
    return URLSafeSerializer(list(reversed(settings.signing_keys)), salt="compass.session")


def session_token(request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw or len(raw) > 512:
        return None
    try:
        token = cookie_serializer(state(request).settings).loads(raw)
    except BadSignature:
        return None
    return token if isinstance(token, str) else None


def current_principal(request: Request) -> accounts.Principal | None:
    """The live session's person (customer and/or admin), looked up once per request."""
    if _PRINCIPAL not in request.scope:
        token = session_token(request)
        app = state(request)
        request.scope[_PRINCIPAL] = (accounts.session_principal(app.db, app.settings, token)
                                     if token else None)
    return request.scope[_PRINCIPAL]


def current_customer(request: Request) -> dict | None:
    """The signed-in customer's row, or None (signed out, or an admin who never ordered)."""
    principal = current_principal(request)
    return principal.customer if principal else None


def current_admin(request: Request) -> accounts.Principal | None:
    """The signed-in admin (an ADMIN_EMAILS address), or None."""
    principal = current_principal(request)
    return principal if principal and principal.is_admin else None


templates.env.globals["current_principal"] = current_principal


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)


def owned_order(request: Request, order: dict | None) -> bool:
    return accounts.owns_order(current_principal(request), order)


def owner_order(request: Request) -> dict | Response:
    """The order in the URL if the signed-in customer owns it; else a redirect or a 404."""
    if current_principal(request) is None:
        return sign_in_redirect(request)
    order = store.orders.by_public_id(state(request).db, request.path_params["public_id"])
    if order is None or not owned_order(request, order):
        return not_found(request)
    return order
