"""Pages, the order form, validation, CSRF, rate limits and security headers."""

from __future__ import annotations

import re

from compass import store
from compass.settings import Settings
from tests.fakes.web_app import VALID_ORDER, csrf_from, db_of, place_order, web_client


def test_landing_page_shows_three_tiers_with_price_count_delivery_and_links():
    with web_client() as (client, _):
        page = client.get("/")
    assert page.status_code == 200
    html = page.text
    for name, price, count, hours in [("starter", "$49", 3, 24), ("standard", "$149", 5, 12),
                                      ("premium", "$399", 8, 6)]:
        assert f'href="/order/new?tier={name}"' in html
        assert price in html
        assert f"{count} workflows" in html
        assert f"{hours} hours" in html
    assert "One revision" in html and "QA guarantee" in html
    for path in ("/terms", "/privacy", "/refund-policy"):
        assert f'href="{path}"' in html


def test_legal_pages_have_real_text():
    with web_client() as (client, _):
        refund = client.get("/refund-policy").text
        terms = client.get("/terms")
        privacy = client.get("/privacy")
    assert "7 days" in refund and "never been downloaded" in refund
    assert "first refund" in refund and "automatically" in refund
    assert terms.status_code == privacy.status_code == 200
    assert "Stripe" in privacy.text and "Anthropic" in privacy.text


def test_security_headers_on_every_page_and_hsts_only_in_production():
    from compass.web.limits import FORM_MAX_BYTES

    with web_client() as (client, _):
        response = client.get("/")
        missing = client.get("/nowhere")
        too_large = client.post("/orders", content=b"x" * (FORM_MAX_BYTES + 1),
                                headers={"content-type": "application/x-www-form-urlencoded"})
    assert too_large.status_code == 413
    for r in (response, missing, too_large):
        assert len(r.headers.get_list("content-security-policy")) == 1
        assert len(r.headers.get_list("x-request-id")) == 1
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "'unsafe-inline'" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"]
    assert "strict-transport-security" not in response.headers
    production = Settings(COMPASS_ENV="production", SECRET_KEY="s" * 40,
                          BASE_URL="https://compass.example", STRIPE_SECRET_KEY="sk_test_x",
                          STRIPE_WEBHOOK_SECRET="whsec_x", ANTHROPIC_API_KEY="k",
                          SMTP_HOST="smtp.example", MAIL_FROM="a@b.example")
    with web_client(production) as (client, _):
        assert "max-age=" in client.get("/").headers["strict-transport-security"]


def test_a_handlers_own_headers_stand_but_a_private_page_is_never_cached_weakly():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from compass.web.security import SecurityHeaders

    def answer(headers: dict[str, str]):
        async def handler(request):
            return PlainTextResponse("ok", headers=headers)
        return handler

    app = Starlette(routes=[
        Route("/status/weak", answer({"Cache-Control": "public, max-age=600"})),
        Route("/status/revalidated", answer({"Cache-Control": "no-cache"})),
        Route("/status/none", answer({})),
        Route("/status/framed", answer({"Content-Security-Policy": "frame-ancestors 'self'"})),
        Route("/public", answer({"Cache-Control": "public, max-age=600"})),
    ])
    with TestClient(SecurityHeaders(app, production=True)) as client:
        answers = {path: client.get(path).headers for path in (
            "/status/weak", "/status/revalidated", "/status/none", "/status/framed", "/public")}
    assert answers["/status/weak"].get_list("cache-control") == ["private, no-store"]
    assert answers["/status/revalidated"].get_list("cache-control") == ["no-cache"]
    assert answers["/status/none"].get_list("cache-control") == ["private, no-store"]
    assert answers["/status/framed"].get_list("content-security-policy") == [
        "frame-ancestors 'self'"]
    assert answers["/public"].get_list("cache-control") == ["public, max-age=600"]
    assert "x-robots-tag" not in answers["/public"]
    for path, headers in answers.items():
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == \
            "nosniff" and "max-age=" in headers["strict-transport-security"], path
        if path != "/public":
            assert headers.get_list("x-robots-tag") == ["noindex, nofollow"], path
        if path != "/status/framed":
            assert "default-src 'self'" in headers["content-security-policy"], path


def test_unknown_pages_get_a_proper_404_page():
    with web_client() as (client, _):
        response = client.get("/status/does-not-exist")
        api = client.get("/api/orders/does-not-exist/status")
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in response.text
    assert api.status_code == 404 and api.json() == {"error": "order not found"}


def test_order_form_has_every_contract_field_and_preselects_the_tier():
    with web_client() as (client, _):
        html = client.get("/order/new?tier=premium").text
        default = client.get("/order/new?tier=bogus").text
    for name in ("company_name", "contact_name", "email", "company_website", "industry",
                 "company_size", "prompt", "pain_point", "tier", "csrf_token"):
        assert f'name="{name}"' in html
    assert re.search(r'value="premium" checked', html)
    assert not re.search(r'value="standard" checked', html)
    assert re.search(r'value="standard" checked', default)


def test_invalid_form_shows_a_message_per_field_and_keeps_every_value():
    with web_client() as (client, _):
        response = place_order(client, email="not-an-email", prompt="too short",
                               company_size="", company_name="  ", industry="Dent<al> & co")
        db = db_of(client)
        assert db["orders"].count == 0
    assert response.status_code == 422
    html = response.text
    assert 'id="email-error"' in html and "Enter an email address" in html
    assert 'id="prompt-error"' in html and "at least 20 characters" in html
    assert 'id="company_size-error"' in html
    assert 'id="company_name-error"' in html and "This is required." in html
    # Every value comes back, escaped.
    assert 'value="not-an-email"' in html
    assert ">too short</textarea>" in html
    assert 'value="Dent&lt;al&gt; &amp; co"' in html
    assert 'value="Dana Ortiz"' in html
    assert re.search(r'value="standard" checked', html)


def test_overlong_values_are_rejected_not_truncated():
    with web_client() as (client, _):
        response = place_order(client, company_name="x" * 201)
    assert response.status_code == 422
    assert "under 200 characters" in response.text


def test_post_without_or_with_forged_csrf_token_is_refused_and_writes_nothing():
    with web_client() as (client, _):
        client.get("/order/new")  # the browser has a cookie
        no_token = client.post("/orders", data=VALID_ORDER, follow_redirects=False)
        forged = client.post("/orders", data=VALID_ORDER | {"csrf_token": "abc.def"},
                             follow_redirects=False)
        other_cookie = csrf_from(client.get("/order/new").text)
        client.cookies.clear()
        client.cookies.set("compass_csrf", "someone-elses")
        mismatched = client.post("/orders", data=VALID_ORDER | {"csrf_token": other_cookie},
                                 follow_redirects=False)
        count = db_of(client)["orders"].count
    assert no_token.status_code == forged.status_code == mismatched.status_code == 403
    assert count == 0


def test_valid_order_creates_customer_and_pending_order_then_redirects_to_checkout():
    with web_client() as (client, queue):
        response = place_order(client)
        db = db_of(client)
        order = next(db.query("SELECT * FROM orders"))
        customer = next(db.query("SELECT * FROM customers"))
        payment = next(db.query("SELECT * FROM payments"))
    assert response.status_code == 303
    assert response.headers["location"] == f"http://127.0.0.1:8000/dev/checkout/{payment['checkout_session_id']}"
    assert order["status"] == "payment_pending" and order["tier"] == "standard"
    assert order["amount_cents"] == 14900 and order["currency"] == "usd"
    assert re.fullmatch(r"ORD-\d{4}-\d{6}", order["order_number"])
    assert len(order["public_id"]) >= 20
    assert customer["email"] == "dana.ortiz@brightsmile.example"
    assert payment["amount_cents"] == 14900 and payment["status"] == "open"
    assert queue.jobs == []


def test_same_email_in_other_case_reuses_the_customer():
    with web_client() as (client, _):
        place_order(client)
        place_order(client, email="DANA.ORTIZ@brightsmile.EXAMPLE", contact_name="Dana O.")
        db = db_of(client)
        customers = list(db.query("SELECT * FROM customers"))
        numbers = [r["order_number"] for r in db.query("SELECT * FROM orders ORDER BY id")]
    # One customer; a signed-out order never rewrites their details (issue 11).
    assert len(customers) == 1 and customers[0]["name"] == "Dana Ortiz"
    assert numbers[1][-6:] == "000002" and numbers[0] != numbers[1]


def test_sixth_order_in_an_hour_from_one_ip_gets_a_friendly_429():
    with web_client() as (client, _):
        statuses = [place_order(client).status_code for _ in range(6)]
        last = place_order(client)
        orders = db_of(client)["orders"].count
    assert statuses == [303] * 5 + [429]
    assert last.status_code == 429 and "five orders an hour" in last.text
    assert last.headers["retry-after"] == "3600"
    assert orders == 5


def test_rate_limit_is_shared_through_the_database(tmp_path):
    from compass import ratelimit

    path = tmp_path / "shared.db"
    first, second = store.open_database(path), store.open_database(path)
    assert all(ratelimit.hit(first, ratelimit.ORDERS_PER_IP, "1.2.3.4") for _ in range(3))
    assert all(ratelimit.hit(second, ratelimit.ORDERS_PER_IP, "1.2.3.4") for _ in range(2))
    assert not ratelimit.hit(first, ratelimit.ORDERS_PER_IP, "1.2.3.4")
    assert ratelimit.hit(second, ratelimit.ORDERS_PER_IP, "5.6.7.8")


def test_rate_limit_window_slides(db):
    import datetime as dt

    from compass import ratelimit

    start = dt.datetime(2026, 1, 1, 12, tzinfo=dt.UTC)
    for minute in range(5):
        moment = start + dt.timedelta(minutes=minute)
        assert ratelimit.hit(db, ratelimit.ORDERS_PER_IP, "ip", moment)
    assert not ratelimit.hit(db, ratelimit.ORDERS_PER_IP, "ip", start + dt.timedelta(minutes=59))
    assert ratelimit.hit(db, ratelimit.ORDERS_PER_IP, "ip", start + dt.timedelta(minutes=61))


def test_dev_checkout_does_not_exist_in_production():
    production = Settings(COMPASS_ENV="production", SECRET_KEY="s" * 40,
                          BASE_URL="https://compass.example", STRIPE_SECRET_KEY="sk_test_x",
                          STRIPE_WEBHOOK_SECRET="whsec_x", ANTHROPIC_API_KEY="k",
                          SMTP_HOST="smtp.example", MAIL_FROM="a@b.example")
    with web_client(production) as (client, _):
        assert client.get("/dev/checkout/cs_test_anything").status_code == 404
        assert client.post("/dev/checkout/cs_test_anything", data={}).status_code == 404


def test_htmx_and_css_are_served_from_static():
    with web_client() as (client, _):
        html = client.get("/").text
        css = client.get("/static/css/site.css")
    assert '<script src="/static/vendor/htmx.min.js"' in html
    assert css.status_code == 200 and "progress" in css.text


def test_healthz():
    with web_client() as (client, _):
        assert client.get("/healthz").text == "ok"


def test_an_unexpected_error_gets_a_plain_500_page(monkeypatch):
    from compass.web import pages

    async def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(pages, "terms", broken)
    from starlette.testclient import TestClient

    from app import create_app
    from compass import queue
    from tests.fakes.web_app import Queue

    with queue.replaced(process_order=Queue()), \
            TestClient(create_app(Settings()), raise_server_exceptions=False) as c:
        response = c.get("/terms")
    assert response.status_code == 500
    assert "Sorry, something went wrong" in response.text and "boom" not in response.text
