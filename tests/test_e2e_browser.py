"""A real browser (Debian's chromium via Playwright) orders, pays and watches htmx update.

Checks what only a browser can: htmx runs under our CSP, the fragment polls and swaps
itself, polling stops at the end, and the page works at phone width.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.fakes.processes import procfile_stack, tail

CHROMIUM = Path("/usr/bin/chromium")
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


def test_order_and_watch_the_bar_in_a_phone_sized_browser(tmp_path):
    with procfile_stack(tmp_path) as (base, logs), playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 390, "height": 844})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.set_default_timeout(15_000)

        page.goto(base)
        page.click('a[href="/order/new?tier=premium"]')
        assert page.is_checked('input[name="tier"][value="premium"]')
        page.fill("#company_name", "Harbor Freight Movers")
        page.fill("#contact_name", "Lee Park")
        page.fill("#email", "lee@harbormovers.example")
        page.fill("#industry", "Logistics")
        page.select_option("#company_size", "11-50")
        page.fill("#prompt", "too short")
        page.click("button[type=submit]")
        assert page.is_visible("#prompt-error")  # server-side message, values kept
        assert page.input_value("#company_name") == "Harbor Freight Movers"
        page.fill("#prompt", "Regional movers: quotes, crew scheduling and where-is-my-truck "
                             "calls eat our office staff's day.")
        # The fixed answer no longer says it is wrong (static/js/forms.js).
        assert not page.is_visible("#prompt-error")
        assert page.get_attribute("#prompt", "aria-invalid") is None
        page.click("button[type=submit]")

        page.wait_for_url("**/dev/checkout/**")
        page.fill("#card_number", "4000 0000 0000 0002")
        page.click("button[type=submit]")
        assert "Your card was declined" in page.inner_text("#card-error")
        page.fill("#card_number", "4242 4242 4242 4242")
        page.click("button[type=submit]")

        page.wait_for_url("**/status/**")
        # htmx swaps the fragment in place until the report is ready (no full reloads).
        page.evaluate("window.__marker = 'same page'")
        # Watch every swap from payment to the end: "ready" is never said without the link
        # to the report, and the bar never shows 100 % before it.
        seen: list[tuple[str, bool]] = []
        deadline = time.monotonic() + 120
        while True:
            text, linked = page.evaluate(
                "() => [['h2', '[role=status]', 'progress'].map(s => {"
                "  const e = document.querySelector('#progress ' + s);"
                "  return e ? (e.value !== undefined ? e.value + '%' : e.innerText) : ''"
                "}).join(' | '), !!document.querySelector('#progress a[href$=\"/report\"]')]")
            if not seen or seen[-1] != (text, linked):
                seen.append((text, linked))
            assert linked or ("ready" not in text.lower() and "100%" not in text), seen
            if linked:
                break
            assert time.monotonic() < deadline, (seen, tail(logs))
            time.sleep(0.1)
        assert len(seen) >= 2, seen  # it moved while we watched
        assert page.evaluate("window.__marker") == "same page", tail(logs)
        assert page.get_attribute("#progress", "hx-trigger") is None  # polling stopped
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the status page scrolls sideways on a phone"

        page.click('a[href$="/report"]')
        page.wait_for_url("**/report")
        page.wait_for_selector(".workflow")  # the click returns before the page has loaded
        assert page.locator(".workflow").count() == 8
        # A person's click on the download counts (a mail scanner's fetch would not).
        # The PDF follows the report (the download page waits for it and retries by itself).
        with page.expect_download(timeout=90_000) as pdf:
            page.click('a[href$="/download"]')
        assert pdf.value.suggested_filename.endswith(".pdf")
        with sqlite3.connect(tmp_path / "data" / "compass.db") as db:
            assert db.execute("SELECT downloads_count FROM orders").fetchall() == [(1,)]
        # The deliberate 422 (bad form) and 402 (declined card) are expected; anything else
        # (a CSP refusal, a script error) is not.
        expected = ("status of 422", "status of 402")
        assert [m for m in problems if not any(e in m for e in expected)] == [], problems
        browser.close()
