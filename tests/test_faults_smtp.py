"""SMTP down, with the Procfile's real processes: mail waits (late on /readyz, counted in
/metrics), then goes exactly once as soon as the server answers again.

The spec's schedule (three attempts over 24 hours) is shortened here to seconds through
EMAIL_RETRY_DELAYS_SECONDS; the third attempt is set far away, so delivery inside the
test can only come from the sweep noticing that the server answers again.
"""

from __future__ import annotations

import time

import httpx

from tests.fakes.delivery import place_paid_order
from tests.fakes.processes import procfile_stack, read, tail, wait_until
from tests.fakes.smtp import SwitchableSmtp


def failures_total(client: httpx.Client) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in client.get("/metrics").text.splitlines()
               if line.startswith("compass_email_failures_total{"))


def test_smtp_down_then_back_delivers_every_email_exactly_once(tmp_path):
    server = SwitchableSmtp()  # down: nothing listens on its port
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port), "SMTP_SECURITY": "none",
           "EMAIL_RETRY_DELAYS_SECONDS": "2,3600", "EMAIL_PROBE_SECONDS": "1",
           "SWEEP_SECONDS": "0.5"}
    try:
        with procfile_stack(tmp_path, env) as (base, logs), \
                httpx.Client(base_url=base, timeout=20) as client:
            public_id = place_paid_order(client)
            # Both emails (receipt, then the report) fail twice: now and 2 s later.
            wait_until(lambda: failures_total(client) >= 4, 120, logs,
                       "the emails' first two attempts did not fail")
            readyz = client.get("/readyz")
            assert readyz.status_code == 200, readyz.text  # late mail does not take the site down
            assert readyz.json()["status"] == "degraded", readyz.text
            mail = readyz.json()["checks"]["mail"]
            assert mail["warn"] and mail["detail"].startswith("2 email(s) late"), mail
            status = client.get(f"/api/orders/{public_id}/status").json()
            assert status["status"] == "completed", status

            server.up()
            messages = wait_until(lambda: len(server.mailbox.messages()) >= 2 and
                                  server.mailbox.messages(), 60, logs,
                                  "the waiting emails did not go when SMTP came back")
            time.sleep(3)  # several more sweeps: nothing is sent twice
            assert sorted(m["X-Compass-Email"] for m in server.mailbox.messages()) == [
                "payment_confirmation", "report_ready"], tail(logs)
            assert len({m["Message-ID"] for m in messages}) == 2
            assert client.get("/readyz").json()["checks"]["mail"] == {
                "ok": True, "detail": "nothing late"}
            assert failures_total(client) == 4
            assert "Traceback" not in read(logs["worker"]), tail(logs)
    finally:
        server.down()
