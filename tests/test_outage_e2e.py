"""A revoked API key, end to end through the real processes (uvicorn, huey_consumer), the
local Messages API server and an SMTP server: paid orders are held, not refunded; the
admins get one email; when the key works again every held order completes by itself."""

from __future__ import annotations

import time

import httpx

from compass import store
from tests.fakes.delivery import place_paid_order
from tests.fakes.messages_api import running_server
from tests.fakes.processes import procfile_stack, read, tail
from tests.fakes.smtp import smtp_server

RIGHT_KEY = "sk-ant-right-0123456789abcdef"
REVOKED_KEY = "sk-ant-revoked-0123456789abcd"
ADMIN = "ops@compass.example"


def wait_until(check, logs, what: str, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}\n{tail(logs)}"
        time.sleep(0.2)


def test_a_revoked_key_holds_paid_orders_until_it_works_again(tmp_path):
    with running_server(api_key=RIGHT_KEY) as api, smtp_server() as (mailbox, smtp_port):
        env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
               "ANTHROPIC_API_KEY": REVOKED_KEY, "ANTHROPIC_BASE_URL": api.base_url,
               "ADMIN_EMAILS": ADMIN, "AI_PROBE_SECONDS": "1"}
        with procfile_stack(tmp_path, env) as (base, logs):
            with httpx.Client(base_url=base, timeout=10) as client:
                public_ids = [place_paid_order(client, "starter"),
                              place_paid_order(client, "premium")]
            db = store.connect(tmp_path / "data" / "compass.db")
            try:
                def orders() -> list[dict]:
                    return [store.orders.by_public_id(db, p) or {} for p in public_ids]

                wait_until(lambda: all(o.get("held_at") for o in orders()), logs,
                           "the orders were not held")
                assert [o["status"] for o in orders()] != ["failed", "failed"]
                assert all(o["status"] in ("paid", "processing") for o in orders())
                wait_until(lambda: mailbox.of_kind("ai_outage"), logs, "no outage email")
                alert = mailbox.of_kind("ai_outage")[0]
                assert alert["To"] == ADMIN
                assert "invalid x-api-key" in alert.get_body(("plain",)).get_content()
                assert REVOKED_KEY not in alert.as_string()
                with httpx.Client(base_url=base, timeout=10) as client:
                    ready = client.get("/readyz")
                assert ready.status_code != 200 and "ai_service" in ready.text
                assert "Waiting for our AI provider" in httpx.get(
                    f"{base}/status/{public_ids[0]}", timeout=10).text

                # Someone puts a working key in place (here: the server accepts this one).
                api.api_key = REVOKED_KEY
                wait_until(lambda: all(o.get("status") == "completed" for o in orders()),
                           logs, "the held orders did not complete", timeout=180)
                wait_until(lambda: len(mailbox.of_kind("report_ready")) == 2, logs,
                           "no report emails")
                assert len(mailbox.of_kind("ai_outage")) == 1  # one email per incident
                assert not mailbox.of_kind("processing_failed")
                assert db["refunds"].count == 0
                assert all(not o["held_at"] for o in orders())
                incidents = list(db["ai_incidents"].rows)
                assert len(incidents) == 1 and incidents[0]["closed_at"]
                assert incidents[0]["kind"] == "authentication"
            finally:
                db.conn.close()
            assert "Traceback" not in read(logs["worker"]), tail(logs)
