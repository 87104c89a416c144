"""Error tracking: off without SENTRY_DSN; with it, events carry no secrets or card numbers."""

from __future__ import annotations

from typing import ClassVar

import sentry_sdk
from sentry_sdk.transport import Transport

from compass import tracking

DSN = "https://publickey@sentry.example/1"
API_KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"
CARD_NUMBER = "4242 4242 4242 4242"


class Captured(Transport):
    """Keeps the envelopes the SDK would send (the real HTTP transport, minus the network)."""

    envelopes: ClassVar[list] = []

    def capture_envelope(self, envelope) -> None:
        Captured.envelopes.append(envelope)


def test_off_without_a_dsn(monkeypatch):
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert tracking.init("test") is False


def test_events_are_redacted_like_logs(monkeypatch):
    Captured.envelopes = []
    assert tracking.init("test", dsn=DSN, transport=Captured)
    try:
        def charge(card_number: str, anthropic_api_key: str, note: str) -> None:
            raise RuntimeError(f"payment failed for {card_number} using {API_KEY}")

        try:
            charge(CARD_NUMBER, API_KEY, note=f"key {API_KEY}")
        except RuntimeError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message(f"Authorization: Bearer {API_KEY[7:]} card {CARD_NUMBER}")
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: later tests send nothing

    payloads = [item.payload.get_bytes().decode() for envelope in Captured.envelopes
                for item in envelope.items]
    assert len(payloads) == 2
    sent = "\n".join(payloads)
    assert "payment failed for" in sent and "RuntimeError" in sent  # the event is useful
    assert API_KEY not in sent and API_KEY[7:] not in sent
    assert CARD_NUMBER not in sent and "4242424242424242" not in sent
    assert '"process":"test"' in sent.replace(" ", "")
