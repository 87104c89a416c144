"""Data access: the only package that holds SQL and knows the data lives in SQLite.

One module per table or concern (orders, payments, customers, emails, ...); each is the
only code that touches its tables. Connections, transactions, `after_commit` and the
migrations are in `compass.store.sqlite` and re-exported here, so callers write
`store.transaction(db)` and `store.orders.get(db, order_id)`.
See docs/architecture.md for the rule and why.
"""

from __future__ import annotations

from compass.store import (
    ai_calls,
    customers,
    disputes,
    emails,
    files,
    incidents,
    insights,
    metrics,
    orders,
    outbox,
    payments,
    ratelimit,
    referrals,
    refunds,
    reports,
    revisions,
)
from compass.store.sqlite import (
    BUSY_TIMEOUT_MS,
    Migration,
    ReadOnly,
    after_commit,
    applied_versions,
    available_migrations,
    can_write,
    connect,
    migrate,
    open_database,
    open_for_checks,
    open_readonly,
    pending_migrations,
    transaction,
)

__all__ = [
    "BUSY_TIMEOUT_MS", "Migration", "ReadOnly", "after_commit", "ai_calls", "applied_versions",
    "available_migrations", "can_write", "connect", "customers", "disputes", "emails",
    "files", "incidents", "insights",
    "metrics", "migrate", "open_database", "open_for_checks", "open_readonly", "orders",
    "outbox",
    "payments", "pending_migrations", "ratelimit", "referrals", "refunds", "reports",
    "revisions",
    "transaction",
]
