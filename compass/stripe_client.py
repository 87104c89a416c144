"""The one way this product builds a Stripe client: bounded time, bounded retries.

The SDK's defaults (80 s per request, network retries on top) let `POST /orders` hang for
minutes against a Stripe that accepts the connection and never answers. Here every request
waits at most STRIPE_TIMEOUT_SECONDS and a timed-out or dropped request is tried
STRIPE_NETWORK_RETRIES more times with the same idempotency key (the SDK adds one to every
POST when retries are on), so the customer sees the apology-and-retry page instead.

The SDK pins its own API version (`stripe.api_version`); the webhook endpoint in the
Stripe dashboard must be created with the same version (docs/deploy.md), and the dev
checkout stamps it on the events it makes, so event shapes match what the code reads.
"""

from __future__ import annotations

import stripe

from compass.settings import Settings

# Whole-call budget for the checkout path (create, plus expiring an older session first):
# what the customer waits at most before the apology page.
CHECKOUT_BUDGET_SECONDS = 28.0


def api_version() -> str:
    """The Stripe API version the SDK sends (and the webhook endpoint must use)."""
    return str(stripe.api_version)


def stripe_client(settings: Settings) -> stripe.StripeClient:
    assert settings.STRIPE_SECRET_KEY is not None
    addresses: dict[str, str] = {}
    if settings.STRIPE_API_BASE:
        addresses["api"] = settings.STRIPE_API_BASE.rstrip("/")
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY.get_secret_value(),
        base_addresses=addresses,  # type: ignore[arg-type]
        max_network_retries=settings.STRIPE_NETWORK_RETRIES,
        http_client=stripe.HTTPXClient(timeout=settings.STRIPE_TIMEOUT_SECONDS,
                                       allow_sync_methods=True),
    )


def worst_case_seconds(settings: Settings) -> float:
    """How long one SDK call can take: every attempt timing out, plus the SDK's backoff
    between attempts (at most 5 s each; 0.5 s to 1 s for the first retry)."""
    attempts = settings.STRIPE_NETWORK_RETRIES + 1
    return attempts * settings.STRIPE_TIMEOUT_SECONDS + settings.STRIPE_NETWORK_RETRIES * 1.0


def describe_error(exc: stripe.StripeError) -> str:
    # The message and codes only: never the request, which carries the customer's email.
    return f"{type(exc).__name__} (status {exc.http_status}, code {exc.code}): {exc.user_message}"
