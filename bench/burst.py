"""A burst of orders: how long 50 take to drain, next to one order alone.

The Procfile's real processes (uvicorn and the huey worker) on a fresh data directory, the
product pointed at the local Messages API server (tests/fakes/messages_api.py) with the
real SDK path. Every model call takes `--latency` seconds: a real call takes tens of
seconds, so time is scaled, and the API's rate limits are scaled with it — the server's
"minute" (and the worker's, ANTHROPIC_RATE_LIMIT_MINUTE_SECONDS) lasts
60 × latency / real-latency seconds, so the limits bind exactly as they would for real.
The server enforces the limits of the chosen usage tier, tells each answer what is left
(the API's `anthropic-ratelimit-*` headers) and answers 429 to any call over them, counting
each: "respected" means it counted none. Delays on our side (a busy event loop) are not
scaled, so they weigh ten times more here than for real: a stricter test of the limiter,
whose accounting does not depend on them (compass/engine/model_limits.py).

1. One premium order through HTTP and the dev checkout, alone: its wall time from payment
   to `completed` (the baseline).
2. `--orders` premium orders placed and paid at once (each from its own client address, as
   many customers would), then the time until the last is `completed` (the drain).

Target: drain ÷ one order ≤ 3, zero 429s. Prints both with PASS/MISS.

    .venv/bin/python bench/burst.py [--orders 50] [--latency 2] [--real-latency 20] [--tier 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.web import free_port, wait_up  # noqa: E402
from tests.fakes.processes import procfile_stack, tail  # noqa: E402

# Anthropic's published limits per model for the usage tiers (requests, input tokens,
# output tokens per minute), as docs/scaling.md lists them; check the Console for yours.
TIERS = {
    1: (50, 30_000, 8_000),
    2: (1_000, 450_000, 90_000),
    3: (2_000, 800_000, 160_000),
    4: (4_000, 2_000_000, 400_000),
}
CARD = "4242 4242 4242 4242"
FORM = {
    "tier": "premium", "company_name": "Harbor Freight Movers", "contact_name": "Lee Park",
    "company_website": "harbormovers.example", "industry": "Logistics", "company_size": "11-50",
    "prompt": "Regional movers: quotes, scheduling crews and answering where-is-my-truck calls "
              "eat our office staff's day.",
    "pain_point": "Quotes take two days to send.",
}


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


async def place_and_pay(base: str, n: int) -> tuple[str, float]:
    """One customer: the form, the dev checkout, paid. Returns (public id, paid at)."""
    # Each customer has an address of their own (the order form allows 5 an hour per IP).
    headers = {"X-Forwarded-For": f"198.51.{n // 250}.{n % 250 + 1}"}
    async with httpx.AsyncClient(base_url=base, timeout=60, headers=headers) as client:
        form = await client.get("/order/new?tier=premium")
        placed = await client.post("/orders", data=FORM | {
            "csrf_token": _token(form.text), "email": f"customer{n}@harbormovers.example"})
        assert placed.status_code == 303, placed.text[:500]
        checkout = placed.headers["location"]
        page = await client.get(checkout)
        paid = await client.post(checkout, data={"csrf_token": _token(page.text),
                                                 "card_number": CARD})
        assert paid.status_code == 303, paid.text[:500]
        paid_at = time.monotonic()
        success = await client.get(paid.headers["location"])
        return success.headers["location"].rsplit("/", 1)[1], paid_at


async def wait_completed(base: str, public_ids: list[str], logs: dict,
                         timeout: float) -> dict[str, float]:
    """Poll the JSON status until every order is completed; when each was seen completed."""
    done: dict[str, float] = {}
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        while len(done) < len(public_ids):
            pending = [p for p in public_ids if p not in done]
            answers = await asyncio.gather(*(client.get(f"/api/orders/{p}/status")
                                             for p in pending))
            for public_id, answer in zip(pending, answers, strict=True):
                status = answer.json()["status"]
                if status == "completed":
                    done[public_id] = time.monotonic()
                elif status == "failed":
                    raise SystemExit(f"order {public_id} failed\n" + tail(logs))
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(public_ids) - len(done)} orders not completed after "
                                 f"{timeout:.0f} s\n" + tail(logs))
            await asyncio.sleep(0.5)
    return done


async def measure(base: str, orders: int, logs: dict, timeout: float) -> dict:
    public_id, paid_at = await place_and_pay(base, 0)
    single = (await wait_completed(base, [public_id], logs, timeout))[public_id] - paid_at
    started = time.monotonic()
    placed = await asyncio.gather(*(place_and_pay(base, n) for n in range(1, orders + 1)))
    all_paid = time.monotonic() - started
    done = await wait_completed(base, [p for p, _ in placed], logs, timeout)
    drain = max(done.values()) - started
    return {"single_s": single, "drain_s": drain, "placing_s": all_paid,
            "ratio": drain / single}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=50)
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per model call")
    parser.add_argument("--real-latency", type=float, default=20.0,
                        help="what a real call takes (sets the time scale)")
    parser.add_argument("--tier", type=int, default=4, choices=sorted(TIERS))
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args()

    minute = 60 * args.latency / args.real_latency
    rpm, itpm, otpm = TIERS[args.tier]
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    # Its own process: sharing this one's interpreter, it would read requests late (and
    # charge them late, which is not how the API counts).
    api = subprocess.Popen([sys.executable, "-m", "tests.fakes.messages_api", "--port",
                            str(port), "--latency", f"{args.latency:g}", "--rate-limits",
                            f"{rpm},{itpm},{otpm}", "--minute", f"{minute:g}"], cwd=ROOT,
                           stdout=subprocess.DEVNULL)
    with tempfile.TemporaryDirectory(prefix="compass-bench-burst-") as directory:
        wait_up(f"{api_url}/_stats")
        env = {"ANTHROPIC_API_KEY": "sk-ant-bench-0123456789", "ANTHROPIC_BASE_URL":
               api_url, "ALTCHA_ENABLED": "false", "FORWARDED_ALLOW_IPS": "127.0.0.1",
               "ANTHROPIC_REQUESTS_PER_MINUTE": str(rpm),
               "ANTHROPIC_INPUT_TOKENS_PER_MINUTE": str(itpm),
               "ANTHROPIC_OUTPUT_TOKENS_PER_MINUTE": str(otpm),
               "ANTHROPIC_RATE_LIMIT_MINUTE_SECONDS": f"{minute:g}"}
        with procfile_stack(Path(directory), env) as (base, logs):
            try:
                numbers = asyncio.run(measure(base, args.orders, logs, args.timeout))
            finally:
                logs["worker"].flush()
                (ROOT / "bench" / "results").mkdir(exist_ok=True)
                (ROOT / "bench" / "results" / "burst-worker.log").write_text(
                    Path(logs["worker"].name).read_text())
        stats = httpx.get(f"{api_url}/_stats").json()
        api.terminate()
        api.wait(10)
        numbers |= {"calls": stats["accepted"], "rejected_429": stats["rejected"],
                    "rejected_by": stats["rejected_by"], "max_in_flight": stats["max_in_flight"],
                    "lowest": stats["lowest"]}
    print(f"{args.orders} premium orders, model calls of {args.latency:g} s standing for "
          f"{args.real_latency:g} s (an API minute lasts {minute:g} s), usage tier "
          f"{args.tier} limits: {rpm:,} requests, {itpm:,} input and {otpm:,} output "
          f"tokens a minute")
    print(f"one order alone: {numbers['single_s']:.1f} s; {args.orders} at once: drained in "
          f"{numbers['drain_s']:.1f} s (placing and paying them took "
          f"{numbers['placing_s']:.1f} s)")
    print(f"model calls: {numbers['calls']}, at most {numbers['max_in_flight']} at once; "
          f"answered 429 (over the limits): {numbers['rejected_429']} {numbers['rejected_by']}")
    print("least left in the API's buckets after a call was charged: " + ", ".join(
        f"{kind} {share:.0%}" for kind, share in numbers["lowest"].items()))
    checks = [(f"drain / one order <= 3 (got {numbers['ratio']:.2f})", numbers["ratio"] <= 3),
              ("rate limits respected (no 429)", numbers["rejected_429"] == 0)]
    for target, met in checks:
        print(f"target: {target:<40} {'PASS' if met else 'MISS'}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "burst.json").write_text(json.dumps(numbers | vars(args), indent=2))


if __name__ == "__main__":
    main()
