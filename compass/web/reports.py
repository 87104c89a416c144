"""The delivered goods: the report page, its PDF download, the receipt, and (development
only) the outbox of emails.

The public id in the URL is the capability (128 random bits, as for the status page);
every lookup is by that id alone, so one order's URL never reaches another order's data.
The download serves the PDF the worker stored when the order completed: it never renders.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from compass import documents, lifecycle, progress, queue, store, templating
from compass.report import ReportError, build_report, date_label, load_result, pdf_filename
from compass.tiers import get_tier
from compass.web.common import error_page, not_found, render, state

_PRIVATE = {"Cache-Control": "private, no-store"}
log = logging.getLogger(__name__)
# A download that finds no PDF asks the worker to make it and waits this long for it (a
# render takes a second or two) before answering "being prepared, try again shortly".
PDF_WAIT_SECONDS = 8.0
# One render request per order this often, however many times the page is reloaded.
_RENDER_REQUEST_EVERY = 30.0
_render_requested: dict[int, float] = {}


def _pending(request: Request, order: dict) -> Response:
    active = order["status"] in lifecycle.ACTIVE
    if order["status"] == "payment_pending":
        heading, message = "Waiting for your payment", (
            "Your report is prepared as soon as the payment goes through.")
    elif active:
        heading, message = "Your report is being prepared", (
            f"{progress.phase_words(order)}: {order['progress_percent']}% done.")
    elif order["status"] == "refunded":
        heading, message = "This order was refunded", (
            "Its report is no longer available. The refund reaches your card within 5–10 "
            "business days.")
    elif order["status"] == "failed":
        heading, message = "We could not produce this report", (
            progress.failure_words(order.get("failure_reason"))
            + " Your payment is refunded in full, automatically.")
    else:
        heading, message = "This order was not completed", (
            "The checkout expired before payment, so nothing was charged.")
    return render(request, "report/pending.html", {
        "order": order, "tier": get_tier(order["tier"]), "active": active,
        "heading": heading, "message": message,
    }, status_code=200 if active else 409, headers=_PRIVATE)


async def report_page(request: Request) -> Response:
    app = state(request)
    order = store.orders.by_public_id(app.db, request.path_params["public_id"])
    if order is None:
        return not_found(request)
    if order["status"] != "completed" or not order["result_json"]:
        return _pending(request, order)
    try:
        report = build_report(order, load_result(order["result_json"]),
                              base_url=app.settings.BASE_URL)
    except ReportError:
        return error_page(request, 500, "Your report cannot be shown",
                          "Something is wrong with this report on our side. We have been "
                          "alerted; please reply to your confirmation email if it persists.")
    return render(request, "report/page.html", {
        "report": report,
        "pdf_ready": documents.current_report_pdf(order, app.settings) is not None,
    }, headers=_PRIVATE)


def _counts_as_download(request: Request) -> bool:
    """A person downloading, as opposed to a mail scanner or a link preview.

    The refund rules treat a download as use of the report, so only a browser navigation
    counts: browsers send Fetch Metadata (`Sec-Fetch-Mode: navigate`, and
    `Sec-Fetch-User: ?1` when a person started it; a clicked `download` link may carry
    only the former) and page scripts cannot set them. Scanners and link previews fetch
    without them; prefetches say so in `Sec-Purpose`. PDF viewers fetch in ranges and
    browsers send HEAD: the whole-file GET only.
    https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Mode
    """
    headers = request.headers
    navigated = (headers.get("sec-fetch-user") == "?1"
                 or headers.get("sec-fetch-mode") == "navigate")
    if request.method != "GET" or not navigated or "prefetch" in headers.get("sec-purpose", ""):
        return False
    byte_range = request.headers.get("range", "")
    return not byte_range or byte_range.replace(" ", "").startswith("bytes=0-")


async def download(request: Request) -> Response:
    app = state(request)
    order = store.orders.download_view(app.db, request.path_params["public_id"])
    if order is None:
        return not_found(request)
    if order["status"] == "refunded":
        event = store.orders.latest_event(app.db, order["id"])
        return render(request, "report/gone.html", {
            # What was charged (and so refunded): the price less any discount.
            "order": order, "amount": templating.money(
                order["amount_cents"] - (order.get("discount_cents") or 0), order["currency"]),
            "refunded_on": date_label(event["created_at"]) if event else "",
        }, status_code=410, headers=_PRIVATE)
    if order["status"] != "completed":
        return _pending(request, store.orders.status_view(app.db, order["public_id"]) or order)
    path = documents.current_report_pdf(order, app.settings)
    if path is None:
        path = await _rebuilt_pdf(request, order)
    if path is None:
        # Still being made: say so and come back by itself, rather than fail.
        return render(request, "report/pdf_pending.html", {"order": order}, status_code=202,
                      headers=_PRIVATE | {"Retry-After": "5"})
    if _counts_as_download(request):
        with store.transaction(app.db):
            store.orders.record_download(app.db, order["id"])
    return FileResponse(path, media_type="application/pdf",
                        filename=pdf_filename(order["order_number"]),
                        content_disposition_type="attachment", headers=_PRIVATE)


async def _rebuilt_pdf(request: Request, order: dict) -> Path | None:
    """No PDF on disk for a completed order: the email job has not made it yet, or the
    file was lost (a restore brings back the rows, not the files). Ask the worker to make
    it (compass.documents.rebuild_report_pdf) and wait briefly for it."""
    app = state(request)
    now = time.monotonic()
    if now - _render_requested.get(order["id"], -_RENDER_REQUEST_EVERY) >= _RENDER_REQUEST_EVERY:
        _render_requested[order["id"]] = now
        try:
            queue.render_report(order["id"])
        except Exception:
            log.exception("order %s: could not request its PDF", order["order_number"])
    deadline = now + PDF_WAIT_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        current = store.orders.download_view(app.db, order["public_id"]) or order
        path = documents.current_report_pdf(current, app.settings)
        if path is not None:
            _render_requested.pop(order["id"], None)
            return path
    return None


async def receipt(request: Request) -> Response:
    app = state(request)
    order = store.orders.by_public_id(app.db, request.path_params["public_id"])
    if order is None:
        return not_found(request)
    payment = store.payments.paid_for_order(app.db, order["id"])
    if payment is None or not order["paid_at"]:
        return error_page(request, 409, "No receipt yet",
                          "This order has not been paid, so there is no receipt for it.")
    path = documents.receipt_path(order, app.settings)
    if not path.is_file():
        # Usually made with the payment confirmation; rendered here if that has not run yet.
        # The rows are read here; only rendering runs in a thread.
        customer = store.customers.get(app.db, order["customer_id"])
        path = await run_in_threadpool(documents.write_receipt_pdf, order, payment, customer,
                                       app.settings)
    return FileResponse(path, media_type="application/pdf",
                        filename=documents.receipt_filename(order),
                        content_disposition_type="attachment", headers=_PRIVATE)


# -- development outbox ------------------------------------------------------------------------

_EML_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.eml$")
# The rendered email's inline styles need 'unsafe-inline' (as in a mail client); scripts
# stay off and the message sits in a sandboxed iframe. Development only.
_OUTBOX_CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
               "frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def _outbox_files(outbox: Path) -> list[Path]:
    if not outbox.is_dir():
        return []
    return sorted((p for p in outbox.iterdir() if _EML_NAME.match(p.name)), reverse=True)


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as handle:
        message = BytesParser(policy=policy.default).parse(handle)
    assert isinstance(message, EmailMessage)
    return message


def _summary(path: Path) -> dict:
    message = _parse(path)
    return {"name": path.name, "subject": message["Subject"] or "", "to": message["To"] or "",
            "date": message["Date"] or "", "kind": message["X-Compass-Email"] or "",
            "attachments": [part.get_filename() for part in message.iter_attachments()]}


async def outbox_list(request: Request) -> Response:
    outbox = state(request).settings.outbox_dir
    messages = [_summary(path) for path in _outbox_files(outbox)[:200]]
    return render(request, "dev_outbox.html", {"messages": messages, "outbox": str(outbox)},
                  headers={"Cache-Control": "no-store"})


async def outbox_message(request: Request) -> Response:
    outbox = state(request).settings.outbox_dir.resolve()
    name = request.path_params["name"]
    path = (outbox / name).resolve()
    if not _EML_NAME.match(name) or path.parent != outbox or not path.is_file():
        return not_found(request)
    message = _parse(path)
    html_part = message.get_body(preferencelist=("html",))
    text_part = message.get_body(preferencelist=("plain",))
    html_body = html_part.get_content() if html_part is not None else ""
    text_body = text_part.get_content() if text_part is not None else ""
    links = list(dict.fromkeys(re.findall(r"https?://[^\s\"'<>]+", text_body)))
    # Links in the preview open in a new tab (the sandbox keeps the email's own page inert).
    srcdoc = re.sub(r"(?i)<head>", '<head><base target="_blank">', html_body, count=1)
    return render(request, "dev_outbox_message.html", {
        "summary": _summary(path), "srcdoc": srcdoc, "text": text_body, "links": links,
        "headers": [(k, v) for k, v in message.items()
                    if k in ("From", "To", "Subject", "Date", "Message-ID", "Reply-To")],
    }, headers={"Cache-Control": "no-store", "Content-Security-Policy": _OUTBOX_CSP})
