"""The PDFs: the report (pages, running header and footer, escaping), the receipt, and the
locked-down renderer (a fetcher that serves only our static files, bounded time)."""

from __future__ import annotations

import io
import re
import socket
import threading
import time

import pytest
from pypdf import PdfReader

from compass import documents, pdf, store
from compass.receipts import build_receipt, receipt_html
from compass.report import build_report
from compass.settings import get_settings
from tests.factories import ANSWERS, checkout_paid_order, engine_result

HOSTILE = '<script>alert(1)</script><img src=file:///etc/passwd>'


def text_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_hostile_company_name_is_text_in_the_pdf_and_fetches_nothing(db):
    order = checkout_paid_order(db, "starter", company_name=HOSTILE)
    result = engine_result(db, "starter", company_name=HOSTILE)
    report = build_report(store.orders.get(db, order["id"]), result, base_url="https://x.example")
    rendered = pdf.render_pdf(documents.report_document(report))
    assert rendered.refused == []  # the name is text, not an element: nothing to fetch
    assert sorted(rendered.served) == [
        "https://static.compass.invalid/static/css/report-print.css",
        "https://static.compass.invalid/static/css/report.css",
        "https://static.compass.invalid/static/images/compass.svg"]
    assert "<script>alert(1)</script>" in "".join(text_of(rendered.pdf))


# The report's sections that open a page (report-print.css); the page before one of these
# is the last of its section, the only kind allowed to stay mostly empty.
SECTION_TITLES = ("Contents", "Your AI readiness scorecard", "Executive summary",
                  "The business case", "Your prioritised workflows", "Roadmap",
                  "Risks and governance", "Appendix: every idea we considered")


def lowest_text(page) -> float:
    """The y of the lowest line of body text (PDF points from the bottom of the page)."""
    height = float(page.mediabox.height)
    found: list[float] = []

    def visit(text, cm, tm, font, size):
        y = tm[5] * cm[3] + tm[4] * cm[1] + cm[5]
        if text.strip() and 70 < y < height - 70:  # not the running header or footer
            found.append(y)

    page.extract_text(visitor_text=visit)
    return min(found, default=height)


def headings(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(level, title, page number) of every heading, from the PDF's bookmarks (WeasyPrint
    makes one per h1-h6, at the page where the heading is drawn)."""
    found: list[tuple[int, str, int]] = []

    def walk(items, level: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, " ".join(item.title.split()),
                              reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 0)
    return found


@pytest.fixture
def premium_pdf(db) -> PdfReader:
    """A premium report with the business case, rendered in this process."""
    answers = {"pain_hours_per_week": "15", "pain_cost_per_hour": "40",
               "data_location": "spreadsheets", "tool_budget": "500_2000"}
    order = checkout_paid_order(db, "premium", **answers)
    report = build_report(store.orders.get(db, order["id"]),
                          engine_result(db, "premium", **answers), base_url="https://x.example")
    return PdfReader(io.BytesIO(pdf.render_in_process(documents.report_document(report)).pdf))


def test_no_premium_page_is_more_than_a_third_empty_but_a_sections_last(premium_pdf):
    pages = list(premium_pdf.pages)
    opening = {title: page for level, title, page in headings(premium_pdf)
               if level == 1 and title in SECTION_TITLES}
    assert set(opening) == set(SECTION_TITLES)  # every section is there, each at a page top
    assert sorted(opening.values()) == [opening[title] for title in SECTION_TITLES]
    assert len(set(opening.values())) == len(SECTION_TITLES)
    assert 12 <= len(pages) <= 24
    usable = 842 - 2 * 62  # A4 less the top and bottom margins, in points
    for number, page in enumerate(pages[1:-1], start=2):
        if number + 1 in opening.values():  # the next page opens a section: may end short
            continue
        empty = (lowest_text(page) - 62) / usable
        text = " ".join(page.extract_text().split())
        assert empty <= 1 / 3, f"page {number} is {empty:.0%} empty: {text[:120]}"


def test_premium_contents_page_numbers_and_running_lines_are_right(premium_pdf):
    pages = [page.extract_text() for page in premium_pdf.pages]
    # Each contents entry reads "<title><its number in the list>. <page>".
    entries = [re.fullmatch(r"(.+?)\d+\. (\d+)", line.strip())
               for line in pages[1].splitlines()[1:]]
    contents = {m[1].strip(): int(m[2]) for m in entries if m}
    drawn = {title: page for level, title, page in headings(premium_pdf) if level in (1, 2)}
    assert len(contents) >= 16  # the sections and every workflow
    assert {title: drawn.get(title) for title in contents} == contents
    assert "Appendix: every idea we considered" in contents
    total = len(pages)
    for number, text in enumerate(pages[1:], start=2):  # the cover has no running lines
        assert f"Page {number} of {total}" in text
        assert "ORD-" in text and "Demonstration copy: offline model" in text
        assert "AI Readiness Compass" in text and ANSWERS["company_name"] in text
    assert "Page 1 of" not in pages[0]


@pytest.fixture
def listener():
    """A TCP port that records every connection made to it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            connections.append("connected")
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1], connections
    stop.set()
    thread.join()
    server.close()


def test_a_document_that_reaches_for_files_or_the_network_gets_nothing(listener):
    port, connections = listener
    attacks = [
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        f"http://127.0.0.1:{port}/steal.css",
        f"https://127.0.0.1:{port}/x.png",
        "https://static.compass.invalid/static/../../../../etc/passwd",
        "https://static.compass.invalid/static/%2e%2e/%2e%2e/etc/passwd",
        "https://static.compass.invalid/etc/passwd",
        "https://evil.example/static/css/report.css",
        "ftp://127.0.0.1/x",
    ]
    html = "<html><head>" + "".join(
        f'<link rel="stylesheet" href="{u}">' for u in attacks) + (
        f"<style>@import url('http://127.0.0.1:{port}/import.css');</style></head><body>"
        '<img src="file:///etc/passwd"><object data="file:///etc/shadow"></object>'
        '<a rel="attachment" href="file:///etc/passwd">attached</a>'
        f'<img src="http://127.0.0.1:{port}/pixel.png">'
        '<img src="/static/../../../etc/passwd"><p>Body text</p></body></html>')
    rendered = pdf.render_pdf(html)
    refused = set(rendered.refused)
    assert {"file:///etc/passwd", "http://127.0.0.1:9/", f"http://127.0.0.1:{port}/pixel.png",
            f"http://127.0.0.1:{port}/steal.css"} <= refused
    assert rendered.served == []
    time.sleep(0.3)
    assert connections == []  # nothing ever reached the network
    whole = b"".join([rendered.pdf])
    assert b"root:x:0:0" not in whole and b"/EmbeddedFile" not in whole
    assert "Body text" in "".join(text_of(rendered.pdf))


def test_fetcher_serves_only_files_inside_static(tmp_path):
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "ok.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("secret")
    (static / "css" / "link.css").symlink_to(tmp_path / "secret.txt")
    fetcher = pdf.StaticOnlyFetcher(static)
    assert fetcher.fetch(f"{pdf.STATIC_ORIGIN}/static/css/ok.css").read() == b"p { color: red }"
    for url in (f"{pdf.STATIC_ORIGIN}/static/css/link.css",  # a symlink out of static/
                f"{pdf.STATIC_ORIGIN}/static/css/../../secret.txt",
                f"{pdf.STATIC_ORIGIN}/static/css/ok.css?x=1",
                f"{pdf.STATIC_ORIGIN}/static/css\\ok.css",
                f"{pdf.STATIC_ORIGIN}/static/",
                f"{pdf.STATIC_ORIGIN.upper()}:443/static/css/ok.css",
                "file://" + str(static / "css" / "ok.css"),
                "data:text/css,p{}"):
        with pytest.raises(pdf.RefusedURL):
            fetcher.fetch(url)
    assert len(fetcher.refused) == 8
    assert fetcher.served == [f"{pdf.STATIC_ORIGIN}/static/css/ok.css"]


def test_rendering_is_bounded_in_time_and_the_renderer_recovers():
    # About 30,000 table cells: far more than the timeout allows.
    rows = "".join(f"<tr>{'<td>cell text here</td>' * 30}</tr>" for _ in range(1000))
    started = time.monotonic()
    with pytest.raises(pdf.PdfTimeout):
        pdf.render_pdf(f"<table>{rows}</table>", timeout=1.0)
    assert time.monotonic() - started < 8.0  # loose on purpose: PdfTimeout is the proof
    assert text_of(pdf.render_pdf("<p>still works</p>").pdf) == ["still works"]


def test_receipt_has_what_a_receipt_needs(db):
    order = store.orders.get(db, checkout_paid_order(db, "standard")["id"])
    path = documents.ensure_receipt_pdf(db, order, get_settings())
    [page] = text_of(path.read_bytes())
    payment = store.payments.paid_for_order(db, order["id"])
    assert "receipt" in page.lower()
    for expected in ("AI Readiness Compass", order["order_number"], "Standard",
                     "$149", "USD", payment["payment_intent_id"], "Refund policy",
                     "7 days", "maria@brightsidedental.example.com"):
        assert expected in page, expected
    assert documents.ensure_receipt_pdf(db, order, get_settings()) == path  # rendered once


def test_receipt_needs_a_payment(db):
    from compass import lifecycle
    from compass.intake import OrderInput
    from compass.receipts import ReceiptError
    from compass.tiers import get_tier
    from tests.factories import answers

    order = lifecycle.create_order(db, OrderInput.model_validate(answers()), get_tier("starter"))
    with pytest.raises(ReceiptError):
        build_receipt(order, None, None, base_url="https://x.example", support_email="s@x.example")
    assert "{{" not in receipt_html(build_receipt(
        order | {"paid_at": "2026-03-01T10:00:00Z"},
        {"amount_cents": 4900, "currency": "usd", "payment_intent_id": "pi_1"}, None,
        base_url="https://x.example", support_email="s@x.example"))
