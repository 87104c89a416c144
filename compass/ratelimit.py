"""Sliding-window rate limits kept in SQLite, so every web process shares the same count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlite_utils

from compass import clock, store


@dataclass(frozen=True)
class Limit:
    bucket: str
    max_hits: int
    window: dt.timedelta


ORDERS_PER_IP = Limit("orders_per_ip", 5, dt.timedelta(hours=1))



def allowed(db: sqlite_utils.Database, limit: Limit, key: str,
            now: dt.datetime | None = None) -> bool:
    """True when `key` has room for one more hit in the window (read-only)."""
    now = now or clock.now()
    return store.ratelimit.count_hits(db, limit.bucket, key, clock.iso(now - limit.window)) \
        < limit.max_hits


def hit(db: sqlite_utils.Database, limit: Limit, key: str,
        now: dt.datetime | None = None) -> bool:
    """Count one hit if there is room and say whether there was, atomically across processes."""
    now = now or clock.now()
    since = clock.iso(now - limit.window)
    with store.transaction(db):
        if store.ratelimit.count_hits(db, limit.bucket, key, since) >= limit.max_hits:
            return False
        store.ratelimit.add_hit(db, limit.bucket, key, clock.iso(now))
        # Old hits only ever matter for one window; dropping them keeps the table small.
        store.ratelimit.prune(db, clock.iso(now - 2 * limit.window))
    return True
