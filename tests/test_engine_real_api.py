"""The engine against the real model's behaviour, through the local Messages API server:
thinking that spends `max_tokens`, a slow healthy stream, failing samples, and a ledger
priced at the published rates.

Time is scaled 100x down so the tests take seconds: the server streams at 4,000 tokens/s
for the real API's 40, and the provider's limits are the production settings divided by
100 (silence 60 s -> 0.6 s, deadline 120 s + 20 tokens/s -> 1.2 s + 2,000 tokens/s).
"""

from __future__ import annotations

import pytest

from compass import store
from compass.engine import prompts
from compass.engine.anthropic_provider import AnthropicProvider
from compass.pricing import cost_microusd
from compass.settings import Settings
from compass.tiers import get_tier
from tests.factories import example, run
from tests.fakes.messages_api import Status, running_server

SCALE = 100
# $ per million tokens: input, output, cache read, 5-minute cache write (prompts < 100K).
PUBLISHED = {
    "claude-opus-5-5": (4.00, 20.00, 0.20, 5.00),
    "claude-sonnet-5-5": (2.00, 10.00, 0.10, 2.50),
    "claude-haiku-5-5": (0.10, 0.50, 0.01, 0.125),
}
SPEED = 40 * SCALE


def prompts_thinking(model: str, effort: str) -> int:
    """What the local server's model thinks per call at this effort."""
    from tests.fakes.messages_api import thinking_tokens_for

    return thinking_tokens_for({"model": model, "output_config": {"effort": effort}})


def provider_for(server, **options) -> AnthropicProvider:
    defaults = Settings()
    return AnthropicProvider(
        api_key="test-key", base_url=server.base_url, backoff_base=0.01, backoff_max=0.05,
        timeout=defaults.ANTHROPIC_SILENCE_SECONDS / SCALE,
        deadline_base=defaults.ANTHROPIC_TIMEOUT_SECONDS / SCALE,
        output_tokens_per_second=defaults.ANTHROPIC_MIN_OUTPUT_TOKENS_PER_SECOND * SCALE,
        **options)


@pytest.mark.parametrize("tier", ["starter", "standard", "premium"])
def test_every_tier_completes_with_thinking_at_40_tokens_per_second(db, tier):
    with running_server(thinking=True, tokens_per_second=SPEED) as server:
        result = run(example("dental-clinic"), tier, db=db, provider=provider_for(server))
        requests = server.requests
    assert result["qa"]["passed"]
    ledger = store.ai_calls.for_run(db, "run-1")
    # Every call thought first (output includes it) and none ran out of budget. (The offline
    # model cuts an answer short now and then on purpose, well inside the budget: retried.)
    exhausted = [(c["phase"], c["output_tokens"]) for c in ledger
                 if c["stop_reason"] == "max_tokens" and c["output_tokens"]
                 >= prompts.max_tokens_for(c["phase"], get_tier(tier), c["model"])]
    assert exhausted == []
    # (At least the least thinking: bookkeeping calls such as clustering run at low effort.)
    assert all(c["output_tokens"] > prompts_thinking(c["model"], "low") for c in ledger)
    assert all(c["status"] != "error" for c in ledger)
    # The budgets leave room for the tier's thinking on every call.
    assert all(r.body["max_tokens"] >= 2_000 + prompts.THINKING_ALLOWANCE[
        r.body["output_config"]["effort"]] for r in requests)
    # The ledger is priced at the published rates, call by call: literally (the price
    # pages' $/MTok, checked 2026-12-06: input, output, cache read, 5-minute cache write) …
    for call in ledger:
        rates = PUBLISHED[call["model"]]
        expected = (call["input_tokens"] * rates[0] + call["output_tokens"] * rates[1]
                    + call["cache_read_tokens"] * rates[2]
                    + call["cache_write_tokens"] * rates[3])
        assert abs(call["cost_microusd"] - expected) <= 1, call
    # … and through compass.pricing.
    for call in ledger:
        assert call["cost_microusd"] == cost_microusd(
            call["model"], input_tokens=call["input_tokens"],
            output_tokens=call["output_tokens"], cache_read_tokens=call["cache_read_tokens"],
            cache_write_tokens=call["cache_write_tokens"])
    assert result["usage"]["cost_microusd"] == sum(c["cost_microusd"] for c in ledger)


def test_a_max_tokens_stop_is_retried_with_a_larger_budget(db, monkeypatch):
    # No thinking allowance: premium's thinking (6,000 tokens at `high` on Opus 5.5) eats
    # the rewrite's 2,000-token budget whole, then 4,000; the third try has 8,000.
    monkeypatch.setitem(prompts.THINKING_ALLOWANCE, "high", 0)
    with running_server(thinking=True) as server:
        result = run(example("dental-clinic"), "premium", db=db, provider=provider_for(server))
        rewrites = [r.body["max_tokens"] for r in server.requests
                    if r.body["output_config"]["format"]["schema"].get("title") == "Brief"]
    assert result["qa"]["passed"]
    assert rewrites == [2_000, 4_000, 8_000]


def test_the_larger_budget_is_bounded_by_the_ceiling_and_the_tokens_left():
    assert prompts.larger_budget(2_000, tokens_left=500_000) == 4_000
    assert prompts.larger_budget(40_000, tokens_left=500_000) == prompts.MAX_TOKENS_CEILING
    assert prompts.larger_budget(4_000, tokens_left=5_000) == 5_000
    assert prompts.larger_budget(4_000, tokens_left=3_000) is None


def test_a_run_where_one_sample_always_fails_completes_on_four(db):
    def growth_fails(body):
        text = "".join(b.get("text", "") for m in body["messages"] for b in m["content"])
        return Status(500, message="overloaded") if '"key": "growth"' in text else None

    with running_server() as server:
        server.rule(growth_fails)
        result = run(example("dental-clinic"), "standard", db=db,
                     provider=provider_for(server, max_retries=1))
    assert result["qa"]["passed"]
    assert result["consensus"]["samples"] == 4 and result["consensus"]["analysts_asked"] == 5
    errors = [c for c in store.ai_calls.for_run(db, "run-1") if c["status"] == "error"]
    assert [(c["phase"], c["perspective"]) for c in errors] == [("sample", "growth")]


def test_the_report_says_how_many_analysts_answered(db):
    from compass import report

    with running_server() as server:
        server.rule(lambda body: Status(500) if '"key": "growth"' in str(body["messages"])
                    else None)
        result = run(example("dental-clinic"), "standard", db=db,
                     provider=provider_for(server, max_retries=0))
    consensus = report._consensus(result["consensus"])
    assert "We asked 5 analysts; 4 answered" in consensus.explanation
    assert consensus.method_label in ("Consensus of four analysts",
                                      "Ranked by feasibility and relevance (no consensus)")
