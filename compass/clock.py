"""Time as the product stores it: UTC, ISO-8601 with a Z suffix, microseconds.

The one clock (`now`), the one stored format (`iso`) and the one parser (`parse`), so a
stored time read back compares with a fresh one.
"""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime) -> str:
    """A UTC moment as ISO-8601 with a Z suffix: the format of every stored time."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(now())


def iso_in(seconds: float) -> str:
    """The stored form of the moment `seconds` from now (lease and expiry times)."""
    return iso(now() + dt.timedelta(seconds=seconds))


def parse(value: str) -> dt.datetime:
    """A stored (or Stripe/Litestream) ISO-8601 time; one without a zone is taken as UTC."""
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def parse_or_none(value: str | None) -> dt.datetime | None:
    """`parse`, but None for an empty or malformed value (display code must not fail)."""
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        return None
