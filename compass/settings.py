"""Configuration, read once from the environment.

Development needs nothing set: the offline model stands in for Claude, the dev checkout
for Stripe and an outbox folder for SMTP. Production refuses to start without its
secrets, naming each one that is missing.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dev-only-secret-key-not-for-production"  # noqa: S105 - a labelled dev default

# Secrets production cannot run without. Each is checked by name so the error says which.
REQUIRED_IN_PRODUCTION = (
    "SECRET_KEY",
    "BASE_URL",
    "STRIPE_SECRET_KEY",
    "STRIPE_WEBHOOK_SECRET",
    "ANTHROPIC_API_KEY",
    "SMTP_HOST",
    "MAIL_FROM",
)


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable deployment."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    COMPASS_ENV: Literal["development", "production"] = "development"
    COMPASS_DATA_DIR: Path = Path("data")
    # Development follows PORT, so `PORT=8123 make run` redirects back to itself.
    BASE_URL: str = Field(
        default_factory=lambda: f"http://127.0.0.1:{os.environ.get('PORT') or 8000}")
    SECRET_KEY: SecretStr = SecretStr(DEV_SECRET_KEY)
    # Earlier SECRET_KEYs, comma-separated: still accepted when checking signatures
    # (sessions, CSRF), never used to sign. Lets the key rotate without signing everyone out.
    SECRET_KEY_PREVIOUS: SecretStr | None = None

    STRIPE_SECRET_KEY: SecretStr | None = None
    STRIPE_WEBHOOK_SECRET: SecretStr | None = None
    STRIPE_API_BASE: str | None = None
    # Each Stripe request waits this long, and a timed-out or dropped one is tried once
    # more: 2 × 12 s keeps the customer's wait for the payment page under ~30 s (the SDK's
    # own default is 80 s × 3 attempts). See compass/stripe_client.py.
    STRIPE_TIMEOUT_SECONDS: float = Field(default=12.0, gt=0, le=15)
    STRIPE_NETWORK_RETRIES: int = Field(default=1, ge=0, le=2)
    # Let customers type a promotion code on Stripe's Checkout page (ordinary codes made in
    # the Stripe dashboard). Off when a referral discount is applied: Stripe accepts one.
    STRIPE_ALLOW_PROMOTION_CODES: bool = False

    ANTHROPIC_API_KEY: SecretStr | None = None
    ANTHROPIC_BASE_URL: str | None = None
    # The tier table in compass/tiers.py names each tier's model; COMPASS_MODEL overrides
    # them all and COMPASS_MODEL_<TIER> one tier (e.g. a cheaper model for starter).
    COMPASS_MODEL: str | None = None
    COMPASS_MODEL_STARTER: str | None = None
    COMPASS_MODEL_STANDARD: str | None = None
    COMPASS_MODEL_PREMIUM: str | None = None
    ANTHROPIC_TIMEOUT_SECONDS: float = Field(default=120.0, gt=0)
    ANTHROPIC_MAX_RETRIES: int = Field(default=4, ge=0, le=10)
    ANTHROPIC_MAX_CONCURRENCY: int = Field(default=8, ge=1, le=64)

    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_SECURITY: Literal["starttls", "ssl", "none"] = "starttls"
    MAIL_FROM: str = "AI Readiness Compass <reports@compass.localhost>"
    ADMIN_EMAILS: str = ""

    LITESTREAM_REPLICA_URL: str | None = None

    # Outside production (where Fly-Client-IP names the client), the proxies whose
    # X-Forwarded-For is believed: IPs or networks, comma-separated, or "*". Empty: none.
    FORWARDED_ALLOW_IPS: str = ""
    # A request body must arrive within this many seconds of its headers (slow clients).
    BODY_TIMEOUT_SECONDS: float = Field(default=20.0, gt=0)

    @field_validator(
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "SMTP_PASSWORD",
        "SECRET_KEY_PREVIOUS",
        "STRIPE_API_BASE", "ANTHROPIC_BASE_URL", "COMPASS_MODEL", "COMPASS_MODEL_STARTER",
        "COMPASS_MODEL_STANDARD", "COMPASS_MODEL_PREMIUM", "SMTP_HOST", "SMTP_USER",
        "LITESTREAM_REPLICA_URL",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not configured", not "configured as empty".
        return None if value == "" else value

    @property
    def is_production(self) -> bool:
        return self.COMPASS_ENV == "production"

    @property
    def db_path(self) -> Path:
        return self.COMPASS_DATA_DIR / "compass.db"

    @property
    def queue_path(self) -> Path:
        return self.COMPASS_DATA_DIR / "queue.db"

    @property
    def outbox_dir(self) -> Path:
        return self.COMPASS_DATA_DIR / "outbox"

    @property
    def signing_keys(self) -> list[str]:
        """SECRET_KEY first (the one that signs), then the previous keys still accepted."""
        previous = self.SECRET_KEY_PREVIOUS.get_secret_value() if self.SECRET_KEY_PREVIOUS else ""
        return [self.SECRET_KEY.get_secret_value()] + [
            key.strip() for key in previous.split(",") if key.strip()]

    @property
    def admin_emails(self) -> frozenset[str]:
        return frozenset(e.strip().lower() for e in self.ADMIN_EMAILS.split(",") if e.strip())

    @property
    def uses_offline_model(self) -> bool:
        return self.ANTHROPIC_API_KEY is None

    def model_for(self, tier: str) -> str | None:
        """The configured model override for a tier, if any (None: the tier's default)."""
        return getattr(self, f"COMPASS_MODEL_{tier.upper()}", None) or self.COMPASS_MODEL

    def missing_production_secrets(self) -> list[str]:
        missing = []
        for name in REQUIRED_IN_PRODUCTION:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            if not value or (name == "SECRET_KEY" and value == DEV_SECRET_KEY):
                missing.append(name)
        return missing

    def check(self) -> Settings:
        """Raise when production is missing a secret; return self for chaining."""
        if self.is_production:
            missing = self.missing_production_secrets()
            if missing:
                raise ConfigurationError(
                    "COMPASS_ENV=production but these are not set: " + ", ".join(missing)
                )
        return self


@functools.cache
def get_settings() -> Settings:
    """The process's settings; tests that change the environment call `cache_clear()`."""
    return Settings().check()
