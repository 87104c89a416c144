"""Every page at a phone's width and a laptop's, in Debian's chromium: nothing scrolls
sideways and axe-core (pinned in the Makefile, injected by the test) finds no violations.

The pages are those a customer and the operator really see, with real content: an order
is placed, paid and completed by the Procfile's processes, then a customer and an admin
sign in through the emailed links.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.customers import outbox_links
from tests.fakes.processes import ROOT, procfile_stack, tail

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".tools" / "axe-core" / "axe.min.js"
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(not AXE.exists(), reason="needs axe-core: make .tools/axe-core/axe.min.js"),
]
WIDTHS = (390, 1366)
CUSTOMER = "lee@harbormovers.example"
ADMIN = "ops@compass.example"


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1)


def _unpaid_checkout(base: str) -> str:
    """The dev checkout page of an order left unpaid."""
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/order/new?tier=starter")
        placed = client.post("/orders", data={
            "csrf_token": _token(form.text), "tier": "starter", "company_name": "Corner Bakery",
            "contact_name": "Ana Ruiz", "email": "ana@cornerbakery.example",
            "industry": "Bakery", "company_size": "2-10",
            "prompt": "A two-shop bakery: orders by phone and stock counts take our mornings."})
    return placed.headers["location"].removeprefix(base)


def _completed_order(base: str, logs: dict) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/order/new?tier=premium")
        placed = client.post("/orders", data={
            "csrf_token": _token(form.text), "tier": "premium",
            "company_name": "Harbor Freight Movers", "contact_name": "Lee Park",
            "email": CUSTOMER, "company_website": "harbormovers.example",
            "industry": "Logistics", "company_size": "11-50",
            "prompt": "Regional movers: quotes, crew scheduling and where-is-my-truck calls "
                      "eat our office staff's day.", "pain_point": "Quotes take two days."})
        checkout = placed.headers["location"]
        paid = client.post(checkout, data={"csrf_token": _token(client.get(checkout).text),
                                           "card_number": "4242 4242 4242 4242"})
        public_id = client.get(paid.headers["location"]).headers["location"].rsplit("/", 1)[1]
        deadline = time.monotonic() + 240
        while client.get(f"/api/orders/{public_id}/status").json()["status"] != "completed":
            assert time.monotonic() < deadline, tail(logs)
            time.sleep(0.2)
    return public_id


def _sign_in(page, base: str, data_dir: Path, email: str, logs: dict,
             problems: list[str]) -> None:
    before = set(outbox_links(data_dir))
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.click("button[type=submit]")
    deadline = time.monotonic() + 180  # the worker sends it; slow on a busy machine
    while not (new := [link for link in outbox_links(data_dir) if link not in before]):
        assert time.monotonic() < deadline, ("no sign-in link was sent",
                                             page.inner_text("main")[:300], tail(logs))
        page.wait_for_timeout(100)
    _check(page, new[-1], problems)  # opening the link signs nobody in: safe to look twice
    page.goto(new[-1])
    page.click("button[type=submit]")  # the confirmation page's button
    page.wait_for_load_state()


def _check(page, url: str, problems: list[str], *, frame: bool = False) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(url)
        page.wait_for_load_state()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{url} at {width}px: {overflow}px wider than the screen")
        if frame:  # the email in its frame: as wide as a phone's mail app shows it
            inner = page.frame_locator("iframe").locator("html").evaluate(
                "e => e.scrollWidth - e.clientWidth")
            if inner > 0:
                problems.append(f"{url} at {width}px: the email is {inner}px wider than its frame")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))")
        problems += [f"{url} at {width}px: axe {v}" for v in violations]


@pytest.mark.timeout(900)  # a whole order, then 25 pages at two widths, in a real browser
def test_every_page_fits_a_phone_and_a_laptop_and_passes_axe(tmp_path):
    data_dir = tmp_path / "data"
    with procfile_stack(tmp_path, {"ADMIN_EMAILS": ADMIN}) as (base, logs), \
            playwright_api.sync_playwright() as p:
        public_id = _completed_order(base, logs)
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        # Our CSP allows only our own scripts; axe is injected by the test alone.
        context = browser.new_context(bypass_csp=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        public = ["/", "/order/new?tier=standard", "/terms", "/privacy", "/refund-policy",
                  "/login", "/checkout/cancel", "/no-such-page", f"/status/{public_id}",
                  f"/orders/{public_id}/report", "/sample-report", "/dev/outbox"]
        public.append(_unpaid_checkout(base))
        for path in public:
            _check(page, base + path, problems)
        _sign_in(page, base, data_dir, CUSTOMER, logs, problems)
        for path in ("/dashboard", "/account", f"/orders/{public_id}/refund",
                     f"/orders/{public_id}/revision", "/order/new?again=1"):
            _check(page, base + path, problems)
        context.clear_cookies()
        _sign_in(page, base, data_dir, ADMIN, logs, problems)
        for path in ("/admin", "/admin/orders", f"/admin/orders/{public_id}",
                     "/admin/refunds", "/admin/export"):
            _check(page, base + path, problems)
        # Every email as the outbox shows it, and the message itself inside its frame.
        for eml in sorted((data_dir / "outbox").glob("*.eml")):
            _check(page, f"{base}/dev/outbox/{eml.name}", problems, frame=True)
        browser.close()
        assert problems == [], "\n".join(problems)
