"""The business at a glance: the figures behind /admin, the daily summary and the CLI.

Arithmetic over compass.store.insights' read-only queries. Windows are half-open
UTC intervals [since, until). Money is integer cents; AI cost is micro-dollars in the
ledger and dollars here.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import dataclass, field

import sqlite_utils

from compass import clock, store
from compass.templating import money
from compass.tiers import TIERS


@dataclass
class TierFigures:
    tier: str
    orders: int = 0
    revenue_cents: int = 0
    ai_cost_usd: float = 0.0
    refunded_cents: int = 0

    @property
    def net_cents(self) -> int:
        return self.revenue_cents - self.refunded_cents

    @property
    def ai_cost_per_order_usd(self) -> float:
        return self.ai_cost_usd / self.orders if self.orders else 0.0

    @property
    def gross_margin_pct(self) -> float | None:
        """Of the money kept (net of refunds): none kept, no margin to speak of."""
        revenue = self.net_cents / 100
        return round(100 * (revenue - self.ai_cost_usd) / revenue, 1) if revenue > 0 else None


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
    # Failed orders that reached the quality review: the pass rate's other half.
    failed_in_qa: int = 0
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
        # Only orders that reached QA count: an outage or a broken step is not a QA verdict.
        finished = self.completed + self.failed_in_qa
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
    window = {"since": clock.iso(since), "until": clock.iso(until)}
    result = Figures(since=window["since"], until=window["until"])
    per_tier = {name: TierFigures(name) for name in TIERS}

    for row in store.insights.paid_by_tier(db, window):
        per_tier[row["tier"]].orders = row["n"]
        per_tier[row["tier"]].revenue_cents = row["cents"]
    result.orders = sum(t.orders for t in per_tier.values())
    result.revenue_cents = sum(t.revenue_cents for t in per_tier.values())

    result.refunds, result.refunded_cents = store.insights.refunded(db, window)
    for row in store.insights.refunded_by_tier(db, window):
        if row["tier"] in per_tier:
            per_tier[row["tier"]].refunded_cents = row["cents"]
    result.completed, result.failed = store.insights.finished(db, window)
    result.failed_in_qa = store.insights.failed_after_review(db, window)

    minutes = [(clock.parse(done) - clock.parse(paid)).total_seconds() / 60
               for paid, done in store.insights.paid_and_completed_times(db, window)]
    if minutes:
        result.median_minutes = round(statistics.median(minutes), 1)
        result.p95_minutes = round(_percentile(minutes, 95) or 0, 1)

    for row in store.insights.ai_cost_by_tier(db, window):
        per_tier[row["tier"]].ai_cost_usd = row["micro"] / 1e6
    result.ai_cost_usd = sum(t.ai_cost_usd for t in per_tier.values())
    result.tiers = list(per_tier.values())

    result.email_failures = store.insights.email_failures(db, window)
    return result


def last_days(db: sqlite_utils.Database, days: int, *, now: dt.datetime | None = None
              ) -> Figures:
    now = now or clock.now()
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
    now = now or clock.now()
    first = (now - dt.timedelta(days=days - 1)).date()
    points = {(first + dt.timedelta(days=i)).isoformat(): DayPoint(
        (first + dt.timedelta(days=i)).isoformat(), 0, 0, 0.0) for i in range(days)}
    since = first.isoformat()
    for row in store.insights.revenue_by_day(db, since):
        if row["day"] in points:
            points[row["day"]].orders = row["orders"]
            points[row["day"]].net_cents = row["net_cents"]
    for day, micro in store.insights.ai_cost_by_day(db, since):
        if day in points:
            points[day].ai_cost_usd = micro / 1e6
    return list(points.values())


def failed_or_held(db: sqlite_utils.Database, since: dt.datetime,
                   until: dt.datetime) -> list[dict]:
    """/admin's "Needs attention" orders: held now, failed or refunded-for-failure in the
    window."""
    return store.insights.failed_or_held(db, {"since": clock.iso(since),
                                              "until": clock.iso(until)})


def attention_lines(db: sqlite_utils.Database) -> list[str]:
    """What needs a person, one line each: an AI service outage, stuck or failed orders,
    refunds to review, emails that gave up."""
    lines = []
    incident = store.incidents.open_incident(db)
    if incident is not None:
        held = len(store.orders.held(db))
        lines.append(f"AI service refuses our calls since {incident['opened_at'][:16]} "
                     f"({incident['kind']}): {held} order(s) held; {incident['message'][:160]}")
    lines += [f"order {r['order_number']} {r['status']}"
             + (f": {r['failure_reason'][:120]}" if r["failure_reason"] else "")
             for r in store.insights.orders_needing_attention(db)]
    lines += [f"refund for {r['order_number']} {r['status']}: {r['reason'][:120]}"
              for r in store.insights.refund_queue(db)]
    lines += [f"order {r['order_number'] or '?'} disputed ({r['reason'] or 'no reason'}, "
              f"{r['status']}): evidence due "
              f"{(r['evidence_due_by'] or 'never (no response allowed)')[:16]}"
              for r in store.disputes.open_ones(db)]
    # Paid twice: refunded automatically, shown for a week (or until the refund is done).
    since = clock.iso(clock.now() - dt.timedelta(days=7))
    lines += [f"order {r['order_number']} was paid twice: second payment "
              f"{r['payment_intent_id'] or r['checkout_session_id']} refund "
              f"{r['refund_status'] or 'not recorded'}"
              + (f" ({r['refund_error'][:120]})" if r["refund_error"] else "")
              for r in store.insights.duplicate_payments(db, since=since)]
    lines += [f"order {r['order_number']} was paid after its checkout expired: "
              + ("revived and delivered as usual" if r["outcome"] == "revived" else
                 "its answers were erased, so it cannot run: refund it")
              + f" ({r['at'][:16]}, now {r['status']})"
              for r in store.insights.paid_after_expiry(db, since=since)]
    lines += [f"email {r['kind']} for {r['order_number'] or r['to_address']} "
              + ("failed" if r["status"] == "failed" else "late")
              + f" after {r['attempts']} attempt(s)"
              + (f", next attempt {r['next_attempt_at'][:16]}" if r.get("next_attempt_at")
                 and r["status"] != "failed" else "")
              + (f": {r['last_error'][:120]}" if r["last_error"] else "")
              for r in store.insights.emails_needing_attention(db)]
    return lines


def summary_pairs(f: Figures) -> list[tuple[str, str]]:
    """The figures as label/value pairs for the daily summary email and the CLI."""
    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:g}%"

    def minutes(value: float | None) -> str:
        return "-" if value is None else f"{value:g} min"

    return [
        ("Orders paid", str(f.orders)),
        ("Revenue", money(f.revenue_cents)),
        ("Refunds", f"{f.refunds} ({money(f.refunded_cents)}; rate {pct(f.refund_rate_pct)})"),
        ("Net", money(f.net_cents)),
        ("Delivered / failed", f"{f.completed} / {f.failed} (QA pass {pct(f.qa_pass_rate_pct)})"),
        ("Processing time", f"median {minutes(f.median_minutes)}, p95 {minutes(f.p95_minutes)}"),
        ("AI cost", f"${f.ai_cost_usd:,.2f} (${f.ai_cost_per_order_usd:,.2f} per order)"),
        ("Gross margin", pct(f.gross_margin_pct)),
        ("Email failures", str(f.email_failures)),
    ]


def order_detail(db: sqlite_utils.Database, order: dict) -> dict:
    """Everything about one order for the admin page and `compass orders show`."""
    detail: dict = {"order": order} | store.insights.order_detail(db, order)
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
