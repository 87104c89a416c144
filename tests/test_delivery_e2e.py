"""A whole order through the Procfile's real processes, with mail going to a real SMTP server.

uvicorn serves app.py, `huey_consumer jobs.huey` runs the order and the email jobs, the
dev checkout pays through the signed webhook, and aiosmtpd on 127.0.0.1 receives the
payment confirmation (receipt attached) and the report-ready email (report attached), whose
links work.
"""

from __future__ import annotations

import io
import re

import httpx
import pytest
from pypdf import PdfReader

from tests.factories import ANSWERS
from tests.fakes.delivery import place_paid_order
from tests.fakes.processes import procfile_stack, read, tail
from tests.fakes.smtp import smtp_server


@pytest.fixture
def stack(tmp_path):
    with smtp_server() as (mailbox, smtp_port):
        smtp = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none"}
        with procfile_stack(tmp_path, smtp) as (base, logs):
            yield base, mailbox, logs


def pdf_attachment(message) -> tuple[str, int]:
    [attachment] = list(message.iter_attachments())
    data = attachment.get_content()
    return attachment.get_filename(), len(PdfReader(io.BytesIO(data)).pages)


def test_a_paid_order_emails_its_receipt_and_its_report(stack):
    base, mailbox, logs = stack
    with httpx.Client(base_url=base, timeout=10) as client:
        public_id = place_paid_order(client)

        try:
            mailbox.wait_for(2, timeout=60)
        except AssertionError:
            raise AssertionError(tail(logs)) from None
        assert "Traceback" not in read(logs["worker"]), tail(logs)
        assert [m["X-Compass-Email"] for m in mailbox.messages()] == [
            "payment_confirmation", "report_ready"], tail(logs)
        confirmation = mailbox.of_kind("payment_confirmation")[0]
        ready = mailbox.of_kind("report_ready")[0]
        assert [r.rcpt_tos for r in mailbox.received] == [[ANSWERS["email"].lower()]] * 2
        name, pages = pdf_attachment(confirmation)
        assert re.fullmatch(r"Receipt-ORD-\d{4}-\d{6}\.pdf", name) and pages == 1
        name, pages = pdf_attachment(ready)
        assert re.fullmatch(r"AI-Readiness-Report-ORD-\d{4}-\d{6}\.pdf", name) and pages >= 6

        # The links in the email work: the report, the PDF (the same file), the status page.
        text = ready.get_body(preferencelist=("plain",)).get_content()
        links = re.findall(rf"{re.escape(base)}/\S+", text)
        assert f"{base}/orders/{public_id}/report" in links
        assert client.get(f"/orders/{public_id}/report").text.count('class="workflow"') == 3
        download = client.get(f"/orders/{public_id}/download")
        assert download.content == ready.get_payload()[1].get_payload(decode=True)
        assert client.get(f"/status/{public_id}").status_code == 200
