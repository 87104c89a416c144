"""AI cost per order, per tier, from the call ledger of a recorded run, next to the price.

Runs one order per tier through the real Anthropic provider against the local Messages API
server with thinking on (tests/fakes/messages_api.py: thinking spends tokens by effort,
billed as output, as on the real API), then sums the ledger, which compass.pricing priced
at the published rates. The content is the offline model's and tokens are characters / 4,
so this measures the engine's call pattern (phases, retries, cache use, thinking), not the
real model's verbosity: treat it as an estimate until the first real orders.

Run: python bench/ai_cost.py [--example dental-clinic] [--no-thinking]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes

from compass import store  # noqa: E402
from compass.engine import run_engine  # noqa: E402
from compass.engine.anthropic_provider import AnthropicProvider  # noqa: E402
from compass.intake import OrderInput  # noqa: E402
from compass.tiers import TIERS  # noqa: E402
from tests.fakes.messages_api import running_server  # noqa: E402


async def one_order(tier_name: str, order_input: OrderInput, db, base_url: str) -> dict:
    provider = AnthropicProvider("bench-key", base_url=base_url, backoff_base=0.01)
    try:
        result = await run_engine(order_input, TIERS[tier_name], provider=provider, db=db,
                                  run_id=f"bench-{tier_name}")
    finally:
        await provider.aclose()
    return result["usage"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--example", default="dental-clinic")
    parser.add_argument("--no-thinking", action="store_true")
    args = parser.parse_args(argv)
    order_input = OrderInput.model_validate(
        json.loads((ROOT / "examples" / f"{args.example}.json").read_text()))
    print(f"{'tier':9} {'calls':>5} {'input':>8} {'output':>8} {'cache rd':>8} "
          f"{'cache wr':>8} {'AI cost':>9} {'price':>6} {'share':>6}")
    with tempfile.TemporaryDirectory() as data, \
            running_server(thinking=not args.no_thinking) as server:
        db = store.open_database(Path(data) / "compass.db")
        for name, tier in TIERS.items():
            usage = asyncio.run(one_order(name, order_input, db, server.base_url))
            cost = usage["cost_microusd"] / 1e6
            price = tier.price_cents / 100
            print(f"{name:9} {usage['calls']:>5} {usage['input_tokens']:>8} "
                  f"{usage['output_tokens']:>8} {usage['cache_read_tokens']:>8} "
                  f"{usage['cache_write_tokens']:>8} {cost:>9.4f} {price:>6.0f} "
                  f"{cost / price:>6.2%}")
        db.conn.close()


if __name__ == "__main__":
    main()
