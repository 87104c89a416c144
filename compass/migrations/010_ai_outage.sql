-- When the model API refuses our account (key rejected, spend limit, model gone), paid
-- orders are held, not failed: the order keeps its status (paid or processing) and these
-- columns say it waits for the API (compass.outage). Cleared when a probe call succeeds
-- and the order is queued again.
ALTER TABLE orders ADD COLUMN held_at TEXT;
ALTER TABLE orders ADD COLUMN hold_reason TEXT;
CREATE INDEX orders_held ON orders(held_at) WHERE held_at IS NOT NULL;

-- One row per outage of the model API on our side: opened by the first systemic error,
-- closed by the first probe call that succeeds. At most one is open at a time.
CREATE TABLE ai_incidents (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,          -- authentication, permission, spend_limit, billing, ...
    status INTEGER,              -- the HTTP status the API answered
    message TEXT NOT NULL,       -- the API's own words (never the key: see the provider)
    model TEXT,                  -- the model the failing call asked for; the probe uses it
    opened_at TEXT NOT NULL,
    probes INTEGER NOT NULL DEFAULT 0,
    last_probe_at TEXT,
    last_probe_error TEXT,
    closed_at TEXT
);
CREATE UNIQUE INDEX ai_incidents_one_open ON ai_incidents((closed_at IS NULL))
    WHERE closed_at IS NULL;
