-- A transient outage of the model API (overloaded, 5xx, unreachable) is waited out, not
-- refunded: the order stays `processing`, its lease is given back and it is tried again
-- with growing delays until the outage ends or a share of its tier's delivery time has
-- passed (compass.processing). These say since when it waits, how many retries it had and
-- when the next one is due (for the customer's honest estimate).
ALTER TABLE orders ADD COLUMN ai_wait_since TEXT;
ALTER TABLE orders ADD COLUMN ai_wait_retries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN ai_retry_at TEXT;
