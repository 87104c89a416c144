"""Payment to first visible progress, on a freshly started worker and on a warm one.

Starts the Procfile's real processes (uvicorn + huey_consumer) on a temporary data
directory, orders and pays on the dev checkout over HTTP, and polls the JSON status every
50 ms from the moment the payment is accepted until the order shows progress above 0 %.
The first order runs right after the worker starts (cold); the next ones run warm.
Target (issue 14): at most 2 s, cold included.

    .venv/bin/python bench/first_progress.py [--orders 3]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.processes import procfile_stack, tail  # noqa: E402

FORM = {"tier": "standard", "company_name": "Harbor Freight Movers", "contact_name": "Lee Park",
        "email": "lee@harbormovers.example", "industry": "Logistics", "company_size": "11-50",
        "prompt": "Regional movers: quotes, scheduling crews and answering where-is-my-truck "
                  "calls eat our office staff's day."}


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def one_order(client: httpx.Client, logs: dict) -> tuple[float, float]:
    """Seconds from the accepted payment to the first progress above 0 %, and to completed."""
    form = client.get("/order/new?tier=standard")
    placed = client.post("/orders", data=FORM | {"csrf_token": _token(form.text)})
    assert placed.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', placed.text)
    checkout = placed.headers["location"]
    page = client.get(checkout)
    paid = client.post(checkout, data={"csrf_token": _token(page.text),
                                       "card_number": "4242 4242 4242 4242"})
    started = time.perf_counter()
    success = client.get(paid.headers["location"])
    public_id = success.headers["location"].rsplit("/", 1)[1]
    first = None
    deadline = started + 180
    while True:
        body = client.get(f"/api/orders/{public_id}/status").json()
        now = time.perf_counter()
        if first is None and (body["progress_percent"] or 0) > 0:
            first = now - started
        if body["status"] in ("completed", "failed"):
            return (first if first is not None else now - started), now - started
        assert now < deadline, tail(logs)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=3)
    parser.add_argument("--idle", type=float, default=0.0,
                        help="seconds the started worker sits idle before the first order")
    args = parser.parse_args()
    env = {"ALTCHA_ENABLED": "false"}  # no proof-of-work widget to solve over plain HTTP
    with tempfile.TemporaryDirectory() as tmp, procfile_stack(Path(tmp), env) as (base, logs), \
            httpx.Client(base_url=base, timeout=30) as client:
        time.sleep(args.idle)
        for n in range(args.orders):
            first, done = one_order(client, logs)
            kind = "cold" if n == 0 else "warm"
            print(f"order {n + 1} ({kind}): first progress {first:.2f} s, completed {done:.2f} s",
                  flush=True)


if __name__ == "__main__":
    main()
