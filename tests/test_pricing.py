"""The price table against Anthropic's published prices (see compass/pricing.py's source)."""

from __future__ import annotations

import pytest

from compass.pricing import cost_microusd, price_for


@pytest.mark.parametrize(("model", "tokens", "expected"), [
    # 1M tokens of each kind, priced on its own: the published $/MTok, in micro-dollars.
    ("claude-opus-5-5", {"input_tokens": 1_000_000}, 4_000_000),
    ("claude-opus-5-5", {"input_tokens": 0, "output_tokens": 1_000_000}, 20_000_000),
    ("claude-opus-5-5", {"input_tokens": 0, "cache_read_tokens": 1_000_000}, 200_000),
    ("claude-opus-5-5", {"input_tokens": 0, "cache_write_tokens": 1_000_000}, 5_000_000),
    ("claude-sonnet-5-5", {"input_tokens": 1_000_000}, 2_000_000),
    ("claude-sonnet-5-5", {"input_tokens": 0, "output_tokens": 1_000_000}, 10_000_000),
    ("claude-sonnet-5-5", {"input_tokens": 0, "cache_read_tokens": 1_000_000}, 100_000),
    ("claude-sonnet-5", {"input_tokens": 0, "cache_read_tokens": 1_000_000}, 200_000),
    ("claude-opus-5", {"input_tokens": 1_000_000, "output_tokens": 1_000_000}, 30_000_000),
])
def test_published_prices(model: str, tokens: dict, expected: int) -> None:
    assert cost_microusd(model, **{"output_tokens": 0, **tokens}) == expected


def test_haiku_prompts_up_to_100k_tokens_pay_the_low_rate() -> None:
    # 60K input + 40K cache read = 100K: still the short-prompt rate.
    cost = cost_microusd("claude-haiku-5-5", input_tokens=60_000, output_tokens=10_000,
                         cache_read_tokens=40_000)
    assert cost == round(60_000 * 0.10 + 10_000 * 0.50 + 40_000 * 0.01)  # 11,400


def test_haiku_prompts_over_100k_tokens_pay_the_long_rate_on_every_token() -> None:
    cost = cost_microusd("claude-haiku-5-5", input_tokens=60_001, output_tokens=10_000,
                         cache_read_tokens=40_000)
    assert cost == round(60_001 * 0.50 + 10_000 * 2.50 + 40_000 * 0.05)  # output too


def test_a_typical_premium_sample_call() -> None:
    # A premium sample: 9K-token prefix read from cache, 600 fresh input, 12K output.
    cost = cost_microusd("claude-opus-5-5", input_tokens=600, output_tokens=12_000,
                         cache_read_tokens=9_000)
    assert cost == 600 * 4 + 12_000 * 20 + 9_000 * 0.2  # $0.2442


def test_dated_model_ids_are_priced_as_their_family_and_unknown_ones_high() -> None:
    assert price_for("claude-opus-5-5-20261001") is price_for("claude-opus-5-5")
    assert price_for("claude-sonnet-5-20260101") is price_for("claude-sonnet-5")
    assert price_for("claude-unknown-9").input >= max(
        price_for(m).input for m in ("claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5"))
