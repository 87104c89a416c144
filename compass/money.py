"""The report's money: what the workflows cost in the first year and what they return.

The model states per workflow what it costs (tool subscriptions, set-up days) and how much
of the customer's main pain it removes; this module does the arithmetic, so the totals add
up and every step can be shown. With the customer's own volumes (hours a week and cost per
hour) the return is exact arithmetic on their numbers; without them it is a typical range
for the size band, and the report says so.

Workflows that attack the same pain overlap: two that each remove 40% of the same hours
remove 1 − 0.6 × 0.6 = 64% together, not 80%. Their shares are combined that way, and the
return is counted once for the combined share. Workflows outside the main pain save their
own hours (each its own work) and are added.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from compass.intake import BUDGET_RANGES, BUDGETS, COMPANY_SIZES

WORK_WEEKS = 46  # working weeks in a year, after holidays and leave
HOURS_PER_DAY = 8
# A typical cost of an hour of small-business staff time (wage plus overheads), used only
# when the customer did not give theirs.
TYPICAL_HOURLY_COST = 35
# Hours a week a business of each size typically loses to a pain like the one described.
TYPICAL_PAIN_HOURS: dict[str, tuple[int, int]] = {
    "1": (4, 8), "2-10": (8, 16), "11-50": (15, 30), "51-200": (30, 60),
    "201-1000": (60, 120), "1000+": (100, 200),
}


def dollars(amount: float) -> str:
    return f"${amount:,.0f}"


def hours(amount: float) -> str:
    return f"{amount:,.1f}".removesuffix(".0")


def span(low: float, high: float, fmt=dollars) -> str:
    return fmt(low) if round(low) == round(high) else f"{fmt(low)}–{fmt(high)}"


@dataclass(frozen=True)
class WorkflowMoney:
    rank: int
    name: str
    anchor: str
    on_main_pain: bool
    share_percent: int
    # Hours a week this workflow saves on its own (before overlap with the others).
    hours_low: float
    hours_high: float
    value_low: int  # dollars a year, on its own
    value_high: int
    tool_low: int  # dollars a month
    tool_high: int
    setup_days: int
    setup_cost: int
    first_year_low: int
    first_year_high: int


@dataclass(frozen=True)
class Money:
    from_volumes: bool
    rate: float
    basis: str  # one sentence: where the hours and the rate come from
    workflows: list[WorkflowMoney]
    steps: list[str]
    combined_share_percent: float
    hours_low: float
    hours_high: float
    return_low: int  # dollars a year, overlap counted once
    return_high: int
    investment_low: int  # first year: set-up time plus twelve months of tools
    investment_high: int
    payback_low_months: float | None
    payback_high_months: float | None
    budget_note: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return float(value)


def _range(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, dict):
        low, high = value.get("low"), value.get("high")
        if isinstance(low, int) and isinstance(high, int) and 0 <= low <= high:
            return low, high
    return default


def _int(value: Any, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return max(low, min(high, value))


def _payback(investment: float, yearly: float) -> float | None:
    return None if yearly <= 0 else round(investment / (yearly / 12), 1)


def months(value: float | None) -> str:
    if value is None:
        return "not within the first year"
    if value < 1:
        return "under a month"
    return f"{value:.1f}".removesuffix(".0") + " months"


# The report templates format money with these (web pages, PDFs and emails alike).
FILTERS = {"usd": dollars, "hrs": hours, "months": months}


def compute(workflows: list[dict], answers: dict, size: str) -> Money | None:
    """The money of a report. `workflows` are the result's (ranked, with plans)."""
    if not workflows:
        return None
    pain_hours = _number(answers.get("pain_hours_per_week"))
    cost = _number(answers.get("pain_cost_per_hour"))
    rate = cost or TYPICAL_HOURLY_COST
    from_volumes = pain_hours is not None and cost is not None
    size_label = COMPANY_SIZES.get(size, "your size").lower()
    if pain_hours is not None:
        pain_low = pain_high = pain_hours
    else:
        pain_low, pain_high = TYPICAL_PAIN_HOURS.get(size, TYPICAL_PAIN_HOURS["11-50"])

    if pain_hours is not None and cost is not None:
        basis = (f"From your numbers: {hours(pain_hours)} hours a week on your main pain at "
                 f"{dollars(rate)} an hour.")
    else:
        given = []
        if pain_hours is not None:
            given.append(f"your {hours(pain_hours)} hours a week")
        if cost is not None:
            given.append(f"your {dollars(cost)} an hour")
        assumed = []
        if pain_hours is None:
            assumed.append(f"{pain_low}–{pain_high} hours a week on the main pain, typical for "
                           f"a business of {size_label}")
        if cost is None:
            assumed.append(f"{dollars(TYPICAL_HOURLY_COST)} an hour, a typical cost of small-"
                           "business staff time (wage plus overheads)")
        basis = ("A typical range, not your numbers: the form's volume questions were left "
                 f"empty, so we assume {' and '.join(assumed)}"
                 + (f" (with {' and '.join(given)})" if given else "")
                 + ". Add your own figures to make it exact.")

    rows: list[WorkflowMoney] = []
    for item in sorted(workflows, key=lambda w: w.get("rank") or 0):
        rank = _int(item.get("rank"), len(rows) + 1, 1, 100)
        share = _int(item.get("main_pain_share_percent"), 0, 0, 90)
        typical = _range(item.get("hours_saved_per_week"), (1, 3))
        if share:
            own_low, own_high = pain_low * share / 100, pain_high * share / 100
        else:
            own_low, own_high = typical
        tool_low, tool_high = _range(item.get("tool_cost_per_month_usd"), (0, 0))
        days = _int(item.get("setup_days"), 5, 1, 250)
        setup = round(days * HOURS_PER_DAY * rate)
        rows.append(WorkflowMoney(
            rank=rank, name=str(item.get("name") or ""), anchor=f"workflow-{rank}",
            on_main_pain=bool(share), share_percent=share,
            hours_low=round(own_low, 1), hours_high=round(own_high, 1),
            value_low=round(own_low * rate * WORK_WEEKS),
            value_high=round(own_high * rate * WORK_WEEKS),
            tool_low=tool_low, tool_high=tool_high, setup_days=days, setup_cost=setup,
            first_year_low=setup + 12 * tool_low, first_year_high=setup + 12 * tool_high))

    on_pain = [w for w in rows if w.on_main_pain]
    others = [w for w in rows if not w.on_main_pain]
    remaining = math.prod(1 - w.share_percent / 100 for w in on_pain)
    combined = 1 - remaining
    pain_saved_low, pain_saved_high = pain_low * combined, pain_high * combined
    other_low = sum(w.hours_low for w in others)
    other_high = sum(w.hours_high for w in others)
    hours_low, hours_high = pain_saved_low + other_low, pain_saved_high + other_high
    return_low = round(hours_low * rate * WORK_WEEKS)
    return_high = round(hours_high * rate * WORK_WEEKS)
    setup_total = sum(w.setup_cost for w in rows)
    tools_low, tools_high = sum(w.tool_low for w in rows), sum(w.tool_high for w in rows)
    investment_low = setup_total + 12 * tools_low
    investment_high = setup_total + 12 * tools_high

    steps = []
    pain_span = span(pain_low, pain_high, hours)
    steps.append(f"Your main pain: {pain_span} hours a week × {dollars(rate)} an hour × "
                 f"{WORK_WEEKS} working weeks = "
                 f"{span(pain_low * rate * WORK_WEEKS, pain_high * rate * WORK_WEEKS)} a year.")
    if on_pain:
        shares = " × ".join(f"(1 − {w.share_percent / 100:.2f})" for w in on_pain)
        added = sum(w.share_percent for w in on_pain)
        steps.append(
            f"{len(on_pain)} workflow{'s' if len(on_pain) != 1 else ''} "
            f"{'attack' if len(on_pain) != 1 else 'attacks'} it ("
            + ", ".join(f"“{w.name}” {w.share_percent}%" for w in on_pain) + "). "
            + (f"Added up they would claim {added}%, counting some hours twice; combined "
               f"they remove 1 − {shares} = {combined * 100:.1f}%."
               if len(on_pain) > 1 else f"It removes {combined * 100:.1f}% of it.")
            + f" {pain_span} × {combined * 100:.1f}% = "
              f"{span(pain_saved_low, pain_saved_high, hours)} hours a week.")
    if others:
        steps.append(
            "Workflows on other work save their own hours (typical for your size): "
            + "; ".join(f"“{w.name}” {span(w.hours_low, w.hours_high, hours)}" for w in others)
            + f" = {span(other_low, other_high, hours)} hours a week.")
    steps.append(f"Hours saved: {span(hours_low, hours_high, hours)} a week × {dollars(rate)} × "
                 f"{WORK_WEEKS} weeks = {span(return_low, return_high)} a year.")
    steps.append(
        f"First-year investment: set-up {sum(w.setup_days for w in rows)} person-days × "
        f"{HOURS_PER_DAY} h × {dollars(rate)} = {dollars(setup_total)}, plus tools "
        f"{span(tools_low, tools_high)} a month × 12 = {span(12 * tools_low, 12 * tools_high)}; "
        f"total {span(investment_low, investment_high)}.")
    payback_low = _payback(investment_low, return_high)
    payback_high = _payback(investment_high, return_low)
    steps.append(f"Payback: investment ÷ monthly return = {months(payback_low)}"
                 + (f" to {months(payback_high)}" if payback_high != payback_low else "")
                 + ".")

    budget = str(answers.get("tool_budget") or "")
    budget_note = ""
    if budget in BUDGET_RANGES:
        _, ceiling = BUDGET_RANGES[budget]
        if ceiling is not None and tools_high > ceiling:
            budget_note = (f"All the tools together cost up to {dollars(tools_high)} a month, "
                           f"above your budget ({BUDGETS[budget].lower()}): start with the "
                           "first roadmap stage and add the rest as it pays back.")
        else:
            budget_note = (f"All the tools together cost {span(tools_low, tools_high)} a month, "
                           f"within your budget ({BUDGETS[budget].lower()}).")
    return Money(
        from_volumes=from_volumes, rate=rate, basis=basis, workflows=rows, steps=steps,
        combined_share_percent=round(combined * 100, 1),
        hours_low=round(hours_low, 1), hours_high=round(hours_high, 1),
        return_low=return_low, return_high=return_high,
        investment_low=investment_low, investment_high=investment_high,
        payback_low_months=payback_low, payback_high_months=payback_high,
        budget_note=budget_note)
