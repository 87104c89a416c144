-- Disputes (chargebacks) and refunds that change after they were made (issue 11).

-- One row per Stripe dispute, kept current by charge.dispute.created/updated/closed.
-- status is Stripe's: warning_needs_response, warning_under_review, warning_closed,
-- needs_response, under_review, won, lost, prevented. evidence_due_by is when Stripe
-- stops accepting evidence (NULL when the bank allows no response).
CREATE TABLE disputes (
    id INTEGER PRIMARY KEY,
    stripe_dispute_id TEXT NOT NULL UNIQUE,
    order_id INTEGER REFERENCES orders(id),
    payment_id INTEGER REFERENCES payments(id),
    charge_id TEXT,
    payment_intent_id TEXT,
    amount_cents INTEGER NOT NULL DEFAULT 0,
    currency TEXT NOT NULL DEFAULT 'usd',
    reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    evidence_due_by TEXT,
    closed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX disputes_order ON disputes(order_id);

-- The order's latest dispute status (NULL: never disputed), for lists and the overview.
ALTER TABLE orders ADD COLUMN dispute_status TEXT;

-- Stripe's own status of the refund we asked for (pending, requires_action, succeeded,
-- failed, canceled): a refund is done only when Stripe says `succeeded`.
ALTER TABLE refunds ADD COLUMN provider_status TEXT;

-- For the operator: disputes still open, soonest deadline first.
CREATE VIEW open_disputes AS
SELECT d.stripe_dispute_id, o.order_number, o.public_id, d.amount_cents, d.currency, d.reason,
       d.status, d.evidence_due_by, d.created_at
FROM disputes d LEFT JOIN orders o ON o.id = d.order_id
WHERE d.status NOT IN ('won', 'lost', 'warning_closed', 'prevented')
ORDER BY d.evidence_due_by IS NULL, d.evidence_due_by;
