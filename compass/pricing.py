"""What model calls cost: a price table and the arithmetic, in millionths of a dollar.

Prices are US dollars per million tokens. Cache writes (5-minute TTL) cost 1.25x input and
cache reads 0.1x input, as Anthropic bills them. Update the table when prices change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float
    output: float

    @property
    def cache_write(self) -> float:
        return self.input * 1.25

    @property
    def cache_read(self) -> float:
        return self.input * 0.1


MODEL_PRICES: dict[str, Price] = {
    "claude-opus-5-5": Price(input=5.00, output=25.00),
    "claude-sonnet-5-5": Price(input=3.00, output=15.00),
    "claude-haiku-5-5": Price(input=1.00, output=5.00),
    "claude-opus-5": Price(input=5.00, output=25.00),
    "claude-sonnet-5": Price(input=3.00, output=15.00),
}
# An unknown model is priced as the most expensive one: overestimating cost is the safe error.
FALLBACK_PRICE = MODEL_PRICES["claude-opus-5-5"]


def price_for(model: str) -> Price:
    return MODEL_PRICES.get(model, FALLBACK_PRICE)


def cost_microusd(
    model: str, *, input_tokens: int, output_tokens: int,
    cache_read_tokens: int = 0, cache_write_tokens: int = 0,
) -> int:
    """Cost of one call. `input_tokens` excludes cached tokens, as the API reports it."""
    price = price_for(model)
    dollars_per_million = (
        input_tokens * price.input
        + output_tokens * price.output
        + cache_read_tokens * price.cache_read
        + cache_write_tokens * price.cache_write
    )
    return round(dollars_per_million)  # tokens x $/Mtok = micro-dollars
