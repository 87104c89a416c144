-- Referrals and discounts (issue 11).

-- Each customer's referral link carries this code (/order/new?ref=CODE), made the first
-- time their dashboard shows it.
ALTER TABLE customers ADD COLUMN referral_code TEXT;
CREATE UNIQUE INDEX customers_referral_code ON customers(referral_code)
    WHERE referral_code IS NOT NULL;

-- What the order is charged below its price. amount_cents stays the tier's price (the
-- Checkout line item); the customer is charged amount_cents - discount_cents. Set when
-- the order is placed with a referral link or a promotion code (discount_json is then the
-- Checkout Session's `discounts` entry, {"coupon": id} or {"promotion_code": id}), or at
-- fulfilment for a code typed on Stripe's own page (allow_promotion_codes).
ALTER TABLE orders ADD COLUMN discount_cents INTEGER NOT NULL DEFAULT 0
    CHECK (discount_cents >= 0);
ALTER TABLE orders ADD COLUMN discount_json TEXT;

-- One row per order placed through a referral link.
-- status: pending (not paid yet) → due (its first paid order: the reward is due once the
--   refund window has passed, at reward_due_at) → rewarding (code chosen, Stripe being
--   asked) → rewarded (promotion code made, email queued); or void (void_reason says
--   why: refunded, not the friend's first paid order, already rewarded, expired unpaid).
CREATE TABLE referrals (
    id INTEGER PRIMARY KEY,
    referrer_id INTEGER NOT NULL REFERENCES customers(id),
    referred_id INTEGER NOT NULL REFERENCES customers(id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders(id),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'due', 'rewarding', 'rewarded', 'void')),
    void_reason TEXT,
    reward_due_at TEXT,
    reward_code TEXT UNIQUE,
    reward_promotion_code_id TEXT,
    rewarded_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (referrer_id != referred_id)
);
-- One reward per referred customer, whatever happens.
CREATE UNIQUE INDEX referrals_one_reward_per_friend ON referrals(referred_id)
    WHERE status IN ('due', 'rewarding', 'rewarded');
CREATE INDEX referrals_status ON referrals(status, reward_due_at);
CREATE INDEX referrals_referrer ON referrals(referrer_id);

-- Development only (no STRIPE_SECRET_KEY): the coupons and promotion codes the dev
-- checkout honours, kept as Stripe-shaped JSON like dev_checkout_sessions.
CREATE TABLE dev_promotions (
    id TEXT PRIMARY KEY,
    object TEXT NOT NULL CHECK (object IN ('coupon', 'promotion_code')),
    code TEXT UNIQUE,
    body_json TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Revenue is what was charged: the price less the discount.
DROP VIEW IF EXISTS revenue_by_day;
CREATE VIEW revenue_by_day AS
WITH moves AS (
    SELECT substr(o.paid_at, 1, 10) AS day, 1 AS paid,
           o.amount_cents - o.discount_cents AS paid_cents, 0 AS refunded, 0 AS refunded_cents
    FROM orders o WHERE o.paid_at IS NOT NULL
    UNION ALL
    SELECT substr(e.created_at, 1, 10), 0, 0, 1, o.amount_cents - o.discount_cents
    FROM order_events e JOIN orders o ON o.id = e.order_id
    WHERE e.to_status = 'refunded'
)
SELECT day, sum(paid) AS orders, sum(paid_cents) AS gross_cents, sum(refunded) AS refunds,
       sum(refunded_cents) AS refunded_cents, sum(paid_cents) - sum(refunded_cents) AS net_cents
FROM moves
GROUP BY day
ORDER BY day;

DROP VIEW IF EXISTS ai_cost_by_tier;
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
    SELECT tier, sum(amount_cents - discount_cents) AS revenue_cents
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
