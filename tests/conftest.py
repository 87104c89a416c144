"""Shared fixtures: every test gets its own data directory and a development environment."""

from __future__ import annotations

import pytest

from compass import startup, store
from compass.settings import get_settings
from tests.fakes.stripe_api import FakeStripe

# The test process starts like the web, the worker and the CLI do.
startup.start_process()

ENV_VARS = (
    "COMPASS_ENV", "BASE_URL", "SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_BASE", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "COMPASS_MODEL", "SMTP_HOST",
    "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "MAIL_FROM", "ADMIN_EMAILS",
    "LITESTREAM_REPLICA_URL", "SECRET_KEY_PREVIOUS", "COMPASS_WEB_PORT", "FORWARDED_ALLOW_IPS",
    "BODY_TIMEOUT_SECONDS", "HEADERS_TIMEOUT_SECONDS", "BUSINESS_NAME", "BUSINESS_ADDRESS",
    "BUSINESS_CONTACT", "GOVERNING_LAW", "ADMIN_TIMEZONE",
)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COMPASS_DATA_DIR", str(tmp_path / "data"))
    # The proof-of-work check is off in tests (tests/test_altcha.py turns it on).
    monkeypatch.setenv("ALTCHA_ENABLED", "false")
    # A developer's .env must not leak into tests (nor into the processes they start).
    monkeypatch.setenv("COMPASS_ENV_FILE", "")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def db(tmp_path):
    database_ = store.open_database(tmp_path / "data" / "compass.db")
    yield database_
    database_.conn.close()


@pytest.fixture
def data_dir(tmp_path):
    """The COMPASS_DATA_DIR every test runs with (see isolated_environment)."""
    return tmp_path / "data"


@pytest.fixture
def fake_stripe():
    """A local server speaking Stripe's API, for the official SDK to talk to."""
    fake = FakeStripe().start()
    yield fake
    fake.stop()
