"""What model calls cost: a price table and the arithmetic, in millionths of a dollar.

Prices are US dollars per million tokens, from Anthropic's published model pages and price
list (platform.claude.com/docs/about-claude/models and .../pricing), checked 2026-12-06:

    model               input  output  cache read      5-minute cache write
    claude-opus-5-5     4.00   20.00   0.20  (0.05x)   5.00   (1.25x)
    claude-sonnet-5-5   2.00   10.00   0.10  (0.05x)   2.50   (1.25x)  read cut 2026-10-07
    claude-haiku-5-5    0.10    0.50   0.01  (0.1x)    0.125  (1.25x)  prompt <= 100K tokens
                        0.50    2.50   0.05  (0.1x)    0.625  (1.25x)  prompt  > 100K tokens
    claude-opus-5       5.00   25.00   0.50  (0.1x)    6.25   (1.25x)
    claude-sonnet-5     2.00   10.00   0.20  (0.1x)    2.50   (1.25x)

Haiku 5.5's long-prompt rate applies to every token of a request whose prompt (input plus
cache reads plus cache writes) is over 100,000 tokens, output included. Update the table
when prices change, and the date above with it.
"""

from __future__ import annotations

from dataclasses import dataclass

CACHE_WRITE_MULTIPLIER = 1.25  # 5-minute TTL, the only one the engine uses


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    # Cache reads are billed at this fraction of input; it differs between models.
    cache_read_multiplier: float = 0.1
    # Requests whose prompt is longer than `long_prompt_tokens` pay `long_prompt` instead.
    long_prompt_tokens: int | None = None
    long_prompt: Price | None = None

    @property
    def cache_write(self) -> float:
        return self.input * CACHE_WRITE_MULTIPLIER

    @property
    def cache_read(self) -> float:
        return self.input * self.cache_read_multiplier

    def for_prompt(self, prompt_tokens: int) -> Price:
        """The rates that apply to a request whose prompt is `prompt_tokens` long."""
        if (self.long_prompt is not None and self.long_prompt_tokens is not None
                and prompt_tokens > self.long_prompt_tokens):
            return self.long_prompt
        return self


MODEL_PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(input=4.00, output=20.00, cache_read_multiplier=0.05),
    "claude-sonnet-5-5": Price(input=2.00, output=10.00, cache_read_multiplier=0.05),
    "claude-haiku-5-5": Price(input=0.10, output=0.50, cache_read_multiplier=0.1,
                              long_prompt_tokens=100_000,
                              long_prompt=Price(input=0.50, output=2.50)),
    "claude-opus-5": Price(input=5.00, output=25.00),
    "claude-sonnet-5": Price(input=2.00, output=10.00),
}
# An unknown model is priced as the most expensive one: overestimating cost is the safe error.
FALLBACK_PRICE = MODEL_PRICES["claude-opus-5"]


def price_for(model: str) -> Price:
    """The model's price; a dated id (`claude-opus-5-5-20261001`) is priced as its family."""
    if model in MODEL_PRICES:
        return MODEL_PRICES[model]
    # Longest key that the id starts with, ending at a separator: claude-opus-5-5-<date> must
    # not land on claude-opus-5.
    matches = [key for key in MODEL_PRICES if model.startswith(key + "-")]
    return MODEL_PRICES[max(matches, key=len)] if matches else FALLBACK_PRICE


def cost_microusd(
    model: str, *, input_tokens: int, output_tokens: int,
    cache_read_tokens: int = 0, cache_write_tokens: int = 0,
) -> int:
    """Cost of one call. `input_tokens` excludes cached tokens, as the API reports it."""
    price = price_for(model).for_prompt(input_tokens + cache_read_tokens + cache_write_tokens)
    dollars_per_million = (
        input_tokens * price.input
        + output_tokens * price.output
        + cache_read_tokens * price.cache_read
        + cache_write_tokens * price.cache_write
    )
    return round(dollars_per_million)  # tokens x $/Mtok = micro-dollars
