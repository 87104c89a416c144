-- Views for the operator at the sqlite3 prompt (docs/operations.md shows them in use).
-- Read-only conveniences over the tables; nothing in the application depends on them.

-- Money by the day it moved: payments on the day they were taken, refunds on the day the
-- order became refunded (which may be a later day than its payment).
DROP VIEW IF EXISTS revenue_by_day;
CREATE VIEW revenue_by_day AS
WITH moves AS (
    SELECT substr(o.paid_at, 1, 10) AS day, 1 AS paid, o.amount_cents AS paid_cents,
           0 AS refunded, 0 AS refunded_cents
    FROM orders o WHERE o.paid_at IS NOT NULL
    UNION ALL
    SELECT substr(e.created_at, 1, 10), 0, 0, 1, o.amount_cents
    FROM order_events e JOIN orders o ON o.id = e.order_id
    WHERE e.to_status = 'refunded'
)
SELECT day, sum(paid) AS orders, sum(paid_cents) AS gross_cents, sum(refunded) AS refunds,
       sum(refunded_cents) AS refunded_cents, sum(paid_cents) - sum(refunded_cents) AS net_cents
FROM moves
GROUP BY day
ORDER BY day;

-- What the model costs per tier against what the tier earns. Calls made outside an order
-- (`compass generate`) have no tier and are left out.
CREATE VIEW ai_cost_by_tier AS
WITH spend AS (
    SELECT o.tier, count(*) AS calls, count(DISTINCT a.order_id) AS orders,
           sum(a.input_tokens) AS input_tokens, sum(a.output_tokens) AS output_tokens,
           sum(a.cache_read_tokens) AS cache_read_tokens,
           sum(a.cache_write_tokens) AS cache_write_tokens,
           sum(a.cost_microusd) AS cost_microusd
    FROM ai_calls a JOIN orders o ON o.id = a.order_id
    GROUP BY o.tier
), takings AS (
    SELECT tier, sum(amount_cents) AS revenue_cents
    FROM orders WHERE paid_at IS NOT NULL AND status != 'refunded'
    GROUP BY tier
)
SELECT s.tier, s.orders, s.calls, s.input_tokens, s.output_tokens, s.cache_read_tokens,
       s.cache_write_tokens,
       round(s.cost_microusd / 1e6, 4) AS cost_usd,
       round(s.cost_microusd / 1e6 / max(s.orders, 1), 4) AS cost_per_order_usd,
       round(coalesce(t.revenue_cents, 0) / 100.0, 2) AS revenue_usd,
       CASE WHEN coalesce(t.revenue_cents, 0) > 0
            THEN round(100.0 * (t.revenue_cents / 100.0 - s.cost_microusd / 1e6)
                       / (t.revenue_cents / 100.0), 1) END AS gross_margin_pct
FROM spend s LEFT JOIN takings t ON t.tier = s.tier
ORDER BY s.tier;

-- One line per order with who, what, how long and what it cost: the first thing to look
-- at when a customer writes in (`WHERE email = …` or `WHERE order_number = …`).
CREATE VIEW orders_overview AS
SELECT o.order_number, o.public_id, c.email, c.company_name, o.tier, o.status,
       o.amount_cents, o.created_at, o.paid_at, o.completed_at,
       CASE WHEN o.completed_at IS NOT NULL AND o.paid_at IS NOT NULL
            THEN round((julianday(o.completed_at) - julianday(o.paid_at)) * 1440, 1)
       END AS minutes_to_deliver,
       (SELECT count(*) FROM ai_calls a WHERE a.order_id = o.id) AS ai_calls,
       (SELECT round(coalesce(sum(a.cost_microusd), 0) / 1e6, 4)
        FROM ai_calls a WHERE a.order_id = o.id) AS ai_cost_usd,
       o.failure_reason
FROM orders o LEFT JOIN customers c ON c.id = o.customer_id
ORDER BY o.id DESC;

-- Every status change of every order, newest first: `WHERE order_number = …` for one.
CREATE VIEW order_timeline AS
SELECT o.order_number, e.created_at AS at, e.from_status, e.to_status, e.reason
FROM order_events e JOIN orders o ON o.id = e.order_id
ORDER BY e.id DESC;
