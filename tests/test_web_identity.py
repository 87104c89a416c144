"""Who sells (settings → legal pages, receipts, emails), and what crawlers and caches may keep:
robots.txt, noindex and no-store on private pages, the favicon, description and Open Graph."""

from __future__ import annotations

import re

import pytest

from compass import lifecycle, mail
from compass.receipts import build_receipt, receipt_html
from compass.settings import Settings
from tests.fakes.web_app import db_of, place_order, web_client

BUSINESS = {"BUSINESS_NAME": "Compass Reports LLC",
            "BUSINESS_ADDRESS": "12 Harbor Street; Wilmington, DE 19801; United States",
            "BUSINESS_CONTACT": "help@compass-reports.example",
            "GOVERNING_LAW": "the State of Delaware"}


@pytest.fixture
def site():
    with web_client(**BUSINESS) as (client, _queue):
        place_order(client)
        db = db_of(client)
        yield client, db, next(db.query("SELECT * FROM orders"))


def test_legal_pages_and_the_footer_name_the_business(site):
    client, _db, _order = site
    terms = client.get("/terms").text
    assert "Compass Reports LLC" in terms and "12 Harbor Street" in terms
    assert "governed by the laws of the State of Delaware" in terms
    assert "help@compass-reports.example" in client.get("/privacy").text
    assert "help@compass-reports.example" in client.get("/refund-policy").text
    footer = client.get("/").text.split('<footer class="site-footer">')[1]
    assert "Compass Reports LLC, 12 Harbor Street, Wilmington, DE 19801" in footer


def test_receipts_and_email_footers_name_the_business():
    settings = Settings(**BUSINESS)
    order = {"order_number": "ORD-2026-000001", "tier": "standard",
             "paid_at": "2026-03-01T12:00:00.000000Z"}
    payment = {"amount_cents": 14900, "currency": "usd", "payment_intent_id": "pi_1"}
    receipt = receipt_html(build_receipt(order, payment, {}, base_url="https://x.example",
                                         support_email="s@x.example", seller=settings.business))
    assert "Compass Reports LLC" in receipt and "Wilmington, DE 19801" in receipt
    assert "help@compass-reports.example" in receipt
    message = mail.compose("magic_link", to="dana@example.com", settings=settings,
                           message_id="<1@x>", context={"link": "https://x/l",
                                                        "minutes_valid": 15})
    for part in ("plain", "html"):
        body = message.get_body(preferencelist=(part,)).get_content()
        assert "Compass Reports LLC, 12 Harbor Street" in body, part


def test_robots_and_favicon(site):
    client, _db, _order = site
    robots = client.get("/robots.txt")
    assert robots.status_code == 200 and robots.text.startswith("User-agent: *")
    for private in ("/status/", "/orders", "/admin", "/login", "/dashboard", "/account"):
        assert f"Disallow: {private}" in robots.text
    assert "Disallow: /\n" not in robots.text  # the public pages stay crawlable
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_public_pages_describe_themselves_and_may_be_indexed(site):
    client, _db, _order = site
    for path in ("/", "/terms", "/privacy", "/refund-policy"):
        page = client.get(path)
        assert "x-robots-tag" not in page.headers and 'name="robots"' not in page.text
        assert re.search(r'<meta name="description" content="[^"]{40,}">', page.text)
        for tag in ("og:title", "og:description", "og:url", "og:image", "og:type"):
            assert f'property="{tag}"' in page.text, (path, tag)
        assert f'content="http://127.0.0.1:8000{path}"' in page.text


def test_private_pages_are_noindex_and_never_stored(site):
    client, db, order = site
    lifecycle.transition(db, order["id"], "paid")
    public = order["public_id"]
    for path in (f"/status/{public}", f"/status/{public}/progress", f"/orders/{public}/report",
                 f"/orders/{public}/receipt", f"/api/orders/{public}/status",
                 "/order/new?again=1", "/order/new", "/login", "/dashboard", "/account",
                 "/admin", "/admin/orders", "/admin/refunds", "/checkout/cancel"):
        response = client.get(path, follow_redirects=False)
        assert "no-store" in response.headers.get("cache-control", ""), path
        assert response.headers.get("x-robots-tag") == "noindex, nofollow", path
        if response.headers.get("content-type", "").startswith("text/html") and \
                response.status_code == 200 and "<html" in response.text:
            assert '<meta name="robots" content="noindex, nofollow">' in response.text, path
            assert "og:title" not in response.text, path
