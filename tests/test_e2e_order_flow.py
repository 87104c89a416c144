"""From the form to `completed` over HTTP, with the Procfile's real web and worker processes.

uvicorn serves app.py, huey_consumer runs jobs.huey, the engine runs for real on the
offline model, and the dev checkout pays with 4242 4242 4242 4242 through the signed
webhook. Only HTTP is used to drive and observe it.
"""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.fakes.processes import procfile_stack, read, tail


@pytest.fixture
def stack(tmp_path):
    with procfile_stack(tmp_path) as running:
        yield running


def test_order_pay_and_watch_it_complete(stack):
    base, logs = stack
    with httpx.Client(base_url=base, timeout=10) as client:
        form = client.get("/order/new?tier=standard")
        assert form.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        placed = client.post("/orders", data={
            "csrf_token": token, "tier": "standard", "company_name": "Harbor Freight Movers",
            "contact_name": "Lee Park", "email": "Lee@HarborMovers.example",
            "company_website": "harbormovers.example", "industry": "Logistics",
            "company_size": "11-50",
            "prompt": "Regional movers: quotes, scheduling crews and answering where-is-my-truck "
                      "calls eat our office staff's day.",
            "pain_point": "Quotes take two days to send."})
        assert placed.status_code == 303, placed.text
        checkout_url = placed.headers["location"]
        assert checkout_url.startswith(f"{base}/dev/checkout/cs_test_dev_")
        page = client.get(checkout_url)
        assert 'name="card_number"' in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        paid = client.post(checkout_url, data={"csrf_token": token,
                                               "card_number": "4242 4242 4242 4242"})
        assert paid.status_code == 303
        success = client.get(paid.headers["location"])
        assert success.status_code == 303
        status_path = success.headers["location"]
        public_id = status_path.rsplit("/", 1)[1]
        assert client.get(status_path).status_code == 200

        seen, percents = [], []
        deadline = time.monotonic() + 60
        while True:
            body = client.get(f"/api/orders/{public_id}/status").json()
            if not seen or seen[-1] != body["status"]:
                seen.append(body["status"])
            percents.append(body["progress_percent"])
            if body["status"] in ("completed", "failed"):
                break
            assert time.monotonic() < deadline, (seen, tail(logs))
            assert "Traceback" not in read(logs["worker"]), tail(logs)  # fail fast
            time.sleep(0.2)

        assert body["status"] == "completed", (body, tail(logs))
        assert seen[0] == "paid" and seen[-1] == "completed"
        assert percents == sorted(percents) and percents[-1] == 100
        assert body["order_number"].startswith("ORD-")
        fragment = client.get(f"/status/{public_id}/progress").text
        assert "hx-trigger" not in fragment and f"/orders/{public_id}/report" in fragment
        report = client.get(f"/orders/{public_id}/report")
        assert report.status_code == 200 and report.text.count('class="workflow"') == 5
