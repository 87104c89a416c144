"""Configuration, read once from the environment.

Development needs nothing set: the offline model stands in for Claude, the dev checkout
for Stripe and an outbox folder for SMTP. Production refuses to start without its
secrets, naming each one that is missing.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dotenv import load_dotenv
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


# A SECRET_KEY signs sessions, CSRF tokens and sign-in links: long and not a repeated word
# (`python -c "import secrets; print(secrets.token_urlsafe(48))"` makes a good one).
SECRET_KEY_MIN_LENGTH = 32
SECRET_KEY_MIN_DISTINCT = 10
# The development settings file (git-ignored); COMPASS_ENV_FILE names another (tests: none).
ENV_FILE = ".env"


class ConfigurationError(RuntimeError):
    """The environment does not describe a runnable deployment."""


@dataclass(frozen=True)
class Business:
    """The seller, as legal pages, receipts and emails name it."""

    name: str
    address: tuple[str, ...]
    contact: str
    governing_law: str

    @property
    def one_line(self) -> str:
        return ", ".join((self.name, *self.address))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore")

    COMPASS_ENV: Literal["development", "production"] = "development"
    COMPASS_DATA_DIR: Path = Path("data")
    # Development follows the web's port, so `PORT=8123 make run` links back to itself.
    # COMPASS_WEB_PORT first: honcho gives every process its own PORT (the worker web+100),
    # and the worker's mail must link to the web, not to itself.
    BASE_URL: str = Field(default_factory=lambda: "http://127.0.0.1:{}".format(
        os.environ.get("COMPASS_WEB_PORT") or os.environ.get("PORT") or 8000))
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
    # the Stripe dashboard). Not sent for an order that already has a discount (a referral
    # or a code typed in the order form): Stripe accepts one or the other.
    STRIPE_ALLOW_PROMOTION_CODES: bool = False
    # Referrals (compass/referrals.py): the friend's discount on a first order, and the
    # referrer's one-use code for a next order once the friend's is past the refund window.
    REFERRAL_DISCOUNT_PERCENT: int = Field(default=15, ge=1, le=50)
    REFERRAL_REWARD_PERCENT: int = Field(default=20, ge=1, le=50)

    ANTHROPIC_API_KEY: SecretStr | None = None
    ANTHROPIC_BASE_URL: str | None = None
    # The tier table in compass/tiers.py names each tier's model; COMPASS_MODEL overrides
    # them all and COMPASS_MODEL_<TIER> one tier (e.g. a cheaper model for starter).
    COMPASS_MODEL: str | None = None
    COMPASS_MODEL_STARTER: str | None = None
    COMPASS_MODEL_STANDARD: str | None = None
    COMPASS_MODEL_PREMIUM: str | None = None
    # A model call may take ANTHROPIC_TIMEOUT_SECONDS (reading the prompt, starting) plus
    # its output budget at ANTHROPIC_MIN_OUTPUT_TOKENS_PER_SECOND (thinking included): a
    # premium call of 16K tokens gets 120 + 16,000/20 = 920 s. A stream that sends nothing,
    # not even a ping, for ANTHROPIC_SILENCE_SECONDS is cut and retried.
    ANTHROPIC_TIMEOUT_SECONDS: float = Field(default=120.0, gt=0)
    ANTHROPIC_MIN_OUTPUT_TOKENS_PER_SECOND: float = Field(default=20.0, gt=0)
    ANTHROPIC_SILENCE_SECONDS: float = Field(default=60.0, gt=0)
    # While the API refuses us (key, spend limit), one small probe call every this many
    # seconds; the first that succeeds resumes every held order.
    AI_PROBE_SECONDS: float = Field(default=60.0, gt=0)
    # A transient model outage (overload, 5xx, network) is waited out for this share of the
    # tier's delivery time, counted from payment (premium 6 h → 3 h), retrying with delays
    # doubling from AI_RETRY_BASE_SECONDS up to AI_RETRY_MAX_SECONDS; only then is the
    # order failed and refunded (compass.processing).
    AI_OUTAGE_WAIT_SHARE: float = Field(default=0.5, gt=0, le=0.9)
    AI_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    AI_RETRY_MAX_SECONDS: float = Field(default=600.0, gt=0)
    ANTHROPIC_MAX_RETRIES: int = Field(default=4, ge=0, le=10)
    ANTHROPIC_MAX_CONCURRENCY: int = Field(default=8, ge=1, le=64)
    # The account's rate limits per model (Claude Console > Limits; docs/scaling.md has
    # them per usage tier): calls wait for room instead of meeting 429s. ANTHROPIC_RATE_LIMITS
    # overrides them for named models, as JSON: {"claude-opus-5-5": {"rpm": 50,
    # "itpm": 30000, "otpm": 8000}}. compass/engine/model_limits.py.
    ANTHROPIC_REQUESTS_PER_MINUTE: float = Field(default=1000, gt=0)
    ANTHROPIC_INPUT_TOKENS_PER_MINUTE: float = Field(default=450_000, gt=0)
    ANTHROPIC_OUTPUT_TOKENS_PER_MINUTE: float = Field(default=90_000, gt=0)
    ANTHROPIC_RATE_LIMITS: str = ""
    # The length of the API's minute: 60. Only bench/burst.py shortens it, to scale time.
    ANTHROPIC_RATE_LIMIT_MINUTE_SECONDS: float = Field(default=60.0, gt=0)
    # Orders one worker process runs at the same time (async tasks in one event loop; the
    # rate limits above are what bounds the model calls). Memory is the only other cost.
    WORKER_ORDER_CONCURRENCY: int = Field(default=100, ge=1, le=1000)

    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: SecretStr | None = None
    SMTP_SECURITY: Literal["starttls", "ssl", "none"] = "starttls"
    MAIL_FROM: str = "AI Readiness Compass <reports@compass.localhost>"
    ADMIN_EMAILS: str = ""
    # Who sells: named on the legal pages, on receipts and in every email's footer.
    # BUSINESS_ADDRESS lines are separated by ";". BUSINESS_CONTACT defaults to MAIL_FROM's
    # address. GOVERNING_LAW completes "These terms are governed by the laws of ...".
    BUSINESS_NAME: str = "AI Readiness Compass"
    BUSINESS_ADDRESS: str = ""
    BUSINESS_CONTACT: str | None = None
    GOVERNING_LAW: str = "the State of Delaware, United States"
    # The operator's timezone: times on the admin pages are shown in it (IANA name).
    ADMIN_TIMEZONE: str = "UTC"
    # An email's second and third attempts, in seconds after the one before: the spec's
    # "three attempts over 24 hours" (1 h, then 23 h). A waiting email goes sooner when the
    # SMTP server answers again (probed every EMAIL_PROBE_SECONDS; compass/notifications.py).
    EMAIL_RETRY_DELAYS_SECONDS: str = "3600,82800"
    EMAIL_PROBE_SECONDS: float = Field(default=60.0, gt=0)
    # An order's lease: a worker that stops renewing it (dead, or frozen) loses the order
    # this long after, to the next worker the reconciler wakes.
    ORDER_LEASE_SECONDS: float = Field(default=300.0, ge=5)
    # SIGTERM (a deploy): the worker takes no new work and gives model calls in flight this
    # long to finish and be stored. fly.toml's kill_timeout (45 s) must cover it plus the
    # supervisor's margin (`compass procs`: +5 s) and Litestream's last sync.
    WORKER_DRAIN_SECONDS: float = Field(default=30.0, gt=0, le=35)
    # The worker's quick sweep (due emails, the webhook outbox), in seconds.
    SWEEP_SECONDS: float = Field(default=5.0, gt=0)

    LITESTREAM_REPLICA_URL: str | None = None
    # Error tracking (compass.tracking reads it from the environment at logging set-up).
    SENTRY_DSN: SecretStr | None = None

    # Outside production (where Fly-Client-IP names the client), the proxies whose
    # X-Forwarded-For is believed: IPs or networks, comma-separated, or "*". Empty: none.
    FORWARDED_ALLOW_IPS: str = ""
    # The proof-of-work check on the order and sign-in forms (compass/web/proof.py).
    ALTCHA_ENABLED: bool = True
    # A request body must arrive within this many seconds of its headers (slow clients).
    BODY_TIMEOUT_SECONDS: float = Field(default=20.0, gt=0)
    # ... and its request line and headers within this many (compass/web/server.py).
    HEADERS_TIMEOUT_SECONDS: float = Field(default=10.0, gt=0)

    @field_validator(
        "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "ANTHROPIC_API_KEY", "SMTP_PASSWORD",
        "SECRET_KEY_PREVIOUS",
        "STRIPE_API_BASE", "ANTHROPIC_BASE_URL", "COMPASS_MODEL", "COMPASS_MODEL_STARTER",
        "COMPASS_MODEL_STANDARD", "COMPASS_MODEL_PREMIUM", "SMTP_HOST", "SMTP_USER",
        "LITESTREAM_REPLICA_URL", "BUSINESS_CONTACT", "SENTRY_DSN",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not configured", not "configured as empty".
        return None if value == "" else value

    @field_validator("EMAIL_RETRY_DELAYS_SECONDS")
    @classmethod
    def _delays_are_numbers(cls, value: str) -> str:
        delays = [float(part) for part in value.split(",") if part.strip()]
        if any(d <= 0 for d in delays):
            raise ValueError("every delay must be a positive number of seconds")
        return value

    @field_validator("ANTHROPIC_RATE_LIMITS")
    @classmethod
    def _rate_limits_are_json(cls, value: str) -> str:
        import json

        parsed = json.loads(value) if value.strip() else {}
        if not isinstance(parsed, dict) or not all(
                isinstance(v, dict) and set(v) <= {"rpm", "itpm", "otpm"}
                and all(isinstance(n, int | float) and n > 0 for n in v.values())
                for v in parsed.values()):
            raise ValueError('expected {"model": {"rpm": n, "itpm": n, "otpm": n}, ...}')
        return value

    @field_validator("ADMIN_TIMEZONE")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo

        ZoneInfo(value)  # raises for an unknown name, at start-up rather than on a page
        return value

    @property
    def business(self) -> Business:
        contact = self.BUSINESS_CONTACT or parseaddr(self.MAIL_FROM)[1] or self.MAIL_FROM
        lines = tuple(line.strip() for line in self.BUSINESS_ADDRESS.split(";") if line.strip())
        return Business(name=self.BUSINESS_NAME.strip(), address=lines, contact=contact,
                        governing_law=self.GOVERNING_LAW.strip())

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
    def email_retry_delays(self) -> list[float]:
        """Seconds before each retry of an email (so attempts = retries + 1)."""
        return [float(part) for part in self.EMAIL_RETRY_DELAYS_SECONDS.split(",") if part.strip()]

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
            # BASE_URL and MAIL_FROM have development defaults: only an explicit value counts.
            defaulted = name in ("BASE_URL", "MAIL_FROM") and name not in self.model_fields_set
            if not value or defaulted or (name == "SECRET_KEY" and value == DEV_SECRET_KEY):
                missing.append(name)
        return missing

    def production_problems(self) -> list[str]:
        """Everything that keeps this from being a safe production configuration, by name."""
        missing = self.missing_production_secrets()
        problems = [f"{name} is not set" for name in missing]
        if "SECRET_KEY" not in missing:
            key = self.SECRET_KEY.get_secret_value()
            if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_DISTINCT:
                problems.append(
                    f"SECRET_KEY is weak ({len(key)} characters, {len(set(key))} different):"
                    f" use at least {SECRET_KEY_MIN_LENGTH} random characters")
        if "BASE_URL" not in missing:
            url = urlsplit(self.BASE_URL)
            if url.scheme != "https" or not url.hostname:
                problems.append(f"BASE_URL must be an https:// address (got {self.BASE_URL!r})")
        if "MAIL_FROM" not in missing:
            _, address = parseaddr(self.MAIL_FROM)
            domain = address.rpartition("@")[2].lower()
            if "@" not in address or "." not in domain or domain.endswith(".localhost"):
                problems.append(f"MAIL_FROM must be a real sender address (got {self.MAIL_FROM!r})")
        return problems

    def check(self) -> Settings:
        """Raise when production is misconfigured, naming every problem; return self."""
        if self.is_production:
            problems = self.production_problems()
            if problems:
                raise ConfigurationError(
                    "COMPASS_ENV=production cannot start: " + "; ".join(problems))
        return self


def load_env_file() -> None:
    """Read `.env` into the environment: once, the same way for the web, the worker and the
    CLI. The real environment wins (the shell, Fly's secrets); the file fills in the rest.
    Into os.environ rather than only into Settings, so what reads the environment directly
    (METRICS_TOKEN, Litestream's variables) sees the same values."""
    path = os.environ.get("COMPASS_ENV_FILE", ENV_FILE)
    if path and Path(path).is_file():
        load_dotenv(path, override=False)


@functools.cache
def get_settings() -> Settings:
    """The process's settings; tests that change the environment call `cache_clear()`."""
    load_env_file()
    return Settings().check()
