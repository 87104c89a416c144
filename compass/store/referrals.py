"""Referrals and discounts: referrals, customers.referral_code, orders' discount columns,
and the dev checkout's coupons and promotion codes (dev_promotions)."""

from __future__ import annotations

import sqlite_utils

from compass.clock import now_iso
from compass.store.sqlite import fetch_all, fetch_one, inserted_id


def referral_code_of(db: sqlite_utils.Database, customer_id: int, new_code: str) -> str:
    """The customer's referral code, set to `new_code` if they had none."""
    db.conn.execute("UPDATE customers SET referral_code = ? WHERE id = ?"
                    " AND referral_code IS NULL", (new_code, customer_id))
    row = fetch_one(db, "SELECT referral_code FROM customers WHERE id = ?", [customer_id])
    assert row is not None
    return str(row["referral_code"])


def referrer_by_code(db: sqlite_utils.Database, code: str) -> dict | None:
    """The live customer whose referral link carries `code`."""
    return fetch_one(db, "SELECT * FROM customers WHERE referral_code = ?"
                         " AND deleted_at IS NULL", [code])


def has_paid_order(db: sqlite_utils.Database, customer_id: int, *,
                   besides: int | None = None) -> bool:
    row = fetch_one(db, "SELECT count(*) AS n FROM orders WHERE customer_id = ?"
                        " AND paid_at IS NOT NULL AND id != ?", [customer_id, besides or 0])
    return bool(row and row["n"])


def set_order_discount(db: sqlite_utils.Database, order_id: int, *, discount_cents: int,
                       discount_json: str | None) -> None:
    db.conn.execute("UPDATE orders SET discount_cents = ?, discount_json = ?, updated_at = ?"
                    " WHERE id = ?", (discount_cents, discount_json, now_iso(), order_id))


def insert(db: sqlite_utils.Database, *, referrer_id: int, referred_id: int,
           order_id: int) -> int:
    now = now_iso()
    cursor = db.conn.execute(
        "INSERT INTO referrals (referrer_id, referred_id, order_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?)", (referrer_id, referred_id, order_id, now, now))
    return inserted_id(cursor)


def get(db: sqlite_utils.Database, referral_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM referrals WHERE id = ?", [referral_id])


def for_order(db: sqlite_utils.Database, order_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM referrals WHERE order_id = ?", [order_id])


def rewarded_or_due_for(db: sqlite_utils.Database, referred_id: int) -> dict | None:
    return fetch_one(db, "SELECT * FROM referrals WHERE referred_id = ?"
                         " AND status IN ('due', 'rewarding', 'rewarded')", [referred_id])


def set_status(db: sqlite_utils.Database, referral_id: int, *, from_statuses: tuple[str, ...],
               to_status: str, **fields: object) -> bool:
    """Compare-and-set: False when the row was no longer in one of `from_statuses`."""
    fields |= {"status": to_status, "updated_at": now_iso()}
    assignments = ", ".join(f"{name} = :{name}" for name in fields)
    marks = ", ".join(f":_from{i}" for i in range(len(from_statuses)))
    cursor = db.conn.execute(
        f"UPDATE referrals SET {assignments} WHERE id = :_id AND status IN ({marks})",  # noqa: S608 - names are ours
        fields | {"_id": referral_id} | {f"_from{i}": s for i, s in enumerate(from_statuses)})
    return cursor.rowcount == 1


def record_error(db: sqlite_utils.Database, referral_id: int, error: str) -> None:
    db.conn.execute("UPDATE referrals SET last_error = ?, attempts = attempts + 1,"
                    " updated_at = ? WHERE id = ?", (error[:500], now_iso(), referral_id))


def for_referrer(db: sqlite_utils.Database, referrer_id: int) -> dict:
    """The referrer's dashboard: friends whose order was paid, and the reward codes made."""
    row = fetch_one(db, "SELECT count(*) FILTER (WHERE status IN ('due', 'rewarding',"
                        " 'rewarded')) AS friends FROM referrals WHERE referrer_id = ?",
                    [referrer_id])
    codes = fetch_all(db, "SELECT reward_code, rewarded_at FROM referrals"
                          " WHERE referrer_id = ? AND status = 'rewarded' ORDER BY id",
                      [referrer_id])
    return {"friends": (row or {}).get("friends") or 0, "codes": codes}


def rewards_to_make(db: sqlite_utils.Database, *, now: str) -> list[dict]:
    """Referrals whose reward is due (refund window over) or was started and not finished."""
    return fetch_all(db, "SELECT * FROM referrals WHERE (status = 'due' AND reward_due_at <= ?)"
                         " OR status = 'rewarding' ORDER BY id", [now])


def figures(db: sqlite_utils.Database, window: dict[str, str]) -> dict:
    """For /admin, over orders paid in the window [since, until) and not refunded: what
    referred orders were charged (net of discounts), what every discount gave away; and
    the rewards made in the window, and those waiting (now)."""
    row = fetch_one(db, """
        SELECT
          count(r.id) AS referred_orders,
          coalesce(sum(o.amount_cents - o.discount_cents) FILTER (WHERE r.id IS NOT NULL), 0)
              AS referral_revenue_cents,
          coalesce(sum(o.discount_cents) FILTER (WHERE r.id IS NOT NULL), 0)
              AS referral_discount_cents,
          coalesce(sum(o.discount_cents), 0) AS discount_cents,
          count(*) FILTER (WHERE o.discount_cents > 0) AS discounted_orders
        FROM orders o LEFT JOIN referrals r ON r.order_id = o.id
        WHERE o.paid_at >= :since AND o.paid_at < :until AND o.status != 'refunded'""",
                    window)
    rewards = fetch_one(db, "SELECT count(*) FILTER (WHERE status = 'rewarded'"
                            " AND rewarded_at >= :since AND rewarded_at < :until) AS sent,"
                            " count(*) FILTER (WHERE status IN ('due', 'rewarding')) AS waiting"
                            " FROM referrals", window)
    return dict(row or {}) | {"rewards_sent": (rewards or {}).get("sent") or 0,
                              "rewards_waiting": (rewards or {}).get("waiting") or 0}


# dev_promotions: development only

def put_dev_promotion(db: sqlite_utils.Database, *, object_id: str, kind: str,
                      code: str | None, body_json: str) -> None:
    now = now_iso()
    db.conn.execute(
        "INSERT INTO dev_promotions (id, object, code, body_json, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
        " body_json = excluded.body_json, updated_at = excluded.updated_at",
        (object_id, kind, code, body_json, now, now))


def get_dev_promotion(db: sqlite_utils.Database, object_id: str) -> str | None:
    row = fetch_one(db, "SELECT body_json FROM dev_promotions WHERE id = ?", [object_id])
    return row["body_json"] if row else None


def dev_promotion_by_code(db: sqlite_utils.Database, code: str) -> str | None:
    row = fetch_one(db, "SELECT body_json FROM dev_promotions WHERE object = 'promotion_code'"
                        " AND upper(code) = upper(?)", [code])
    return row["body_json"] if row else None
