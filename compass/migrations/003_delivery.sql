-- Delivery: stored report PDFs (versioned), download counts, and every email we send.

-- The report PDF currently served for the order (a path relative to COMPASS_DATA_DIR) and
-- its version; downloads are counted for the refund rules ("report not downloaded").
ALTER TABLE orders ADD COLUMN report_pdf_path TEXT;
ALTER TABLE orders ADD COLUMN report_version INTEGER;
ALTER TABLE orders ADD COLUMN downloads_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN last_downloaded_at TEXT;

-- Every PDF rendered for an order. Version 1 is rendered once when the order completes;
-- a later revision (premium's "one revision") adds version 2, and so on.
CREATE TABLE report_versions (
    id INTEGER PRIMARY KEY,
    order_id INTEGER NOT NULL REFERENCES orders(id),
    version INTEGER NOT NULL CHECK (version >= 1),
    pdf_path TEXT NOT NULL,
    pdf_bytes INTEGER NOT NULL CHECK (pdf_bytes > 0),
    pages INTEGER,
    render_seconds REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (order_id, version)
);

-- One row per message. Order emails are unique per order and kind (a retried job, a
-- redelivered webhook or a second worker cannot send the same one twice); emails not tied
-- to an order (sign-in links, the daily summary) carry a dedupe_key instead.
-- status: pending (waiting for its first or next attempt) → sending (claimed by a worker)
-- → sent | failed (gave up: three attempts, or a permanent refusal).
CREATE TABLE emails (
    id INTEGER PRIMARY KEY,
    order_id INTEGER REFERENCES orders(id),
    -- One of compass.mail.KINDS (checked there, so a new kind needs no table rebuild).
    kind TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    -- What the message needs beyond the order row (a refund's reason, a sign-in link);
    -- cleared once sent for kinds that carry a credential.
    context_json TEXT NOT NULL DEFAULT '{}',
    -- Stable across attempts, so a receiving server can recognise a repeat.
    message_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error TEXT,
    claimed_at TEXT,
    sent_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (order_id, kind),
    CHECK (order_id IS NOT NULL OR dedupe_key IS NOT NULL)
);
CREATE INDEX emails_status ON emails(status, updated_at);

-- For the operator: emails that gave up, or that have waited too long to go out.
CREATE VIEW emails_needing_attention AS
SELECT e.id, e.kind, o.order_number, e.to_address, e.status, e.attempts, e.last_error,
       e.created_at, e.updated_at
FROM emails e LEFT JOIN orders o ON o.id = e.order_id
WHERE e.status = 'failed'
   OR (e.status IN ('pending', 'sending')
       AND e.updated_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 minutes'))
ORDER BY e.updated_at;
