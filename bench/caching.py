"""What prompt caching saves on the five self-consistency samples of one premium order.

Starts the local Messages API server (content from the offline model, prompt caching
simulated, tokens ≈ characters / 4), runs the rewrite and research phases through the real
Anthropic provider to get a realistic shared context, then sends the five sample requests
twice, each time to a fresh server:

- cached: the first sample alone, the other four once its `message_start` arrived (the
  engine's pattern), the shared prefix marked with `cache_control`;
- uncached: all five at once without `cache_control`.

It prints the billed input tokens and their price (compass.pricing) for both. This checks
the provider and the server; the pipeline's end-to-end benchmark is the real number.

A prefix shorter than the model's minimum cacheable length is silently not cached by the
API; `--min-cache-tokens` shows what happens then.

Run: python bench/caching.py [--tier premium] [--min-cache-tokens 1024]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.fakes

from compass import pricing
from compass.engine import prompts
from compass.engine.anthropic_provider import AnthropicProvider
from compass.engine.provider import ModelRequest, ModelResponse
from compass.tiers import TIERS, Tier
from tests.fakes.messages_api import FakeMessagesAPI, count_tokens, running_server

CUSTOMER = {
    "company_name": "Bright Smile Dental", "contact_name": "Dr. Ana Ruiz",
    "email": "ana@brightsmile.example", "company_website": "https://brightsmile.example",
    "industry": "Dental clinic", "company_size": "11-50",
    "prompt": ("We run two dental clinics with 14 staff. Front desk spends hours on the phone "
               "booking and rescheduling, patients forget appointments, insurance "
               "pre-authorisations are slow and treatment plans are explained on paper."),
    "pain_point": "No-shows cost us about 8% of chair time and the phones never stop.",
}


def provider_for(server: FakeMessagesAPI) -> AnthropicProvider:
    return AnthropicProvider("bench-key", base_url=server.base_url, timeout=30, max_retries=1)


async def answer_json(provider: AnthropicProvider, request: ModelRequest) -> dict:
    """The answer as JSON; a malformed one is asked again with a retry note, as the engine does."""
    text = (await provider.complete(request)).text
    try:
        return json.loads(text)
    except ValueError as error:
        retry = dataclasses.replace(request, prompt=request.prompt + prompts.retry_note(
            [f"the answer is not valid JSON: {error}"]))
        return json.loads((await provider.complete(retry)).text)


async def shared_context(tier: Tier) -> str:
    """The samples' shared prefix, from rewrite and research answered by the offline model."""
    with running_server() as server:
        provider = provider_for(server)
        try:
            brief = await answer_json(provider, prompts.rewrite_request(tier, tier.model, CUSTOMER))
            research = await answer_json(
                provider, prompts.research_request(tier, tier.model, CUSTOMER, brief))
        finally:
            await provider.aclose()
    return prompts.sample_context(CUSTOMER, brief, research)


async def run_samples(requests: list[ModelRequest], cached: bool,
                      min_cache_tokens: int) -> list[ModelResponse]:
    with running_server(min_cache_tokens=min_cache_tokens) as server:
        provider = provider_for(server)
        try:
            if not cached:
                uncached = [dataclasses.replace(r, cache_prefix=False) for r in requests]
                return list(await asyncio.gather(*(provider.complete(r) for r in uncached)))
            written = asyncio.Event()
            first = asyncio.create_task(provider.complete(requests[0], on_started=written.set))
            await written.wait()
            rest = await asyncio.gather(*(provider.complete(r) for r in requests[1:]))
            return [await first, *rest]
        finally:
            await provider.aclose()


def input_cost(model: str, responses: list[ModelResponse]) -> int:
    return sum(pricing.cost_microusd(
        model, input_tokens=r.input_tokens, output_tokens=0,
        cache_read_tokens=r.cache_read_tokens, cache_write_tokens=r.cache_write_tokens,
    ) for r in responses)


async def main(tier_name: str, min_cache_tokens: int) -> None:
    tier = TIERS[tier_name]
    context = await shared_context(tier)
    requests = [prompts.sample_request(tier, tier.model, context, p) for p in prompts.PERSPECTIVES]
    rows = {"uncached": await run_samples(requests, False, min_cache_tokens),
            "cached": await run_samples(requests, True, min_cache_tokens)}

    print(f"{tier.name} tier, {tier.model}, five samples; shared prefix (system + context) "
          f"≈ {count_tokens(requests[0].system + context):,} tokens, minimum cacheable "
          f"{min_cache_tokens:,}")
    print(f"{'':10} {'input':>8} {'cache write':>12} {'cache read':>11} {'input cost':>12}")
    costs = {}
    for name, responses in rows.items():
        costs[name] = input_cost(tier.model, responses)
        print(f"{name:10} {sum(r.input_tokens for r in responses):8,} "
              f"{sum(r.cache_write_tokens for r in responses):12,} "
              f"{sum(r.cache_read_tokens for r in responses):11,} "
              f"{f'${costs[name] / 1e6:.4f}':>12}")
    saving = 1 - costs["cached"] / costs["uncached"]
    print(f"saving on the samples' input: {saving:.1%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tier", choices=sorted(TIERS), default="premium")
    parser.add_argument("--min-cache-tokens", type=int, default=1024,
                        help="the model's minimum cacheable prefix (1,024-4,096 on current models)")
    args = parser.parse_args()
    asyncio.run(main(args.tier, args.min_cache_tokens))
