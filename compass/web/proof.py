"""Proof of work on the order form and the sign-in form (ALTCHA; the spec's CAPTCHA).

No third party sees the visitor: the widget (static/vendor/, from npm) fetches a challenge
signed with a key derived from SECRET_KEY, lets the browser spend about a second of CPU
finding the solution, and puts it in the form's `altcha` field. The server checks the
signature, the expiry and the solution (the `altcha` package), and accepts each solved
challenge once, so one solution cannot be replayed for a run of orders or sign-in emails.

ALTCHA_ENABLED=false switches it off (the tests do; a test switches it back on).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import time

import altcha
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from compass import ratelimit
from compass.settings import Settings
from compass.web.common import not_found, state

FIELD = "altcha"
# PBKDF2 is what browsers' Web Crypto computes natively (fast in the widget's worker,
# so a person waits about a second; a bot pays that for every form it posts).
ALGORITHM = "PBKDF2/SHA-256"
COST = 5_000  # iterations per attempt; the "00" key prefix needs ~256 attempts on average
VALID_FOR = dt.timedelta(minutes=30)  # time to fill in the form after the challenge
# Each solved challenge is accepted once within its lifetime (counted in SQLite).
_USED = ratelimit.Limit("altcha_solution", 1, VALID_FOR)
_MAX_PAYLOAD = 4096

MISSING = ("Please wait for the automatic check next to the button to finish (it takes a "
           "second or two), then send the form again. Your answers are kept.")
FAILED = ("The automatic check did not go through. Please send the form again; your "
          "answers are kept. If it keeps failing, reload the page.")
EXPIRED = ("The automatic check expired while the page was open. Please send the form "
           "again; your answers are kept.")


def _key(settings: Settings) -> str:
    # Its own key, derived from SECRET_KEY: a challenge signature is never valid elsewhere.
    return hmac.new(settings.SECRET_KEY.get_secret_value().encode(), b"altcha-challenge",
                    hashlib.sha256).hexdigest()


def enabled(request: Request) -> bool:
    return state(request).settings.ALTCHA_ENABLED


async def challenge(request: Request) -> Response:
    """GET /altcha/challenge: a fresh signed challenge for the widget."""
    if not enabled(request):
        return not_found(request)
    made = altcha.create_challenge(
        ALGORITHM, COST, expires_at=int(time.time() + VALID_FOR.total_seconds()),
        hmac_secret=_key(state(request).settings))
    return JSONResponse(made.to_dict(), headers={"cache-control": "no-store"})


def problem(request: Request, form: FormData) -> str | None:
    """None when the form carries a valid, unused solution (or the check is off); else
    the message to show beside the form."""
    app = state(request)
    if not app.settings.ALTCHA_ENABLED:
        return None
    payload = form.get(FIELD)
    if not isinstance(payload, str) or not payload or len(payload) > _MAX_PAYLOAD:
        return MISSING
    result = altcha.verify_solution(payload, _key(app.settings))
    if result.expired:
        return EXPIRED
    if not result.verified:
        return FAILED
    # Verified, so the payload parses and its signature is ours: key the once-only rule on it.
    signature = altcha.Payload.from_base64(payload).challenge.signature or ""
    if not ratelimit.hit(app.db, _USED, signature):
        return FAILED
    return None
