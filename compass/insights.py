"""The business at a glance: the figures behind /admin, the daily summary and the CLI.

Read-only queries over orders, order_events, ai_calls and emails. Windows are half-open
UTC intervals [since, until). Money is integer cents; AI cost is micro-dollars in the
ledger and dollars here.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import dataclass, field

import sqlite_utils

from compass import db as store
from compass.tiers import TIERS


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def _has_table(db: sqlite_utils.Database, name: str) -> bool:
    return db[name].exists()


@dataclass
class TierFigures:
    tier: str
    orders: int = 0
    revenue_cents: int = 0
    ai_cost_usd: float = 0.0

    @property
    def ai_cost_per_order_usd(self) -> float:
        return self.ai_cost_usd / self.orders if self.orders else 0.0

    @property
    def gross_margin_pct(self) -> float | None:
        revenue = self.revenue_cents / 100
        return round(100 * (revenue - self.ai_cost_usd) / revenue, 1) if revenue else None


@dataclass
class Figures:
    since: str
    until: str
    orders: int = 0
    revenue_cents: int = 0
    refunds: int = 0
    refunded_cents: int = 0
    completed: int = 0
    failed: int = 0
    median_minutes: float | None = None
    p95_minutes: float | None = None
    ai_cost_usd: float = 0.0
    email_failures: int = 0
    tiers: list[TierFigures] = field(default_factory=list)

    @property
    def refund_rate_pct(self) -> float | None:
        return round(100 * self.refunds / self.orders, 1) if self.orders else None

    @property
    def qa_pass_rate_pct(self) -> float | None:
        finished = self.completed + self.failed
        return round(100 * self.completed / finished, 1) if finished else None

    @property
    def net_cents(self) -> int:
        return self.revenue_cents - self.refunded_cents

    @property
    def ai_cost_per_order_usd(self) -> float:
        return self.ai_cost_usd / self.orders if self.orders else 0.0

    @property
    def gross_margin_pct(self) -> float | None:
        revenue = self.net_cents / 100
        return round(100 * (revenue - self.ai_cost_usd) / revenue, 1) if revenue > 0 else None


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def figures(db: sqlite_utils.Database, since: dt.datetime, until: dt.datetime) -> Figures:
    """Key figures of orders paid (money), finished (quality, speed) and AI spend in the window."""
    window = {"since": store.iso(since), "until": store.iso(until)}
    result = Figures(since=window["since"], until=window["until"])
    per_tier = {name: TierFigures(name) for name in TIERS}

    for row in db.query(
            "SELECT tier, count(*) AS n, coalesce(sum(amount_cents), 0) AS cents FROM orders"
            " WHERE paid_at >= :since AND paid_at < :until GROUP BY tier", window):
        per_tier[row["tier"]].orders = row["n"]
        per_tier[row["tier"]].revenue_cents = row["cents"]
    result.orders = sum(t.orders for t in per_tier.values())
    result.revenue_cents = sum(t.revenue_cents for t in per_tier.values())

    (result.refunds, result.refunded_cents) = db.execute(
        "SELECT count(*), coalesce(sum(o.amount_cents), 0) FROM order_events e"
        " JOIN orders o ON o.id = e.order_id WHERE e.to_status = 'refunded'"
        " AND e.created_at >= :since AND e.created_at < :until", window).fetchone()
    (result.completed, result.failed) = db.execute(
        "SELECT count(*) FILTER (WHERE to_status = 'completed'),"
        " count(*) FILTER (WHERE to_status = 'failed') FROM order_events"
        " WHERE created_at >= :since AND created_at < :until", window).fetchone()

    minutes = [(_parse(done) - _parse(paid)).total_seconds() / 60 for paid, done in db.execute(
        "SELECT paid_at, completed_at FROM orders WHERE completed_at >= :since"
        " AND completed_at < :until AND paid_at IS NOT NULL", window)]
    if minutes:
        result.median_minutes = round(statistics.median(minutes), 1)
        result.p95_minutes = round(_percentile(minutes, 95) or 0, 1)

    for row in db.query(
            "SELECT o.tier, coalesce(sum(a.cost_microusd), 0) AS micro FROM ai_calls a"
            " JOIN orders o ON o.id = a.order_id"
            " WHERE a.created_at >= :since AND a.created_at < :until GROUP BY o.tier", window):
        per_tier[row["tier"]].ai_cost_usd = row["micro"] / 1e6
    result.ai_cost_usd = sum(t.ai_cost_usd for t in per_tier.values())
    result.tiers = list(per_tier.values())

    if _has_table(db, "emails"):
        (result.email_failures,) = db.execute(
            "SELECT count(*) FROM emails WHERE status = 'failed'"
            " AND updated_at >= :since AND updated_at < :until", window).fetchone()
    return result


def last_days(db: sqlite_utils.Database, days: int, *, now: dt.datetime | None = None
              ) -> Figures:
    now = now or dt.datetime.now(dt.UTC)
    return figures(db, now - dt.timedelta(days=days), now)


@dataclass
class DayPoint:
    day: str
    orders: int
    net_cents: int
    ai_cost_usd: float


def daily_series(db: sqlite_utils.Database, days: int, *, now: dt.datetime | None = None
                 ) -> list[DayPoint]:
    """One point per UTC day, oldest first, zeros included (a chart needs the gaps)."""
    now = now or dt.datetime.now(dt.UTC)
    first = (now - dt.timedelta(days=days - 1)).date()
    points = {(first + dt.timedelta(days=i)).isoformat(): DayPoint(
        (first + dt.timedelta(days=i)).isoformat(), 0, 0, 0.0) for i in range(days)}
    since = first.isoformat()
    for row in db.query("SELECT day, orders, net_cents FROM revenue_by_day WHERE day >= ?",
                        [since]):
        if row["day"] in points:
            points[row["day"]].orders = row["orders"]
            points[row["day"]].net_cents = row["net_cents"]
    for day, micro in db.execute(
            "SELECT substr(created_at, 1, 10) AS day, sum(cost_microusd) FROM ai_calls"
            " WHERE created_at >= ? GROUP BY day", [since]):
        if day in points:
            points[day].ai_cost_usd = micro / 1e6
    return list(points.values())


def attention_lines(db: sqlite_utils.Database) -> list[str]:
    """What needs a person, one line each: stuck or failed orders, refunds to review,
    emails that gave up."""
    lines = [f"order {r['order_number']} {r['status']}"
             + (f": {r['failure_reason'][:120]}" if r["failure_reason"] else "")
             for r in db.query("SELECT * FROM orders_needing_attention")]
    if _has_table(db, "refund_queue"):
        lines += [f"refund for {r['order_number']} {r['status']}: {r['reason'][:120]}"
                  for r in db.query("SELECT * FROM refund_queue")]
    if _has_table(db, "emails_needing_attention"):
        lines += [f"email {r['kind']} for {r['order_number'] or r['to_address']} {r['status']}"
                  f" after {r['attempts']} attempt(s)"
                  for r in db.query("SELECT * FROM emails_needing_attention")]
    return lines


def summary_pairs(f: Figures) -> list[tuple[str, str]]:
    """The figures as label/value pairs for the daily summary email and the CLI."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:g}%"

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:g} min"

    return [
        ("Orders paid", str(f.orders)),
        ("Revenue", f"${f.revenue_cents / 100:,.2f}"),
        ("Refunds", f"{f.refunds} (${f.refunded_cents / 100:,.2f}; rate {pct(f.refund_rate_pct)})"),
        ("Net", f"${f.net_cents / 100:,.2f}"),
        ("Delivered / failed", f"{f.completed} / {f.failed} (QA pass {pct(f.qa_pass_rate_pct)})"),
        ("Processing time", f"median {minutes(f.median_minutes)}, p95 {minutes(f.p95_minutes)}"),
        ("AI cost", f"${f.ai_cost_usd:,.2f} (${f.ai_cost_per_order_usd:,.2f} per order)"),
        ("Gross margin", pct(f.gross_margin_pct)),
        ("Email failures", str(f.email_failures)),
    ]


def order_detail(db: sqlite_utils.Database, order: dict) -> dict:
    """Everything about one order for the admin page and `compass orders show`."""
    customer = next(iter(db.query("SELECT * FROM customers WHERE id = ?",
                                  [order.get("customer_id")])), None)
    detail = {
        "order": order,
        "customer": customer,
        "events": list(db.query("SELECT * FROM order_events WHERE order_id = ? ORDER BY id",
                                [order["id"]])),
        "ai_calls": list(db.query(
            "SELECT id, phase, attempt, retry, perspective, model, status, stop_reason,"
            " input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,"
            " cost_microusd, latency_ms, error, created_at FROM ai_calls WHERE order_id = ?"
            " ORDER BY id", [order["id"]])),
        "payments": list(db.query("SELECT * FROM payments WHERE order_id = ? ORDER BY id",
                                  [order["id"]])),
        "emails": list(db.query(
            "SELECT id, kind, to_address, status, attempts, last_error, sent_at, created_at,"
            " updated_at FROM emails WHERE order_id = ? ORDER BY id", [order["id"]]))
        if _has_table(db, "emails") else [],
        "refunds": list(db.query("SELECT * FROM refunds WHERE order_id = ? ORDER BY id",
                                 [order["id"]])) if _has_table(db, "refunds") else [],
    }
    calls = detail["ai_calls"]
    detail["ai_totals"] = {
        "calls": len(calls),
        "input_tokens": sum(c["input_tokens"] for c in calls),
        "output_tokens": sum(c["output_tokens"] for c in calls),
        "cache_read_tokens": sum(c["cache_read_tokens"] for c in calls),
        "cost_usd": sum(c["cost_microusd"] for c in calls) / 1e6,
        "latency_seconds": sum(c["latency_ms"] for c in calls) / 1000,
    }
    result = json.loads(order["result_json"]) if order.get("result_json") else None
    detail["qa"] = (result or {}).get("qa")
    return detail


def search_orders(db: sqlite_utils.Database, query: str = "", *, status: str | None = None,
                  limit: int = 50) -> list[dict]:
    """Orders by number, public id, email or company (case-insensitive), newest first."""
    pattern = f"%{query.strip().lower()}%"
    return list(db.query(
        "SELECT o.id, o.public_id, o.order_number, o.tier, o.status, o.amount_cents,"
        " o.created_at, o.paid_at, o.completed_at, c.email, c.company_name"
        " FROM orders o LEFT JOIN customers c ON c.id = o.customer_id"
        " WHERE (:q = '%%' OR lower(o.order_number) LIKE :q OR o.public_id = :raw"
        "        OR c.email LIKE :q OR lower(c.company_name) LIKE :q)"
        " AND (:status IS NULL OR o.status = :status)"
        " ORDER BY o.id DESC LIMIT :limit",
        {"q": pattern, "raw": query.strip(), "status": status, "limit": limit}))


def find_order(db: sqlite_utils.Database, reference: str) -> dict | None:
    """An order by its number (ORD-…), public id, or numeric id."""
    reference = reference.strip()
    for sql in ("SELECT * FROM orders WHERE order_number = ?",
                "SELECT * FROM orders WHERE public_id = ?"):
        rows = list(db.query(sql, [reference]))
        if rows:
            return rows[0]
    if reference.isdigit():
        rows = list(db.query("SELECT * FROM orders WHERE id = ?", [int(reference)]))
        return rows[0] if rows else None
    return None
