"""Premium's revision page and the earlier versions of a report (signed-in owner only)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from compass import queue, revisions
from compass.report import ReportError, build_report
from compass.tiers import get_tier
from compass.web.auth import owner_order
from compass.web.common import (
    CSRF_FIELD,
    csrf_failed,
    csrf_valid,
    error_page,
    not_found,
    render,
    state,
)

log = logging.getLogger(__name__)


def _page(request: Request, order: dict, *, status_code: int = 200, **extra: object) -> Response:
    db = state(request).db
    context = {
        "order": order, "tier": get_tier(order["tier"]),
        "allowance": revisions.allowance(db, order),
        "history": revisions.history(db, order), "versions": revisions.versions(db, order),
        "notes": "", "error": None, "limits": (revisions.NOTES_MIN, revisions.NOTES_MAX),
    } | extra
    return render(request, "revisions/revision.html", context, status_code=status_code,
                  headers={"Cache-Control": "no-store"})


async def revision_page(request: Request) -> Response:
    order = owner_order(request)
    if isinstance(order, Response):
        return order
    return _page(request, order)


async def revision_submit(request: Request) -> Response:
    order = owner_order(request)
    if isinstance(order, Response):
        return order
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return csrf_failed(request)
    notes = str(form.get("notes") or "")[:revisions.NOTES_MAX + 1000]
    try:
        revision, created = revisions.request_revision(state(request).db, order["id"], notes)
    except revisions.RevisionNotAllowed as exc:
        return _page(request, order, status_code=422, notes=notes, error=str(exc))
    if created:
        queue.revise_report(revision["id"])
    return RedirectResponse(f"/orders/{order['public_id']}/revision", status_code=303)


async def version_page(request: Request) -> Response:
    order = owner_order(request)
    if isinstance(order, Response):
        return order
    app = state(request)
    try:
        number = int(request.path_params["number"])
    except ValueError:
        return not_found(request)
    found = {v.number: v for v in revisions.versions(app.db, order)}
    version = found.get(number)
    if version is None or order["status"] != "completed":
        return not_found(request)
    try:
        report = build_report(order, version.result, base_url=app.settings.BASE_URL)
    except ReportError:
        return error_page(request, 500, "This version cannot be shown",
                          "Something is wrong with this version on our side.")
    return render(request, "revisions/version.html", {
        "report": report, "version": version, "versions": list(found.values()),
        "order": order}, headers={"Cache-Control": "private, no-store"})
