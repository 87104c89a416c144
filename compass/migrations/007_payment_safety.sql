-- Payments that cannot double-charge (issue 11).

-- Every attempt to open a Checkout Session, written before Stripe is called, with exactly
-- the parameters sent under its idempotency key. A retry of the same attempt (its answer
-- was lost) replays the same key with the same parameters and gets the same session back;
-- a new attempt gets a new key. Stripe rejects a key reused with other parameters.
-- status: creating (sent, or about to be; outcome unknown while last_error is set)
--   → created | failed (never created: refused, or never sent).
-- params_json holds the customer's email only while the attempt is unresolved.
CREATE TABLE checkout_attempts (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    number INTEGER NOT NULL CHECK (number >= 1),
    provider TEXT NOT NULL CHECK (provider IN ('stripe', 'dev')),
    idempotency_key TEXT NOT NULL UNIQUE,
    params_json TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'creating' CHECK (status IN ('creating', 'created', 'failed')),
    checkout_session_id TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (order_id, number)
);
CREATE INDEX checkout_attempts_open ON checkout_attempts(order_id, status);

-- When we expired this session ourselves because a newer one replaced it: its
-- `checkout.session.expired` event then never expires the order.
ALTER TABLE payments ADD COLUMN superseded_at TEXT;
-- Set on a payment that succeeded for an order another payment had already paid: it is
-- refunded automatically (a `duplicate_payment` refund) and never counts as the payment.
ALTER TABLE payments ADD COLUMN duplicate_of INTEGER REFERENCES payments(id);

-- refunds gains the kind `duplicate_payment` (a CHECK cannot be altered: rebuild). Such a
-- refund returns one extra payment and leaves the order alone, so it is not the order's
-- one live refund; each duplicate payment has at most one.
DROP VIEW refund_queue;
CREATE TABLE refunds_new (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    payment_id INTEGER REFERENCES payments(id),
    customer_id INTEGER REFERENCES customers(id),
    kind TEXT NOT NULL CHECK (kind IN ('customer_request', 'processing_failed', 'admin', 'stripe',
                                       'duplicate_payment')),
    status TEXT NOT NULL CHECK (status IN (
        'pending_review', 'processing', 'succeeded', 'failed', 'denied')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    auto_approved INTEGER NOT NULL DEFAULT 0 CHECK (auto_approved IN (0, 1)),
    rules_json TEXT NOT NULL DEFAULT '[]',
    review_reason TEXT NOT NULL DEFAULT '',
    days_since_payment REAL,
    downloads_at_request INTEGER,
    decided_by TEXT,
    decided_at TEXT,
    decision_note TEXT,
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
INSERT INTO refunds_new SELECT * FROM refunds;
DROP TABLE refunds;
ALTER TABLE refunds_new RENAME TO refunds;
CREATE UNIQUE INDEX refunds_one_live_per_order ON refunds(order_id)
    WHERE status IN ('pending_review', 'processing', 'succeeded', 'failed')
      AND kind != 'duplicate_payment';
CREATE UNIQUE INDEX refunds_one_per_duplicate ON refunds(payment_id)
    WHERE kind = 'duplicate_payment';
CREATE INDEX refunds_status ON refunds(status, requested_at);
CREATE INDEX refunds_customer ON refunds(customer_id);

CREATE VIEW refund_queue AS
SELECT r.id, o.order_number, o.public_id, o.tier, r.kind, r.status, r.amount_cents,
       r.reason, r.review_reason, r.days_since_payment, r.downloads_at_request,
       r.requested_by, r.requested_at, r.attempts, r.last_error, r.updated_at
FROM refunds r JOIN orders o ON o.id = r.order_id
WHERE r.status IN ('pending_review', 'failed')
   OR (r.status = 'processing'
       AND r.updated_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-10 minutes'))
ORDER BY r.requested_at;

-- For the operator: every order that was paid more than once, and what became of the
-- extra payment's automatic refund (docs/operations.md).
CREATE VIEW duplicate_payments AS
SELECT o.order_number, o.public_id, p.checkout_session_id, p.payment_intent_id,
       p.amount_cents, p.currency, p.status AS payment_status, r.status AS refund_status,
       r.last_error AS refund_error, p.updated_at
FROM payments p JOIN orders o ON o.id = p.order_id
LEFT JOIN refunds r ON r.payment_id = p.id AND r.kind = 'duplicate_payment'
WHERE p.duplicate_of IS NOT NULL
ORDER BY p.id DESC;
