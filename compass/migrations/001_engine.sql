-- Customers, orders and the AI call ledger: what the engine needs to run an order.
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE CHECK (email = lower(email)),
    name TEXT NOT NULL DEFAULT '',
    company_name TEXT NOT NULL DEFAULT '',
    company_website TEXT NOT NULL DEFAULT '',
    industry TEXT NOT NULL DEFAULT '',
    company_size TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    order_number TEXT NOT NULL UNIQUE,
    customer_id INTEGER REFERENCES customers(id),
    tier TEXT NOT NULL CHECK (tier IN ('starter', 'standard', 'premium')),
    status TEXT NOT NULL DEFAULT 'payment_pending' CHECK (status IN (
        'payment_pending', 'paid', 'processing', 'completed', 'failed', 'refunded', 'expired')),
    amount_cents INTEGER NOT NULL CHECK (amount_cents >= 0),
    currency TEXT NOT NULL DEFAULT 'usd',
    input_json TEXT NOT NULL,
    result_json TEXT,
    progress_percent INTEGER NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    phase TEXT,
    phase_label TEXT,
    failure_reason TEXT,
    lease_owner TEXT,
    lease_expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    paid_at TEXT,
    started_at TEXT,
    completed_at TEXT
);
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_status ON orders(status);

-- One row per model call: the cost ledger, the QA capture and the resume checkpoint.
CREATE TABLE ai_calls (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    order_id INTEGER REFERENCES orders(id),
    phase TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    retry INTEGER NOT NULL DEFAULT 0,
    perspective TEXT,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'invalid', 'error')),
    stop_reason TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    -- Millionths of a US dollar: one call costs a fraction of a cent.
    cost_microusd INTEGER NOT NULL DEFAULT 0,
    latency_ms INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    response_text TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX ai_calls_run ON ai_calls(run_id, request_hash, status);
CREATE INDEX ai_calls_order ON ai_calls(order_id);
