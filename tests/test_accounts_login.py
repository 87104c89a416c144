"""Magic-link sign-in and sessions, through the whole app."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time

import pytest

from compass import accounts, store
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, outbox_links, press_link_button, request_link, sign_in
from tests.fakes.web_app import csrf_from, db_of, web_client

EMAIL = "dana@brightsmile.example"


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


def _link_path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def _customer_with_order(client, email: str = EMAIL) -> dict:
    return paid_order(db_of(client), email=email)


def test_a_customer_signs_in_with_the_link_and_sees_the_dashboard(data_dir):
    with web_client() as (client, _):
        order = _customer_with_order(client)
        request_link(client, "  Dana@BrightSmile.example ")
        [link] = outbox_links(data_dir)
        assert re.fullmatch(r"http://127\.0\.0\.1:8000/login/[\w-]{43}", link)
        response = press_link_button(client, link)
        assert response.status_code == 303 and response.headers["location"] == "/dashboard"
        cookie = response.headers["set-cookie"]
        assert "compass_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # development; production sets it (test below)
        dashboard = client.get("/dashboard")
        assert dashboard.status_code == 200
        assert order["order_number"] in dashboard.text
        # Only a hash of the token is stored.
        token = link.rsplit("/", 1)[1]
        db = db_of(client)
        assert not list(db.query("SELECT * FROM login_tokens WHERE token_hash = ?", [token]))
        assert not list(db.query("SELECT * FROM sessions WHERE token_hash = ?",
                                 [client.cookies["compass_session"]]))


def test_a_link_works_once(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        assert press_link_button(client, link).status_code == 303
        client.cookies.clear()
        again = client.get(_link_path(link), follow_redirects=False)
        assert again.status_code == 410
        assert "already been used" in again.text
        assert 'action="/login"' in again.text  # a button for a new link
        assert "compass_session" not in again.headers.get("set-cookie", "")
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_an_expired_link_is_refused(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        db = db_of(client)
        past = (dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ")
        db.execute("UPDATE login_tokens SET expires_at = ?", [past])
        response = client.get(_link_path(link), follow_redirects=False)
        assert response.status_code == 410 and "expired" in response.text
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_links_last_fifteen_minutes(db):
    paid_order(db, email=EMAIL)
    from compass.settings import Settings

    settings = Settings()
    sent = dt.datetime.now(dt.UTC)
    message = accounts.send_login_email(db, settings, EMAIL, now=sent)
    token = message.url.rsplit("/", 1)[1]
    with pytest.raises(accounts.LinkRejected) as late:
        accounts.sign_in_with_link(db, settings, token, now=sent + dt.timedelta(minutes=15))
    assert late.value.problem == "expired"
    message = accounts.send_login_email(db, settings, EMAIL, now=sent)
    session = accounts.sign_in_with_link(db, settings, message.url.rsplit("/", 1)[1],
                                         now=sent + dt.timedelta(minutes=14, seconds=59))
    assert session.customer_id is not None


def test_a_tampered_link_is_refused(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        path = _link_path(link)
        flipped = path[:-1] + ("A" if path[-1] != "A" else "B")
        for bad in (flipped, path[:-5], "/login/" + "x" * 300, "/login/%00"):
            response = client.get(bad, follow_redirects=False)
            assert response.status_code in (400, 404), bad
            assert "compass_session" not in response.headers.get("set-cookie", "")
        assert "not valid" in client.get(flipped).text
        # The real link still works: a tampered one did not use it up.
        assert press_link_button(client, link).status_code == 303


def test_the_login_answer_is_the_same_for_known_and_unknown_addresses(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        token = csrf_from(client.get("/login").text)

        def answer(email: str):
            started = time.perf_counter()
            response = client.post("/login", data={"email": email, "csrf_token": token})
            return response, time.perf_counter() - started

        known, _ = answer(EMAIL)
        unknown, _ = answer("nobody@elsewhere.example")
        assert known.status_code == unknown.status_code == 200
        assert known.content == unknown.content
        varying = {"date", "x-request-id"}
        assert {k: v for k, v in known.headers.items() if k not in varying} == \
            {k: v for k, v in unknown.headers.items() if k not in varying}
        # Both got an email: a link for the customer, an invitation for the stranger.
        mails = sorted((data_dir / "outbox").glob("*.eml"))
        assert len(mails) == 2
        texts = {m.read_text() for m in mails}
        assert any("/login/" in t and EMAIL in t for t in texts)
        assert any("/order/new" in t and "nobody@elsewhere.example" in t
                   and "/login/" not in t for t in texts)
        # Through the email log like every message; the link is cleared once sent.
        rows = {r["kind"]: r for r in db_of(client).query(
            "SELECT * FROM emails WHERE order_id IS NULL")}
        assert set(rows) == {"magic_link", "login_invitation"}
        assert rows["magic_link"]["status"] == "sent"
        assert rows["magic_link"]["context_json"] == "{}"
        # And in about the same time (the lookup happens after the answer).
        known_times, unknown_times = [], []
        for i in range(8):
            known_times.append(answer(f"dana+{i}@brightsmile.example")[1])  # unknown too
            unknown_times.append(answer(f"stranger{i}@elsewhere.example")[1])
        _customer_with_order(client, "timed@brightsmile.example")
        known_times = [answer("timed@brightsmile.example")[1] for _ in range(4)]
        difference = abs(statistics.median(known_times) - statistics.median(unknown_times))
        assert difference < 0.05, (known_times, unknown_times)


def test_bad_addresses_get_a_clear_error_and_keep_the_input():
    with web_client() as (client, _):
        token = csrf_from(client.get("/login").text)
        response = client.post("/login", data={"email": "not an email", "csrf_token": token})
        assert response.status_code == 422
        assert "Enter an email address" in response.text
        assert 'value="not an email"' in response.text
        assert client.post("/login", data={"email": EMAIL}).status_code == 403  # no CSRF


def test_five_links_per_address_per_hour(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        token = csrf_from(client.get("/login").text)
        answers = [client.post("/login", data={"email": EMAIL, "csrf_token": token})
                   for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        assert "Too many sign-in links" in answers[-1].text
        assert len(outbox_links(data_dir)) == 5
        # Another address from the same connection is still served.
        other = client.post("/login", data={"email": "x@y.example", "csrf_token": token})
        assert other.status_code == 200
        # The same limit for an unknown address: nothing to tell them apart.
        unknown = [client.post("/login", data={"email": "u@v.example", "csrf_token": token})
                   for _ in range(6)]
        assert unknown[-1].status_code == 429


def test_a_limit_per_connection(data_dir):
    with web_client() as (client, _):
        token = csrf_from(client.get("/login").text)
        codes = [client.post("/login", data={"email": f"p{i}@q.example", "csrf_token": token})
                 .status_code for i in range(accounts.LINKS_PER_IP.max_hits + 1)]
        assert codes[-1] == 429 and set(codes[:-1]) == {200}


def test_a_session_expires_after_seven_idle_days_and_slides_with_use(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        sign_in(client, data_dir, EMAIL)
        db = db_of(client)
        [session] = db.query("SELECT * FROM sessions")
        now = dt.datetime.now(dt.UTC)

        def set_seen(days_ago: float) -> None:
            seen = now - dt.timedelta(days=days_ago)
            db.execute("UPDATE sessions SET last_seen_at = ?, expires_at = ?", [
                seen.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                (seen + accounts.SESSION_IDLE_LIFETIME).strftime("%Y-%m-%dT%H:%M:%S.%fZ")])

        set_seen(6.9)  # used within the week: still signed in, and the week starts again
        assert client.get("/dashboard", follow_redirects=False).status_code == 200
        [slid] = db.query("SELECT * FROM sessions")
        assert slid["expires_at"] > (now + dt.timedelta(days=6, hours=23)).isoformat()
        set_seen(7.01)
        response = client.get("/dashboard", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/dashboard"
        assert session["id"] == slid["id"]


def test_logout_revokes_the_session_server_side(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        sign_in(client, data_dir, EMAIL)
        stolen = client.cookies["compass_session"]
        token = csrf_from(client.get("/dashboard").text)
        response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert 'compass_session=""' in response.headers["set-cookie"] or \
            "Max-Age=0" in response.headers["set-cookie"]
        [row] = db_of(client).query("SELECT * FROM sessions")
        assert row["revoked_at"] is not None
        # A copy of the cookie taken before logout no longer works.
        client.cookies.clear()
        client.cookies.set("compass_session", stolen)
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_a_forged_or_foreign_cookie_is_ignored(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        sign_in(client, data_dir, EMAIL)
        good = client.cookies["compass_session"]
        client.cookies.clear()
        client.cookies.set("compass_session", good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB"))
        assert client.get("/dashboard", follow_redirects=False).status_code == 303
    # A cookie signed with another key is not accepted.
    with web_client(SECRET_KEY="another-key-entirely") as (client, _):
        client.cookies.set("compass_session", good)
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_signing_keys_rotate_without_signing_anyone_out(data_dir):
    with web_client(SECRET_KEY="old-key") as (client, _):
        _customer_with_order(client)
        sign_in(client, data_dir, EMAIL)
        cookie = client.cookies["compass_session"]
    with web_client(SECRET_KEY="new-key", SECRET_KEY_PREVIOUS="old-key") as (client, _):
        client.cookies.set("compass_session", cookie)
        response = client.get("/dashboard", follow_redirects=False)
        assert response.status_code == 200
        # Re-signed with the new key on the way out.
        renewed = response.headers["set-cookie"].split(";")[0].split("=", 1)[1]
        assert renewed != cookie
    with web_client(SECRET_KEY="new-key") as (client, _):
        client.cookies.set("compass_session", cookie)  # the old key is retired now
        assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_production_cookies_are_secure(tmp_path, monkeypatch):
    from starlette.responses import Response

    from compass.settings import Settings
    from compass.web.accounts import set_session_cookie

    settings = Settings(COMPASS_ENV="production", SECRET_KEY="k" * 40)

    class FakeRequest:
        app = type("A", (), {"state": type("S", (), {"compass": type(
            "C", (), {"settings": settings})()})()})()

    response = Response()
    set_session_cookie(FakeRequest(), response, "token")  # type: ignore[arg-type]
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_admins_sign_in_the_same_way_without_an_order(data_dir):
    with web_client(ADMIN_EMAILS="Ops@Compass.example, other@compass.example") as (client, _):
        request_link(client, "ops@compass.example")
        [link] = outbox_links(data_dir)
        response = press_link_button(client, link)
        assert response.headers["location"] == "/admin"
        from compass.web.auth import current_admin, current_customer

        class Req:
            def __init__(self, c):
                self.cookies = {"compass_session": c.cookies["compass_session"]}
                self.scope = {}
                self.app = c.app

        request = Req(client)
        assert current_admin(request).email == "ops@compass.example"  # type: ignore
        assert current_customer(request) is None  # type: ignore[arg-type]
        # A customer is not an admin.
        _customer_with_order(client)
        client.cookies.clear()
        sign_in(client, data_dir, EMAIL)
        assert current_admin(Req(client)) is None  # type: ignore[arg-type]
        assert current_customer(Req(client))["email"] == EMAIL  # type: ignore[arg-type,index]


def test_next_returns_to_a_local_page_only(data_dir):
    with web_client() as (client, _):
        order = _customer_with_order(client)
        target = f"/orders/{order['public_id']}/refund"
        first = client.get(target, follow_redirects=False)
        assert first.headers["location"] == f"/login?next={target}"
        page = client.get(first.headers["location"])
        assert f'name="next" value="{target}"' in page.text
        client.post("/login", data={"email": EMAIL, "next": target,
                                    "csrf_token": csrf_from(page.text)})
        [link] = outbox_links(data_dir, "/login/")
        assert link.endswith(f"?next={target}")
        response = press_link_button(client, link)
        assert response.headers["location"] == target


def test_a_deleted_customers_link_and_session_stop_working(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        customer = store.customers.by_email(db_of(client), EMAIL)
        from compass.settings import Settings

        accounts.delete_account(db_of(client), Settings(), customer)
        assert client.get(_link_path(link), follow_redirects=False).status_code in (400, 410)


def test_tokens_never_reach_the_logs(data_dir, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    with web_client() as (client, _):
        _customer_with_order(client)
        sign_in(client, data_dir, EMAIL)
        [link] = outbox_links(data_dir)
        token = link.rsplit("/", 1)[1]
        session = client.cookies["compass_session"]
    assert token not in caplog.text
    assert session.split(".")[0] not in caplog.text


def test_opening_a_link_only_shows_a_button_that_signs_in(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        db = db_of(client)
        for _ in range(3):  # a mail scanner, a link preview, then the person
            page = client.get(_link_path(link), follow_redirects=False)
            assert page.status_code == 200 and EMAIL in page.text
            assert page.headers["cache-control"] == "no-store"
            assert 'name="robots" content="noindex' in page.text
            assert "compass_session" not in page.headers.get("set-cookie", "")
        assert [r["used_at"] for r in db.query("SELECT used_at FROM login_tokens")] == [None]
        assert not list(db.query("SELECT id FROM sessions"))
        # The button's POST needs this browser's CSRF token.
        refused = client.post(_link_path(link), data={}, follow_redirects=False)
        assert refused.status_code == 403
        assert [r["used_at"] for r in db.query("SELECT used_at FROM login_tokens")] == [None]
        assert press_link_button(client, link).status_code == 303
        assert client.get("/dashboard", follow_redirects=False).status_code == 200


def test_someone_elses_link_does_not_silently_replace_a_session(data_dir):
    """Login CSRF: a link crafted by another person says whose account it opens, and
    pressing its button signs the current account out rather than mixing the two."""
    other = "eve@elsewhere.example"
    with web_client() as (client, _):
        _customer_with_order(client)
        _customer_with_order(client, other)
        sign_in(client, data_dir, EMAIL)
        db = db_of(client)
        request_link(client, other)
        eves_link = outbox_links(data_dir)[-1]
        page = client.get(_link_path(eves_link))
        assert f"signed in as <strong>{EMAIL}</strong>" in page.text and other in page.text
        assert client.get("/dashboard").text.count(EMAIL) >= 1  # still Dana until she presses
        assert press_link_button(client, eves_link).status_code == 303
        sessions = list(db.query("SELECT email, revoked_at FROM sessions ORDER BY id"))
        assert [(s["email"], s["revoked_at"] is None) for s in sessions] == [
            (EMAIL, False), (other, True)]


def test_a_used_link_opened_while_signed_in_points_to_the_orders(data_dir):
    with web_client() as (client, _):
        _customer_with_order(client)
        request_link(client, EMAIL)
        [link] = outbox_links(data_dir)
        assert press_link_button(client, link).status_code == 303
        # Opening one's own link again while signed in: straight to the orders.
        assert client.get(_link_path(link), follow_redirects=False).status_code in (303, 410)
        again = client.get(_link_path(link), follow_redirects=False)
        assert again.status_code == 410 and "already been used" in again.text
        assert "Email me a new link" not in again.text and 'href="/dashboard"' in again.text


@pytest.mark.parametrize(("path", "kept"), [
    ("/dashboard", "/dashboard"),
    ("/status/abc?x=1", "/status/abc?x=1"),
    ("//evil.example/x", None),  # protocol-relative: another site
    ("https://evil.example", None),
    ("/\\evil.example", None),  # browsers read a backslash as a slash
    ("dashboard", None),
    ("/a\nLocation: x", None),  # header injection
    ("/" + "a" * 600, None),
    ("", None),
    (None, None),
])
def test_only_local_paths_are_returned_to_after_sign_in(path, kept):
    assert accounts.safe_next(path) == kept
