"""JSON logs: one object per line, context on every line, no secrets and no card numbers."""

from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from compass import logs


@pytest.fixture
def captured():
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    logs.configure("test", stream=stream, force=True,
                   extra_secrets=("correct-horse-battery-staple",))
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.handlers, _ = saved
    root.setLevel(saved[1])
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    logs._configured = False


def test_lines_are_json_with_level_time_process_and_context(captured):
    log = logs.get_logger("compass.test")
    with (structlog.contextvars.bound_contextvars(request_id="req-123"),
          logs.bound_order("pub_abc", "ORD-2026-000123")):
        log.info("order_paid", amount_cents=14900, input_tokens=1200)
        logging.getLogger("jobs.tasks").warning("order %s: lost the lease", 42)
    log.info("after")
    first, second, third = captured()
    assert first["event"] == "order_paid" and first["level"] == "info"
    assert first["request_id"] == "req-123" and first["order"] == "pub_abc"
    assert first["order_number"] == "ORD-2026-000123"
    assert first["process"] == "test" and first["timestamp"].endswith("Z")
    # Token counts are not tokens: the key is kept.
    assert first["input_tokens"] == 1200 and first["amount_cents"] == 14900
    # Standard-library loggers get the same treatment and the same context.
    assert second["event"] == "order 42: lost the lease"
    assert second["order"] == "pub_abc" and second["logger"] == "jobs.tasks"
    assert "order" not in third and "request_id" not in third


def test_secret_keys_and_secret_shaped_values_are_redacted(captured):
    log = logs.get_logger()
    log.info("calling", api_key="sk-ant-api03-abcdefghijklmnop", password="hunter22",
             headers={"Authorization": "Bearer abc.def.ghijklmnop", "X-Api-Key": "k" * 20,
                      "Accept": "application/json"},
             stripe_signature="t=1,v1=deadbeef", smtp_password="pw-pw-pw-pw",
             note="key sk_live_51Habcdefghijklmnop and whsec_abcdefghijklmnop in text")
    logging.getLogger("x").error("configured secret %s leaked", "correct-horse-battery-staple")
    text = "\n".join(json.dumps(line) for line in captured())
    for secret in ("sk-ant-api03", "hunter22", "abc.def.ghijklmnop", "k" * 20, "deadbeef",
                   "pw-pw-pw-pw", "sk_live_51H", "whsec_abc", "correct-horse-battery-staple"):
        assert secret not in text, secret
    first = captured()[0]
    assert first["api_key"] == logs.REDACTED and first["password"] == logs.REDACTED
    assert first["headers"]["Accept"] == "application/json"


def test_card_numbers_are_scrubbed_but_other_numbers_are_not(captured):
    log = logs.get_logger()
    log.info("dev checkout", form={"card_number": "4242424242424242"},
             message="paid with 4000 0000 0000 0002 and 5555-5555-5555-4444",
             order_number="ORD-2026-000123", phone="+1 555 0100", amount=39900,
             # 16 digits that fail the Luhn check are not a card.
             reference="1234567890123456")
    line = captured()[0]
    assert line["form"]["card_number"] == logs.REDACTED
    assert "4000" not in line["message"] and "5555-5555" not in line["message"]
    assert line["message"].count(logs.CARD) == 2
    assert line["order_number"] == "ORD-2026-000123" and line["phone"] == "+1 555 0100"
    assert line["reference"] == "1234567890123456"


def test_exception_tracebacks_are_scrubbed(captured):
    log = logs.get_logger()
    try:
        raise RuntimeError("Stripe said no to sk_test_abcdefghijklmnop for 4242 4242 4242 4242")
    except RuntimeError:
        log.exception("checkout_failed")
    try:
        raise ValueError("token correct-horse-battery-staple refused")
    except ValueError:
        logging.getLogger("huey").exception("task failed")
    first, second = captured()
    assert "RuntimeError" in first["exception"]
    assert "sk_test_abc" not in first["exception"] and "4242 4242" not in first["exception"]
    assert "correct-horse-battery-staple" not in second["exception"]


def test_configure_is_idempotent(captured):
    handlers = logging.getLogger().handlers[:]
    logs.configure("again")
    assert logging.getLogger().handlers == handlers


def test_pdf_layout_steps_stay_out_of_the_logs_but_their_warnings_do_not(captured):
    logging.getLogger("weasyprint.progress").info("Step 2 - Fetching and parsing CSS")
    logging.getLogger("weasyprint").warning("Ignored `gap: 1rem` at 3:1, unknown property")
    assert [line["event"] for line in captured()] == [
        "Ignored `gap: 1rem` at 3:1, unknown property"]


def test_uvicorns_access_lines_are_ours_or_never_built(captured):
    """uvicorn formats an access line per response whenever its logger has handlers, even a
    disabled one: with our own access lines it must have none (so none is built)."""
    access = logging.getLogger("uvicorn.access")
    access.info("%s - uvicorn line", "127.0.0.1")
    assert access.hasHandlers()
    assert any(line["event"] == "127.0.0.1 - uvicorn line" for line in captured())
    stream = io.StringIO()
    logs.configure("web", stream=stream, force=True, own_access_log=True)
    access.info("%s - dropped line", "127.0.0.1")
    assert not access.hasHandlers()
    assert "dropped line" not in stream.getvalue()
