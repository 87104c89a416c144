"""What ships is what is tested: the wheel, installed non-editably, run as production runs it.

The Dockerfile builds the project's wheel and installs it into a virtualenv holding only the
locked runtime dependencies; the processes then run from a directory with no source in it.
This test does the same without Docker: `uv build`, `uv sync --frozen --no-install-project`
into a fresh virtualenv, the wheel installed without its dependencies, and the Procfile's
web and worker started from an empty directory with COMPASS_ENV=production, talking to a
real SMTP server and the local Stripe and Messages API servers. A paid order must reach
the customer as a report email with its PDF attached, and the PDF must download.

An editable install hides every "file found next to the source" mistake (templates, static
files, app.py itself); this is the test that sees them.
"""

from __future__ import annotations

import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx
import pytest
from pypdf import PdfReader

from compass.payments import sign_payload
from tests.factories import ANSWERS
from tests.fakes.messages_api import running_server
from tests.fakes.processes import ROOT, procfile_stack, read, tail
from tests.fakes.smtp import smtp_server
from tests.fakes.stripe_api import API_KEY, FakeStripe

# Building, installing and a whole order through the real processes: minutes on a busy machine.
pytestmark = pytest.mark.timeout(360)

PUBLIC_URL = "https://compass.test"
WEBHOOK_SECRET = "whsec_test_" + "w" * 32


def uv() -> str:
    """The uv `make test` installed (pinned in the Makefile), else the one on PATH."""
    pinned = ROOT / ".tools" / "bin" / "uv"
    found = str(pinned) if pinned.exists() else shutil.which("uv")
    assert found, "uv is needed to build and install the wheel (make test installs it)"
    return found


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{' '.join(args)}\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A virtualenv holding the locked runtime dependencies and the wheel (not editable)."""
    work = tmp_path_factory.mktemp("wheel")
    run(uv(), "build", "--wheel", "--quiet", "--out-dir", str(work / "dist"), str(ROOT),
        cwd=ROOT)
    [wheel] = (work / "dist").glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "app.py" in names and "compass/_data/templates/emails/report_ready.html" in names
    for vendored in ("htmx.min.js", "altcha.min.js", "altcha-pbkdf2.js"):
        assert f"compass/_data/static/vendor/{vendored}" in names

    venv = work / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_"))}
    env |= {"UV_PROJECT_ENVIRONMENT": str(venv), "UV_PYTHON": sys.executable,
            "UV_PYTHON_DOWNLOADS": "never"}
    run(uv(), "sync", "--quiet", "--frozen", "--no-install-project", cwd=ROOT, env=env)
    run(uv(), "pip", "install", "--quiet", "--no-deps", "--python", str(venv / "bin" / "python"),
        str(wheel), cwd=work, env=env)
    return venv


def secure_cookie(response: httpx.Response, name: str) -> str:
    # Production cookies are Secure; this test speaks plain HTTP to 127.0.0.1 (Fly's proxy
    # terminates TLS), so the cookie is carried by hand.
    found = re.search(rf"{name}=([^;]+)", response.headers.get("set-cookie", ""))
    assert found, response.headers
    return f"{name}={found.group(1)}"


def test_the_installed_wheel_delivers_a_paid_order_in_production(installed, tmp_path):
    app_dir = tmp_path / "app"  # no source here: everything must come from the install
    app_dir.mkdir()
    stripe = FakeStripe().start()
    try:
        with smtp_server() as (mailbox, smtp_port), running_server() as messages:
            env = {
                "COMPASS_ENV": "production", "BASE_URL": PUBLIC_URL,
                "SECRET_KEY": secrets.token_urlsafe(48),
                "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "STRIPE_API_BASE": stripe.base_url,
                "ANTHROPIC_API_KEY": "test-key", "ANTHROPIC_BASE_URL": messages.base_url,
                "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp_port), "SMTP_SECURITY": "none",
                "MAIL_FROM": "AI Readiness Compass <reports@compass.test>",
                "PYTHONPATH": "",
            }
            with procfile_stack(tmp_path, env, cwd=app_dir,
                                bin_dir=installed / "bin") as (base, logs):
                walk_a_paid_order(base, stripe, mailbox, logs)
    finally:
        stripe.stop()


def walk_a_paid_order(base: str, stripe: FakeStripe, mailbox, logs) -> None:
    with httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/order/new?tier=starter")
        assert form.status_code == 200, tail(logs)
        assert client.get("/static/vendor/htmx.min.js").status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        placed = client.post("/orders", data=ANSWERS | {"csrf_token": token, "tier": "starter"},
                             headers={"cookie": secure_cookie(form, "compass_csrf")})
        assert placed.status_code == 303, placed.text
        [session_id] = stripe.sessions
        assert placed.headers["location"] == stripe.sessions[session_id]["url"]

        # The customer pays on Stripe's page; Stripe then calls the webhook, signed.
        stripe.complete(session_id)
        payload = json.dumps(stripe.event("checkout.session.completed", session_id))
        delivered = client.post("/api/webhooks/stripe", content=payload, headers={
            "stripe-signature": sign_payload(payload, WEBHOOK_SECRET),
            "content-type": "application/json"})
        assert delivered.status_code == 200, delivered.text

        try:
            mailbox.wait_for(2, timeout=90)
        except AssertionError:
            raise AssertionError(tail(logs)) from None
        assert [m["X-Compass-Email"] for m in mailbox.messages()] == [
            "payment_confirmation", "report_ready"], tail(logs)
        ready = mailbox.of_kind("report_ready")[0]
        [attachment] = list(ready.iter_attachments())
        pdf = attachment.get_content()
        assert len(PdfReader(io.BytesIO(pdf)).pages) >= 6

        # Links point at the public address; the same paths work on this server.
        public_id = stripe.sessions[session_id]["client_reference_id"]
        text = ready.get_body(preferencelist=("plain",)).get_content()
        assert f"{PUBLIC_URL}/orders/{public_id}/report" in text
        assert client.get(f"/orders/{public_id}/report").status_code == 200
        download = client.get(f"/orders/{public_id}/download")
        assert download.status_code == 200 and download.content == pdf
        assert client.get("/readyz").status_code == 200, client.get("/readyz").text
        for name in logs:
            assert "Traceback" not in read(logs[name]), tail(logs)
