"""The engine's three numbers: latency against the critical path, caching savings, memory.

1. Wall time of one premium order through the real Anthropic provider, with the local
   Messages API server adding a fixed latency L to every call, divided by the critical
   path's minimum: the sequential call rounds this run actually needed (retries included,
   read from the ledger) × L. Target ≤ 1.25.
2. Billed input-token cost of the same order with prompt caching against without it
   (same server, same answers). Reported for the whole run and for the five samples.
3. Peak RSS of a process that runs one premium order (target < 200 MB).

Run: python bench/engine.py [--latency 0.5] [--example dental-clinic]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.fakes

from compass import store  # noqa: E402
from compass.engine import run_engine  # noqa: E402
from compass.engine.anthropic_provider import AnthropicProvider  # noqa: E402
from compass.engine.provider import ModelRequest, ModelResponse  # noqa: E402
from compass.intake import OrderInput  # noqa: E402
from compass.pricing import price_for  # noqa: E402
from compass.tiers import get_tier  # noqa: E402
from tests.fakes.messages_api import running_server  # noqa: E402


class WithoutCaching:
    """The same provider with the cache breakpoint removed: the baseline of benchmark 2."""

    def __init__(self, inner: AnthropicProvider):
        self.inner, self.name, self.offline = inner, inner.name, inner.offline

    async def complete(self, request: ModelRequest, *, on_started=None) -> ModelResponse:
        return await self.inner.complete(dataclasses.replace(request, cache_prefix=False),
                                         on_started=on_started)

    async def aclose(self) -> None:
        await self.inner.aclose()


def order(example: str) -> OrderInput:
    path = ROOT / "examples" / f"{example}.json"
    return OrderInput.model_validate(json.loads(path.read_text()))


def premium_run(base_url: str, db, run_id: str, example: str, *, caching: bool = True) -> float:
    async def go() -> float:
        provider = AnthropicProvider("bench-key", base_url=base_url, timeout=60)
        active = provider if caching else WithoutCaching(provider)
        started = time.perf_counter()
        try:
            await run_engine(order(example), get_tier("premium"), provider=active, db=db,
                             run_id=run_id)
        finally:
            await active.aclose()
        return time.perf_counter() - started
    return asyncio.run(go())


def critical_rounds(calls: list[dict]) -> int:
    """Sequential call rounds: phases in series, parallel calls count as their longest chain."""
    rounds = 0
    for attempt in sorted({c["attempt"] for c in calls}):
        mine = [c for c in calls if c["attempt"] == attempt]

        def chain(phase: str, mine=mine) -> int:
            per_lane: dict[str | None, int] = {}
            for call in mine:
                if call["phase"] == phase:
                    per_lane[call["perspective"]] = per_lane.get(call["perspective"], 0) + 1
            return max(per_lane.values(), default=0)

        rounds += chain("rewrite") + chain("research") + chain("sample")
        rounds += max(chain("grouper"), chain("proposal")) + chain("review")
    return rounds


def input_cost(calls: list[dict]) -> float:
    total = 0.0
    for c in calls:
        price = price_for(c["model"])
        total += (c["input_tokens"] * price.input + c["cache_read_tokens"] * price.cache_read
                  + c["cache_write_tokens"] * price.cache_write) / 1_000_000
    return total


def peak_rss_mb(example: str) -> float:
    """Peak RSS of a fresh process that runs one premium order with the offline model."""
    with tempfile.TemporaryDirectory() as data:
        subprocess.run(
            [sys.executable, "-m", "compass.cli", "generate", "--tier", "premium", "--quiet",
             "--input", str(ROOT / "examples" / f"{example}.json"), "--out", f"{data}/r.json"],
            check=True, env={"COMPASS_DATA_DIR": data, "PATH": "/usr/bin:/bin"},
            stderr=subprocess.DEVNULL, cwd=ROOT)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--example", default="dental-clinic")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_database(Path(tmp) / "bench.db")
        with running_server(latency=args.latency) as server:
            premium_run(server.base_url, db, "warm-up", args.example)  # imports, connections
            wall = premium_run(server.base_url, db, "timed", args.example)
        timed = store.ai_calls.for_run(db, "timed")
        rounds = critical_rounds(timed)
        ideal = rounds * args.latency

        with running_server() as server:
            premium_run(server.base_url, db, "cached", args.example)
        with running_server() as server:
            premium_run(server.base_url, db, "uncached", args.example, caching=False)
        cached = store.ai_calls.for_run(db, "cached")
        uncached = store.ai_calls.for_run(db, "uncached")

    def samples(calls: list[dict]) -> list[dict]:
        return [c for c in calls if c["phase"] == "sample"]

    whole = 1 - input_cost(cached) / input_cost(uncached)
    sampled = 1 - input_cost(samples(cached)) / input_cost(samples(uncached))
    rss = peak_rss_mb(args.example)
    print(f"premium order, {args.example}, L = {args.latency:.2f} s per call")
    print(f"1. wall {wall:.2f} s / critical path {rounds} rounds × L = {ideal:.2f} s "
          f"→ ratio {wall / ideal:.3f} (target ≤ 1.25); {len(timed)} calls in all")
    print(f"2. input cost with caching ${input_cost(cached):.4f} vs without "
          f"${input_cost(uncached):.4f}: {whole:.1%} lower for the whole run, "
          f"{sampled:.1%} lower for the five samples")
    print(f"3. peak RSS of one engine run (offline model, fresh process): {rss:.0f} MB "
          "(target < 200 MB)")


if __name__ == "__main__":
    main()
