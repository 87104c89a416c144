"""The PDFs we keep: each order's report (rendered once, versioned) and its receipt.

Both are rendered by compass.pdf (static-only fetcher, bounded time) and stored under
$COMPASS_DATA_DIR, so downloads and email attachments read a file and never re-render.
Paths in the database are relative to the data directory.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlite_utils

from compass import files, store, templating
from compass.mail import support_address
from compass.receipts import build_receipt, receipt_html
from compass.report import Report, build_report, load_result
from compass.settings import Settings

if TYPE_CHECKING:
    from compass.pdf import Rendered

log = logging.getLogger(__name__)

REPORT_RENDER_TIMEOUT = 60.0
RECEIPT_RENDER_TIMEOUT = 20.0


@dataclass(frozen=True)
class StoredPdf:
    path: Path
    version: int | None
    pages: int | None
    seconds: float


def report_for_order(order: dict, settings: Settings) -> Report:
    return build_report(order, load_result(order.get("result_json")), base_url=settings.BASE_URL)


def report_document(report: Report) -> str:
    """The print HTML the PDF is made from (the same content partial as the web page)."""
    return templating.render("report/print.html", report=report)


def store_report_pdf(db: sqlite_utils.Database, order: dict, settings: Settings,
                     *, result: dict | None = None) -> StoredPdf:
    """Render the order's report, store it as the next version, and make it the current one.

    The worker calls this once when the order completes (before the `completed` transition,
    so the report-ready email and the download find the file). Rendering runs outside any
    transaction; only the version row is written under the lock.
    """
    report = build_report(order, result if result is not None else load_result(
        order.get("result_json")), base_url=settings.BASE_URL)
    rendered = _render(report_document(report), REPORT_RENDER_TIMEOUT)
    with store.transaction(db):
        version = store.reports.next_version(db, order["id"])
        relative = Path("reports") / f"{report.order_number}-v{version}.pdf"
        files.write_atomically(settings.COMPASS_DATA_DIR / relative, rendered.pdf)
        pages = rendered.pages
        store.reports.insert_version(db, order_id=order["id"], version=version,
                                     pdf_path=str(relative), pdf_bytes=len(rendered.pdf),
                                     pages=pages, render_seconds=rendered.seconds)
    log.info("order %s: report PDF v%d stored (%d bytes, %s pages, %.2f s)",
             report.order_number, version, len(rendered.pdf), pages, rendered.seconds)
    return StoredPdf(settings.COMPASS_DATA_DIR / relative, version, pages, rendered.seconds)


def current_report_pdf(order: dict, settings: Settings) -> Path | None:
    """The stored PDF the order serves, if it exists on disk."""
    relative = order.get("report_pdf_path")
    if not relative:
        return None
    path = (settings.COMPASS_DATA_DIR / relative).resolve()
    # The column is ours, but a path outside reports/ is never served all the same.
    if not _inside_reports(settings, relative) or not path.is_file():
        return None
    return path


def ensure_report_pdf(db: sqlite_utils.Database, order: dict, settings: Settings) -> Path:
    """The stored report PDF, rendering it first if it is missing (worker only).

    Never stored: rendered as the next version. Stored but its file is gone (the backup
    holds the database, not the files: after a restore every row is back and no PDF is):
    rendered again from the stored result into the version's own path, so the order keeps
    serving the same version and no row changes."""
    existing = current_report_pdf(order, settings)
    if existing is not None:
        return existing
    relative = order.get("report_pdf_path")
    if not relative or not _inside_reports(settings, relative):
        return store_report_pdf(db, order, settings).path
    rendered = _render(report_document(report_for_order(order, settings)),
                       REPORT_RENDER_TIMEOUT)
    path = settings.COMPASS_DATA_DIR / relative
    files.write_atomically(path, rendered.pdf)
    log.warning("order %s: report PDF %s was missing; rebuilt from the stored result "
                "(%.2f s)", order["order_number"], relative, rendered.seconds)
    return path


def rebuild_report_pdf(db: sqlite_utils.Database, order_id: int,
                       settings: Settings) -> Path | None:
    """The render job behind a download that found no file: a completed order's PDF."""
    order = store.orders.get(db, order_id)
    if order is None or order["status"] != "completed":
        return None
    return ensure_report_pdf(db, order, settings)


def can_rebuild_report(order: dict, settings: Settings) -> str | None:
    """None when the completed order's report can be served (its PDF is on disk, or its
    stored result builds the printable document again); else why not."""
    if current_report_pdf(order, settings) is not None:
        return None
    try:
        report_document(report_for_order(order, settings))
    except Exception as exc:  # whatever stops the rebuild is the answer
        return f"no PDF on disk and it cannot be rebuilt: {type(exc).__name__}: {exc}"[:300]
    return None


def _inside_reports(settings: Settings, relative: str) -> bool:
    path = (settings.COMPASS_DATA_DIR / relative).resolve()
    return path.is_relative_to((settings.COMPASS_DATA_DIR / "reports").resolve())


def receipt_path(order: dict, settings: Settings) -> Path:
    return settings.COMPASS_DATA_DIR / "receipts" / f"{order['public_id']}.pdf"


def ensure_receipt_pdf(db: sqlite_utils.Database, order: dict, settings: Settings) -> Path:
    """The order's receipt PDF, rendered once and kept (a receipt never changes)."""
    path = receipt_path(order, settings)
    if path.is_file():
        return path
    return write_receipt_pdf(order, store.payments.paid_for_order(db, order["id"]),
                             store.customers.get(db, order["customer_id"]), settings)


def write_receipt_pdf(order: dict, payment: dict | None, customer: dict | None,
                      settings: Settings) -> Path:
    """Render and store the receipt from rows already read (safe to run in a thread)."""
    receipt = build_receipt(order, payment, customer, base_url=settings.BASE_URL,
                            support_email=support_address(settings), seller=settings.business)
    path = receipt_path(order, settings)
    files.write_atomically(path, _render(receipt_html(receipt), RECEIPT_RENDER_TIMEOUT).pdf)
    return path


def receipt_filename(order: dict) -> str:
    safe = "".join(c for c in order["order_number"] if c.isalnum() or c == "-")
    return f"Receipt-{safe}.pdf"


def _render(html: str, timeout: float) -> Rendered:
    # Imported here: WeasyPrint takes 1.5 s to import, and the web process rarely renders.
    from compass import pdf

    return pdf.render_pdf(html, timeout=timeout)
