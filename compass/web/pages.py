"""The landing page, the legal pages and liveness."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from compass.web.common import render


async def home(request: Request) -> Response:
    return render(request, "home.html")


async def terms(request: Request) -> Response:
    return render(request, "legal/terms.html")


async def privacy(request: Request) -> Response:
    return render(request, "legal/privacy.html")


async def refund_policy(request: Request) -> Response:
    return render(request, "legal/refund_policy.html")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")
