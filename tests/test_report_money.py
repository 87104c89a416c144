"""The report's money, risks and governance: traceable from the customer's own numbers."""

from __future__ import annotations

import math
import re

import pytest

from compass.money import TYPICAL_HOURLY_COST, WORK_WEEKS, compute
from compass.report import build_report
from compass.templating import render
from tests.factories import example, run

VOLUMES = {"pain_hours_per_week": 15, "pain_people": 3, "pain_cost_per_hour": 40,
           "tool_budget": "100_500"}
ORDER = {"order_number": "ORD-2026-000123", "public_id": "pub123", "tier": "premium",
         "completed_at": "2026-12-01T10:00:00Z", "input_json": '{"company_size": "11-50"}'}


def report_of(result: dict, tier: str = "premium"):
    return build_report(ORDER | {"tier": tier}, result, base_url="http://x")


def test_with_volumes_the_return_is_arithmetic_on_the_customers_numbers(db):
    result = run(example("dental-clinic").model_copy(update=VOLUMES), db=db)
    money = report_of(result).money
    assert money is not None and money.from_volumes

    # Recomputed here from the customer's 15 hours at $40 and the plans' own fields.
    plans = sorted(result["workflows"], key=lambda w: w["rank"])
    shares = [w["main_pain_share_percent"] / 100 for w in plans if w["main_pain_share_percent"]]
    others = [w["hours_saved_per_week"] for w in plans if not w["main_pain_share_percent"]]
    assert shares, "the dental example's pain is no-shows: some workflow must address it"
    combined = 1 - math.prod(1 - s for s in shares)
    hours_low = 15 * combined + sum(h["low"] for h in others)
    hours_high = 15 * combined + sum(h["high"] for h in others)
    assert money.return_low == round(hours_low * 40 * WORK_WEEKS)
    assert money.return_high == round(hours_high * 40 * WORK_WEEKS)
    setup = sum(round(w["setup_days"] * 8 * 40) for w in plans)
    tools_low = sum(w["tool_cost_per_month_usd"]["low"] for w in plans)
    tools_high = sum(w["tool_cost_per_month_usd"]["high"] for w in plans)
    assert money.investment_low == setup + 12 * tools_low
    assert money.investment_high == setup + 12 * tools_high
    assert money.payback_low_months == round(money.investment_low / (money.return_high / 12), 1)
    # Overlap is counted once: less than the shares added up.
    assert money.combined_share_percent < 100 * sum(shares) or len(shares) == 1

    html = render("report/_content.html", report=report_of(result))
    assert "15 hours a week × $40 an hour × 46 working weeks = $27,600 a year." in html
    assert "From your numbers" in html
    assert f"${money.return_low:,}" in html and f"${money.investment_low:,}" in html
    if len(shares) > 1:
        assert "counting some hours twice" in html
    assert "above your budget" in html or "within your budget" in html


def test_without_volumes_it_is_a_typical_range_and_says_why(db):
    result = run(example("accounting-practice"), "standard", db=db)
    money = report_of(result, "standard").money
    assert money is not None and not money.from_volumes
    assert money.rate == TYPICAL_HOURLY_COST
    assert "A typical range, not your numbers" in money.basis
    assert money.return_low < money.return_high


def test_overlapping_savings_are_not_counted_twice():
    workflows = [
        {"name": "A", "rank": 1, "main_pain_share_percent": 50, "setup_days": 1,
         "tool_cost_per_month_usd": {"low": 0, "high": 0}},
        {"name": "B", "rank": 2, "main_pain_share_percent": 50, "setup_days": 1,
         "tool_cost_per_month_usd": {"low": 10, "high": 10}},
    ]
    money = compute(workflows, {"pain_hours_per_week": 10, "pain_cost_per_hour": 50}, "2-10")
    assert money.combined_share_percent == 75.0  # 1 − 0.5 × 0.5, not 100
    assert money.hours_low == money.hours_high == 7.5
    assert money.return_low == 7.5 * 50 * WORK_WEEKS
    assert money.investment_low == 2 * 8 * 50 + 120
    assert money.payback_low_months == round(920 / (17250 / 12), 1)


def test_units_fit_every_estimate_is_time_not_a_promise_of_deals(db):
    result = run(example("online-store"), db=db)
    for workflow in result["workflows"]:
        assert "staff hours a week" in workflow["roi_estimate"], workflow["roi_estimate"]
        assert not re.search(r"won deals|% more repeat", workflow["roi_estimate"])


@pytest.mark.parametrize(("name", "tier", "answers"), [
    ("dental-clinic", "starter", {}),
    ("logistics-firm", "standard", VOLUMES),
    ("online-store", "premium", {}),
    ("accounting-practice", "premium", VOLUMES | {"data_location": "spreadsheets"}),
])
def test_every_tier_shows_scorecard_money_risks_and_policy(db, name, tier, answers):
    result = run(example(name).model_copy(update=answers), tier, db=db)
    html = render("report/_content.html", report=report_of(result, tier))
    for anchor in ("readiness", "money", "risks", "workflows"):
        assert f'id="{anchor}"' in html, anchor
    assert "An AI-use policy to start from" in html
    assert "Ask " in html and "Data it touches" in html
    for risk in result["research"]["risks"]:
        assert risk.replace("'", "&#39;").replace('"', "&#34;")[:60] in html


def test_the_considered_list_explains_every_idea_left_out(db):
    result = run(example("dental-clinic"), "standard", db=db)
    considered = result["considered"]
    assert len(considered) == result["consensus"]["candidates"]
    chosen = [c for c in considered if c["selected"]]
    assert sorted(c["name"] for c in chosen) == sorted(w["name"] for w in result["workflows"])
    assert all(c["why_not"] for c in considered if not c["selected"])
    html = render("report/_content.html", report=report_of(result, "standard"))
    assert 'id="considered"' in html
    for idea in considered:
        assert f"{idea['votes']}/5" in html
    starter = render("report/_content.html", report=report_of(result, "starter"))
    assert 'id="considered"' not in starter  # an appendix of the standard and premium tiers
