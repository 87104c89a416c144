"""Every metric docs/operations.md tells the operator about moves when its event happens,
scraped from the real processes' /metrics (web and worker count in their own processes; the
business numbers are read from the database at scrape time)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from compass import store
from tests.factories import add_order
from tests.fakes.processes import free_port, procfile_stack, tail

DOCS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def documented() -> set[str]:
    table = DOCS.read_text().split("| metric | meaning |")[1].split("\n\n")[0]
    return set(re.findall(r"`(compass_[a-z_]+)", table))


def totals(body: str) -> dict[str, float]:
    """Each metric family's samples added up (counts, sums and buckets alike)."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            for name in {sample.name, family.name, family.name + "_total"}:
                found[name] = found.get(name, 0.0) + sample.value
    return found


def test_every_documented_metric_moves(tmp_path):
    names = documented()
    assert len(names) >= 10 and "compass_email_failures_total" in names, names
    # Mail to a port nobody listens on: every send attempt fails, and is counted.
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(free_port()), "SMTP_SECURITY": "none",
           "ALTCHA_ENABLED": "false"}
    with procfile_stack(tmp_path, env) as (base, logs), httpx.Client(base_url=base,
                                                                     timeout=30) as client:
        before = totals(client.get("/metrics").text)
        form = client.get("/order/new?tier=standard").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        placed = client.post("/orders", data={
            "csrf_token": token, "tier": "standard", "company_name": "Harbor Freight Movers",
            "contact_name": "Lee Park", "email": "lee@harbormovers.example",
            "industry": "Logistics", "company_size": "11-50",
            "prompt": "Regional movers: quotes and crew scheduling eat our office's day."})
        checkout = placed.headers["location"]
        token = re.search(r'name="csrf_token" value="([^"]+)"',
                          client.get(checkout).text).group(1)
        client.post(checkout, data={"csrf_token": token, "card_number": "4242 4242 4242 4242"})
        db = store.connect(tmp_path / "data" / "compass.db")
        add_order(db, 900)  # paid, no worker on it (needs attention), and a priced AI call
        # An AI outage as the breaker records it: an open incident, the paid order held.
        # (The gauges are read from these rows at scrape time.)
        with store.transaction(db):
            store.incidents.insert(db, kind="authentication", status=401,
                                   message="invalid x-api-key", model="claude-sonnet-5-5")
            [held] = db["orders"].rows_where("order_number = ?", ["ORD-2026-000900"])
            assert store.orders.hold(db, held["id"], reason="authentication",
                                     label="Waiting for the AI service")
        db.conn.close()
        deadline = time.monotonic() + 120
        while True:
            after = totals(client.get("/metrics").text)
            still = sorted(n for n in names if after.get(n, 0.0) <= before.get(n, 0.0))
            if not still:
                break
            assert time.monotonic() < deadline, (still, tail(logs))
            time.sleep(1)
