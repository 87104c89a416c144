"""The proof-of-work check on the order and sign-in forms: verified on the server, each
solution accepted once, a clear message and nothing lost when it fails; and in a real
browser, the vendored widget solves under our self-only CSP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altcha
import pytest

from compass.web import proof
from tests.fakes.processes import procfile_stack, tail
from tests.fakes.web_app import VALID_ORDER, csrf_from, web_client

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def client(monkeypatch):
    # A cheap challenge: the tests solve it in Python; the browser test uses the real cost.
    monkeypatch.setattr(proof, "COST", 10)
    with web_client(ALTCHA_ENABLED="true") as (client, _queue):
        yield client


def solved(client) -> str:
    response = client.get("/altcha/challenge")
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    challenge = altcha.Challenge.from_dict(response.json())
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def order(client, **extra: str):
    token = csrf_from(client.get("/order/new?tier=starter").text)
    return client.post("/orders", data=VALID_ORDER | {"csrf_token": token} | extra,
                       follow_redirects=False)


def test_the_forms_carry_the_widget_and_an_order_with_a_solution_goes_through(client):
    page = client.get("/order/new").text
    assert '<altcha-widget challenge="/altcha/challenge" name="altcha"' in page
    assert "/static/vendor/altcha.min.js" in page and "/static/js/altcha.js" in page
    assert "<altcha-widget" in client.get("/login").text
    assert order(client, altcha=solved(client)).status_code == 303


@pytest.mark.parametrize(("payload", "message"), [
    (None, proof.MISSING),
    ("", proof.MISSING),
    ("not base64 json", proof.FAILED),
])
def test_an_order_without_a_valid_solution_is_refused_keeping_the_answers(
        client, payload, message):
    extra = {} if payload is None else {"altcha": payload}
    refused = order(client, **extra)
    assert refused.status_code == 422
    assert message.split(";")[0] in refused.text.replace("&#39;", "'")
    # Nothing lost: every answer is back in the form.
    assert f'value="{VALID_ORDER["company_name"]}"' in refused.text
    assert VALID_ORDER["prompt"] in refused.text


def test_a_solution_is_accepted_once(client):
    payload = solved(client)
    assert order(client, altcha=payload).status_code == 303
    again = order(client, altcha=payload)
    assert again.status_code == 422 and "did not go through" in again.text


def test_a_tampered_challenge_is_refused(client):
    payload = altcha.Payload.from_base64(solved(client))
    payload.challenge.parameters.cost = 1  # cheaper work than we asked for
    assert order(client, altcha=payload.to_base64()).status_code == 422


def test_an_expired_challenge_says_so(client, monkeypatch):
    monkeypatch.setattr(proof, "VALID_FOR", dt.timedelta(seconds=-5))
    refused = order(client, altcha=solved(client))
    assert refused.status_code == 422 and "expired" in refused.text


def test_sign_in_needs_a_solution_and_keeps_the_address(client):
    token = csrf_from(client.get("/login").text)
    refused = client.post("/login", data={"csrf_token": token, "email": "kim@shop.example"})
    assert refused.status_code == 422
    assert 'value="kim@shop.example"' in refused.text and 'id="altcha-error"' in refused.text
    token = csrf_from(refused.text)
    sent = client.post("/login", data={"csrf_token": token, "email": "kim@shop.example",
                                       "altcha": solved(client)})
    assert sent.status_code == 200


def test_off_by_setting():
    with web_client() as (client, _queue):  # the tests' environment: ALTCHA_ENABLED=false
        assert client.get("/altcha/challenge").status_code == 404
        assert "altcha-widget" not in client.get("/order/new").text
        assert order(client).status_code == 303


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")
def test_the_widget_solves_in_a_browser_under_our_csp(tmp_path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    with procfile_stack(tmp_path, {"ALTCHA_ENABLED": "true"}) as (base, logs), \
            playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.set_default_timeout(60_000)
        page.goto(f"{base}/order/new?tier=starter")
        for name in ("company_name", "contact_name", "email", "industry", "prompt"):
            page.fill(f"#{name}", VALID_ORDER[name])
        page.select_option("#company_size", VALID_ORDER["company_size"])
        # Focusing the form started the work; the hidden field fills in when it is done.
        page.wait_for_function(
            "() => (document.querySelector('input[name=altcha]') || {}).value")
        page.click("button[type=submit]")
        page.wait_for_url("**/dev/checkout/**")
        browser.close()
    assert not [p for p in problems if "Content Security Policy" in p], problems
    assert not problems, (problems, tail(logs))
