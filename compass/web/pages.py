"""The landing page, the legal pages and liveness."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

from compass import sample
from compass.templating import STATIC_DIR
from compass.tiers import TIERS
from compass.web.common import render, state
from compass.web.security import PRIVATE_PREFIXES

# What each tier's report holds, for the landing page (the report templates decide it).
TIER_CONTENTS = {
    "starter": ["Readiness scorecard", "Business case: cost, return, payback",
                "Risks and an AI-use policy", "Value-against-effort chart and roadmap"],
    "standard": ["Everything in Starter", "Appendix: every idea considered, with votes"],
    "premium": ["Everything in Standard", "Custom integrations in scope"],
}


async def home(request: Request) -> Response:
    return render(request, "home.html", {"tier_contents": TIER_CONTENTS})


async def sample_report(request: Request) -> Response:
    """The sample report in the browser (built on the first visit if set-up did not)."""
    report = await run_in_threadpool(sample.report, state(request).settings)
    return render(request, "sample_report.html", {"report": report, "tier": TIERS[sample.TIER]})


async def sample_report_pdf(request: Request) -> Response:
    path = await run_in_threadpool(sample.build, state(request).settings)
    return FileResponse(path, media_type="application/pdf",
                        filename="AI-Readiness-Compass-sample-report.pdf",
                        content_disposition_type="inline")


async def terms(request: Request) -> Response:
    return render(request, "legal/terms.html")


async def privacy(request: Request) -> Response:
    return render(request, "legal/privacy.html")


async def refund_policy(request: Request) -> Response:
    return render(request, "legal/refund_policy.html")


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def robots_txt(request: Request) -> Response:
    """Crawlers may read the public pages; every order, account and admin page is private
    (and says so itself too: X-Robots-Tag, compass.web.security)."""
    lines = ["User-agent: *", *(f"Disallow: {prefix}" for prefix in PRIVATE_PREFIXES)]
    return PlainTextResponse("\n".join(lines) + "\n",
                             headers={"Cache-Control": "public, max-age=86400"})


async def favicon(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "images" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=604800"})
