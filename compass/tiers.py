"""The three tiers: what the customer pays and gets, and what the engine spends on it.

Prices in cents are the source of truth for checkout and refunds. Models and effort are
defaults; `COMPASS_MODEL` overrides the model of every tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TierName = Literal["starter", "standard", "premium"]
Feasibility = Literal["simple", "moderate", "advanced"]
Effort = Literal["low", "medium", "high", "xhigh", "max"]


@dataclass(frozen=True)
class Tier:
    name: TierName
    label: str
    price_cents: int
    workflow_count: int
    delivery_hours: int
    extras: tuple[str, ...]
    # Most complex workflow this tier's customer is expected to be able to build.
    max_feasibility: Feasibility
    model: str
    effort: Effort
    # Output-token ceiling per call of the wide phases (samples, proposal).
    max_output_tokens: int
    # Ceiling on the whole run's billed tokens; the engine stops retrying past it.
    token_budget: int
    # Premium jobs run first in the queue (huey: higher runs sooner).
    queue_priority: int
    revisions: int = 0


TIERS: dict[str, Tier] = {
    "starter": Tier(
        name="starter", label="Starter", price_cents=4900, workflow_count=3, delivery_hours=24,
        extras=("Basic, off-the-shelf tools",), max_feasibility="simple",
        model="claude-haiku-5-5", effort="low", max_output_tokens=8_000,
        token_budget=250_000, queue_priority=0,
    ),
    "standard": Tier(
        name="standard", label="Standard", price_cents=14900, workflow_count=5, delivery_hours=12,
        extras=("Advanced tools", "QA guarantee"), max_feasibility="moderate",
        model="claude-sonnet-5-5", effort="medium", max_output_tokens=12_000,
        token_budget=400_000, queue_priority=5,
    ),
    "premium": Tier(
        name="premium", label="Premium", price_cents=39900, workflow_count=8, delivery_hours=6,
        extras=("Custom integrations", "One revision"), max_feasibility="advanced",
        model="claude-opus-5-5", effort="high", max_output_tokens=16_000,
        token_budget=600_000, queue_priority=10, revisions=1,
    ),
}

FEASIBILITY_RANK: dict[str, int] = {"simple": 0, "moderate": 1, "advanced": 2}


def get_tier(name: str) -> Tier:
    try:
        return TIERS[name]
    except KeyError:
        raise ValueError(f"unknown tier {name!r}; expected one of {', '.join(TIERS)}") from None
