"""The operator's SQL views (migration 004) give the numbers docs/operations.md promises."""

from __future__ import annotations

from compass import store
from tests.factories import add_order


def refund(db, order_id: int, when: str) -> None:
    with store.transaction(db):
        store.orders.set_status(db, order_id, from_status="paid", to_status="processing")
        store.orders.set_status(db, order_id, from_status="processing", to_status="failed")
        store.orders.set_status(db, order_id, from_status="failed", to_status="refunded")
        db.conn.execute("INSERT INTO order_events (order_id, from_status, to_status, reason,"
                        " created_at) VALUES (?, 'failed', 'refunded', 'qa', ?)", (order_id, when))


def test_revenue_by_day_counts_money_taken_and_given_back(db):
    for n in range(1, 4):
        add_order(db, n)
    db.conn.execute("UPDATE orders SET paid_at = '2026-11-01T10:00:00Z' WHERE id IN (1, 2)")
    db.conn.execute("UPDATE orders SET paid_at = '2026-11-02T10:00:00Z' WHERE id = 3")
    refund(db, 1, "2026-11-03T09:00:00Z")
    days = {row["day"]: row for row in db.query("SELECT * FROM revenue_by_day")}
    assert days["2026-11-01"]["orders"] == 2 and days["2026-11-01"]["gross_cents"] == 29800
    assert days["2026-11-02"]["net_cents"] == 14900
    assert days["2026-11-03"]["refunds"] == 1 and days["2026-11-03"]["net_cents"] == -14900
    assert sum(d["net_cents"] for d in days.values()) == 2 * 14900


def test_ai_cost_by_tier_and_margin(db):
    for n in range(1, 3):
        add_order(db, n)
    (row,) = db.query("SELECT * FROM ai_cost_by_tier")
    assert row["tier"] == "standard" and row["orders"] == 2 and row["calls"] == 2
    cost = (9001 + 9002) / 1e6
    assert row["cost_usd"] == round(cost, 4)
    assert row["revenue_usd"] == 298.0
    assert row["gross_margin_pct"] == round(100 * (298 - cost) / 298, 1)


def test_orders_overview_and_timeline(db):
    add_order(db, 7)
    (row,) = db.query("SELECT * FROM orders_overview")
    assert row["order_number"] == "ORD-2026-000007" and row["email"] == "owner7@example.com"
    assert row["ai_calls"] == 1 and row["status"] == "paid"
    steps = [r["to_status"] for r in db.query(
        "SELECT * FROM order_timeline WHERE order_number = 'ORD-2026-000007'")]
    assert steps == ["paid", "payment_pending"]
