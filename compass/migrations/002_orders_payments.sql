-- The paid-order spine: payments, Stripe event idempotency, the order's history,
-- rate-limit counters, measured phase durations and the dev checkout's stand-in sessions.

-- When the current phase began, so the estimate can subtract time already spent in it.
ALTER TABLE orders ADD COLUMN phase_started_at TEXT;

-- One row per Checkout Session we created for an order (a retry after a Stripe error or a
-- cancelled checkout creates another). Amounts are integer cents.
CREATE TABLE payments (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    provider TEXT NOT NULL CHECK (provider IN ('stripe', 'dev')),
    checkout_session_id TEXT NOT NULL UNIQUE,
    checkout_url TEXT NOT NULL,
    payment_intent_id TEXT,
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN (
        'open', 'processing', 'succeeded', 'failed', 'expired', 'refunded', 'mismatch')),
    expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX payments_order ON payments(order_id);
CREATE INDEX payments_intent ON payments(payment_intent_id);

-- Every Stripe event id we processed, once: a redelivery is recognised and ignored.
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    order_id INTEGER REFERENCES orders(id),
    outcome TEXT NOT NULL,
    payload TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- Every status transition of every order, in order.
CREATE TABLE order_events (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    from_status TEXT,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX order_events_order ON order_events(order_id, id);

-- Sliding-window rate limits shared by every process: one row per counted action.
CREATE TABLE rate_limit_hits (
    id INTEGER PRIMARY KEY,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX rate_limit_hits_lookup ON rate_limit_hits(bucket, key, at);

-- How long each engine phase took on completed orders: the basis of delivery estimates.
CREATE TABLE phase_durations (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    tier TEXT NOT NULL,
    phase TEXT NOT NULL,
    seconds REAL NOT NULL CHECK (seconds >= 0),
    created_at TEXT NOT NULL
);
CREATE INDEX phase_durations_lookup ON phase_durations(tier, phase, id);

-- What Stripe itself would hold for a Checkout Session, kept only by the development
-- checkout that stands in for Stripe when no STRIPE_SECRET_KEY is configured.
CREATE TABLE dev_checkout_sessions (
    id TEXT PRIMARY KEY,
    session_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- For the operator at the sqlite3 prompt: paid orders with nothing happening to them.
CREATE VIEW orders_needing_attention AS
SELECT o.order_number, o.public_id, o.tier, o.status, o.phase, o.progress_percent,
       o.lease_owner, o.lease_expires_at, o.failure_reason, o.paid_at, o.updated_at
FROM orders o
WHERE o.status = 'failed'
   OR (o.status IN ('paid', 'processing')
       AND (o.lease_expires_at IS NULL OR o.lease_expires_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))
ORDER BY o.updated_at;

CREATE VIEW revenue_by_day AS
SELECT substr(o.paid_at, 1, 10) AS day, count(*) AS orders, sum(o.amount_cents) AS cents
FROM orders o
WHERE o.paid_at IS NOT NULL AND o.status != 'refunded'
GROUP BY day
ORDER BY day;
