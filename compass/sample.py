"""The sample report on the landing page: a real report, made by the offline model for a
fictional business, built at set-up (`compass sample-report`, run by `make run` and the
container's entrypoint) or on the first visit, and kept in `$COMPASS_DATA_DIR/sample/`.

Nothing here is a mock-up: the same engine, view model, templates and PDF renderer make it
as make a paid order's report. Its own ledger database keeps its model calls out of the
business's figures.
"""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import replace
from pathlib import Path

from compass import documents, pdf, store
from compass.files import write_atomically
from compass.intake import OrderInput
from compass.report import Report, build_report, load_result
from compass.settings import Settings
from compass.tiers import get_tier

TIER = "premium"
ORDER_NUMBER = "SAMPLE (fictional business)"
# A business that does not exist, with every readiness answer given, so the sample shows
# the scorecard with evidence and the money worked out from the customer's own numbers.
BUSINESS: dict[str, object] = {
    "company_name": "Harbour Lane Physio (fictional)",
    "contact_name": "Sample Customer",
    "email": "sample@example.com",
    "company_website": "",
    "industry": "Physiotherapy clinic",
    "company_size": "11-50",
    "prompt": "We are a physiotherapy clinic with three treatment rooms and twelve staff. "
              "Reception answers the phone all day to book, move and confirm appointments, "
              "and chases patients who stop coming before their treatment plan is finished. "
              "Intake forms arrive on paper and are typed into our practice system by hand. "
              "We would like to free up reception and keep more patients on their plans.",
    "pain_point": "Missed appointments and late cancellations leave treatment rooms empty "
                  "several times a week, and nobody has time to follow up.",
    "systems_in_use": "Cliniko, Google Workspace, Xero, Mailchimp",
    "data_location": "cloud_apps",
    "ai_comfort": "curious",
    "tool_budget": "100_500",
    "timeline": "quarter",
    "pain_hours_per_week": 14,
    "pain_people": 3,
    "pain_cost_per_hour": 32,
}
_LOCK = threading.Lock()


def folder(settings: Settings) -> Path:
    return settings.COMPASS_DATA_DIR / "sample"


def _order(result: dict) -> dict:
    return {"order_number": ORDER_NUMBER, "public_id": "sample", "tier": TIER,
            "completed_at": result.get("generated_at"),
            "input_json": json.dumps({"company_size": BUSINESS["company_size"]})}


def _result_path(settings: Settings) -> Path:
    return folder(settings) / "result.json"


def pdf_path(settings: Settings) -> Path:
    return folder(settings) / "sample-report.pdf"


def build(settings: Settings, *, force: bool = False, timeout: float = 600.0) -> Path:
    """Make the sample report (result and PDF) unless it is there already. Returns the PDF."""
    from compass.engine import run_engine
    from compass.engine.offline import OfflineProvider

    with _LOCK:
        target = folder(settings)
        target.mkdir(parents=True, exist_ok=True)
        if force or not _result_path(settings).exists():
            db = store.open_database(target / "ledger.db")
            try:
                result = asyncio.run(run_engine(
                    OrderInput.model_validate(BUSINESS), get_tier(TIER),
                    provider=OfflineProvider(), db=db, run_id="sample-report"))
            finally:
                db.conn.close()
            write_atomically(_result_path(settings),
                             json.dumps(result, ensure_ascii=False).encode())
            pdf_path(settings).unlink(missing_ok=True)
        if not pdf_path(settings).exists():
            rendered = pdf.render_pdf(documents.report_document(report(settings)),
                                      timeout=timeout)
            write_atomically(pdf_path(settings), rendered.pdf)
    return pdf_path(settings)


def report(settings: Settings) -> Report:
    """The sample as a report view model (builds the result first when it is missing)."""
    if not _result_path(settings).exists():
        build(settings)
    result = load_result(_result_path(settings).read_text())
    base = settings.BASE_URL.rstrip("/")
    return replace(build_report(_order(result), result, base_url=base),
                   report_url=f"{base}/sample-report",
                   download_url=f"{base}/sample-report.pdf", status_url=f"{base}/")
