"""The admin as a tool: its own layout, human times in the operator's timezone, plain states,
charts with axes and values, actions only where the state allows them, margins net of
refunds, the refund queue in words, and CSV export per period."""

from __future__ import annotations

import csv
import io
import re

from compass import clock, lifecycle, store
from compass.web.admin import bar_chart
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.web_app import db_of, web_client

ADMIN = "ops@compass.example"


def _admin(data_dir, **env):
    return web_client(ADMIN_EMAILS=ADMIN, ADMIN_TIMEZONE="America/New_York", **env)


def _visible(html: str) -> str:
    """The page's text without tags and attribute values."""
    return re.sub(r"<[^>]+>", " ", html)


def test_admin_pages_have_their_own_frame_and_read_like_a_tool(data_dir):
    with Dispatched(), _admin(data_dir) as (client, _):
        db = db_of(client)
        order = paid_order(db, email="dana@brightsmile.example", tier="premium")
        sign_in(client, data_dir, ADMIN)
        for path in ("/admin", "/admin/orders", f"/admin/orders/{order['public_id']}",
                     "/admin/refunds", "/admin/export"):
            html = client.get(path).text
            assert 'class="admin-header"' in html and "Compass admin" in html, path
            assert "Get your report" not in html and "Pricing" not in html, path
            text = _visible(html)
            assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), (path, "raw ISO time")
            assert "pending_review" not in text and "payment_pending" not in text, path
        detail = _visible(client.get(f"/admin/orders/{order['public_id']}").text)
        assert "Premium" in detail and "EST" in detail  # tier label, operator's timezone
        listing = _visible(client.get("/admin/orders").text)
        assert "Premium" in listing and " premium " not in listing


def test_a_refunded_order_offers_no_retry_and_no_refund(data_dir):
    with Dispatched(), _admin(data_dir) as (client, _):
        db = db_of(client)
        order = paid_order(db)
        lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
        completed = paid_order(db, email="other@example.com")
        running = paid_order(db, email="third@example.com", status="paid")
        sign_in(client, data_dir, ADMIN)
        refunded_page = client.get(f"/admin/orders/{order['public_id']}").text
        completed_page = client.get(f"/admin/orders/{completed['public_id']}").text
        running_page = client.get(f"/admin/orders/{running['public_id']}").text
    assert "/retry" not in refunded_page and "/refund\"" not in refunded_page
    assert "Refund $149" not in refunded_page
    assert "/retry" not in completed_page and "Refund $149" in completed_page
    assert "/retry" in running_page and "Refund $" not in running_page


def test_a_fully_refunded_sale_has_no_margin(data_dir):
    with Dispatched(), _admin(data_dir) as (client, _):
        db = db_of(client)
        order = paid_order(db, tier="standard")
        lifecycle.transition(db, order["id"], "refunded", reason="refunded at Stripe")
        sign_in(client, data_dir, ADMIN)
        html = client.get("/admin?days=7").text
    row = re.search(r"<td>Standard</td>(.*?)</tr>", html, re.S)
    assert row, html
    assert "100.0%" not in row.group(1) and "$149" in row.group(1)  # revenue and refunded
    assert "100.0%" not in html.split("Gross margin")[1][:200]


def test_charts_have_a_value_axis_dates_and_values():
    svg = str(bar_chart([("2026-12-01", 0), ("2026-12-02", 149), ("2026-12-03", 49)],
                        title="Net revenue", label=lambda v: f"${v:,.0f}"))
    assert "style=" not in svg  # the CSP allows no inline style
    labels = re.findall(r'<text class="axis"[^>]*>([^<]+)</text>', svg)
    assert labels[:3] == ["$0", "$100", "$200"]  # a round top above the highest bar
    assert {"1 Dec", "2 Dec", "3 Dec"} <= set(labels)
    assert re.findall(r'<text class="value"[^>]*>([^<]+)</text>', svg) == ["$149", "$49"]
    assert svg.count('class="grid"') == 3


def test_the_refund_queue_reads_in_words(data_dir):
    with Dispatched(), _admin(data_dir) as (client, _):
        db = db_of(client)
        order = paid_order(db, email="a@example.com", paid_days_ago=0.2)
        with store.transaction(db):
            store.refunds.insert(
                db, order_id=order["id"], customer_id=order["customer_id"],
                kind="customer_request", status="pending_review", amount_cents=14900,
                currency="usd", reason="Not for us",
                requested_by=f"customer:{order['customer_id']}", requested_at=clock.now_iso(),
                review_reason="the report's PDF was downloaded once",
                days_since_payment=0.2, downloads_at_request=1)
        sign_in(client, data_dir, ADMIN)
        text = _visible(client.get("/admin/refunds").text)
    assert "Waiting for review" in text and "pending_review" not in text
    assert "the customer (a@example.com)" in text and "customer:" not in text
    assert "less than a day after payment" in text and "0.2 days" not in text
    assert "downloaded once" in text and "time(s)" not in text


def test_csv_export_per_period(data_dir):
    with Dispatched(), _admin(data_dir) as (client, _):
        db = db_of(client)
        order = paid_order(db, email="dana@brightsmile.example")
        with store.transaction(db):
            store.refunds.insert(
                db, order_id=order["id"], customer_id=order["customer_id"], kind="admin",
                status="pending_review", amount_cents=14900, currency="usd",
                reason="=HYPERLINK(\"x\")", requested_by=f"admin:{ADMIN}",
                requested_at=clock.now_iso())
        sign_in(client, data_dir, ADMIN)
        today = clock.now().date().isoformat()
        files = {}
        for kind in ("orders", "payments", "refunds"):
            response = client.get(f"/admin/export/{kind}.csv?since=2020-01-01&until=2099-01-01")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/csv")
            assert "attachment" in response.headers["content-disposition"]
            files[kind] = list(csv.DictReader(io.StringIO(response.text)))
        empty = client.get("/admin/export/orders.csv?since=2020-01-01&until=2020-01-02").text
        page = client.get(f"/admin/export?since={today}&until={today}").text
        assert client.get("/admin/export/customers.csv").status_code == 404
    assert [r["order_number"] for r in files["orders"]] == [order["order_number"]]
    assert files["orders"][0]["customer_email"] == "dana@brightsmile.example"
    assert files["payments"][0]["status"] == "succeeded"
    assert files["refunds"][0]["reason"].startswith("'=")  # no formula in a spreadsheet
    assert empty.strip().count("\n") == 0  # the header row alone
    assert f"/admin/export/refunds.csv?since={today}&amp;until={today}" in page
