-- Customer accounts (magic links, sessions), refunds and premium revisions (issue 5).

-- A deleted account keeps its row (orders and payments point at it, and payment records
-- must be kept) but none of its personal data; deleted_at says when it was anonymised.
ALTER TABLE customers ADD COLUMN deleted_at TEXT;

-- One row per link we emailed: sign-in links and new-address confirmations. Only a
-- SHA-256 of the token is stored, so a copy of the database cannot sign anyone in.
-- A link works once (used_at) and until expires_at (15 minutes).
CREATE TABLE login_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('login', 'email_change')),
    -- Where the link was sent (lower-cased): the address being signed in or confirmed.
    email TEXT NOT NULL,
    customer_id INTEGER REFERENCES customers(id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE INDEX login_tokens_customer ON login_tokens(customer_id);

-- Server-side sessions behind a signed cookie that carries a random token; the row holds
-- its SHA-256. Sliding expiry: every request seen pushes expires_at 7 days ahead.
-- customer_id is NULL for an admin who has never ordered (admins sign in by email).
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    customer_id INTEGER REFERENCES customers(id),
    email TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX sessions_customer ON sessions(customer_id);

-- Refunds. The row is written before Stripe is called and its id makes the idempotency
-- key, so a crash anywhere is finished by a retry with the same key (or by the
-- charge.refunded webhook) and never refunds twice.
-- status: pending_review (waits for an admin) → processing (approved; Stripe being asked)
--   → succeeded | failed (Stripe refused; an admin looks) ; pending_review → denied.
CREATE TABLE refunds (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    payment_id INTEGER REFERENCES payments(id),
    customer_id INTEGER REFERENCES customers(id),
    -- customer_request: from the refund page; processing_failed: automatic, the order
    -- failed; stripe: made outside the product (dashboard) and learnt from the webhook.
    kind TEXT NOT NULL CHECK (kind IN ('customer_request', 'processing_failed', 'admin', 'stripe')),
    status TEXT NOT NULL CHECK (status IN (
        'pending_review', 'processing', 'succeeded', 'failed', 'denied')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    -- The approval rules as evaluated when asked: JSON [{rule, passed, detail}], and in
    -- words why it waits for a person (empty when approved automatically).
    auto_approved INTEGER NOT NULL DEFAULT 0 CHECK (auto_approved IN (0, 1)),
    rules_json TEXT NOT NULL DEFAULT '[]',
    review_reason TEXT NOT NULL DEFAULT '',
    days_since_payment REAL,
    downloads_at_request INTEGER,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
    -- Bumped only when an admin retries after Stripe refused (a refused key stays refused).
    key_generation INTEGER NOT NULL DEFAULT 1,
    idempotency_key TEXT UNIQUE,
    provider TEXT CHECK (provider IN ('stripe', 'dev')),
    provider_refund_id TEXT UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error TEXT,
    completed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
-- At most one live refund per order: a double-submitted form cannot make a second one.
CREATE UNIQUE INDEX refunds_one_live_per_order ON refunds(order_id)
    WHERE status IN ('pending_review', 'processing', 'succeeded', 'failed');
CREATE INDEX refunds_status ON refunds(status, requested_at);
CREATE INDEX refunds_customer ON refunds(customer_id);

-- Premium's revision: the customer's notes, the engine's rerun of the proposal, and both
-- versions of the result (base_result_json is the report as it was before), so every
-- version of the report can be shown again.
-- status: queued → running → completed | failed (the current report is left untouched).
CREATE TABLE revisions (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    number INTEGER NOT NULL CHECK (number >= 1),
    notes TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed')),
    base_result_json TEXT NOT NULL,
    result_json TEXT,
    failure_reason TEXT,
    requested_at TEXT NOT NULL,
    started_at TEXT,
    completed_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (order_id, number)
);
-- One revision at a time per order.
CREATE UNIQUE INDEX revisions_one_active_per_order ON revisions(order_id)
    WHERE status IN ('queued', 'running');

-- For the operator (and the admin review page): refunds waiting for a person or stuck.
CREATE VIEW refund_queue AS
SELECT r.id, o.order_number, o.public_id, o.tier, r.kind, r.status, r.amount_cents,
       r.reason, r.review_reason, r.days_since_payment, r.downloads_at_request,
       r.requested_by, r.requested_at, r.attempts, r.last_error, r.updated_at
FROM refunds r JOIN orders o ON o.id = r.order_id
WHERE r.status IN ('pending_review', 'failed')
   OR (r.status = 'processing'
       AND r.updated_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes'))
ORDER BY r.requested_at;
