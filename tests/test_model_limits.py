"""Anthropic's rate limits kept on our side, and orders run as async tasks in the worker."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from compass.engine.anthropic_provider import AnthropicProvider
from compass.engine.model_limits import Limits, ModelLimiter, Reservation, for_settings
from compass.engine.provider import ModelRequest
from compass.settings import Settings
from tests.fakes.messages_api import RateLimits, Reply, running_server

API_KEY = "sk-ant-test-0123456789"
OK_TEXT = '{"perspective": "operations", "workflows": []}'
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0}


def make_request(max_tokens: int) -> ModelRequest:
    return ModelRequest(phase="sample", model="claude-sonnet-5-5", effort="medium",
                        system="You are a careful automation analyst.",
                        shared_context="<brief>Dental clinic</brief>\n", prompt="Propose.\n",
                        schema={"title": "Sample", "type": "object"}, max_tokens=max_tokens)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_buckets_refill_over_the_minute_and_unused_output_comes_back():
    clock = FakeClock()
    limiter = ModelLimiter(Limits(60, 10_000, 1_000), headroom=1.0, clock=clock)
    assert limiter.try_reserve("m", 100, 600) == 0
    first = Reservation("m", 100, 600)
    limiter.answered(first)
    # Output is charged at max_tokens: 400 left, so another 600 waits 12 s (1,000 a minute).
    assert limiter.try_reserve("m", 100, 600) == pytest.approx(12.0)
    limiter.settle(first, input_tokens=100, output_tokens=100)
    assert limiter.try_reserve("m", 100, 600) == 0  # 500 of the first call's came back
    limiter.answered(Reservation("m", 100, 600))
    # Another model has buckets of its own.
    assert limiter.try_reserve("other", 100, 1_000) == 0
    clock.now = 60.0
    assert limiter.try_reserve("m", 10_000, 1_000) == 0  # full again after a minute
    limiter.answered(Reservation("m", 10_000, 1_000))
    # A 429 from the API empties the model's buckets: the next call waits for the refill.
    clock.now = 120.0
    limiter.exhausted("m")
    assert limiter.try_reserve("m", 1, 1) > 0


def test_calls_in_transit_do_not_let_our_bucket_refill_past_the_apis():
    # bench/burst.py's 429s: calls reserved while the worker's loop was busy reached the API
    # a while later; meanwhile the API's bucket, full, wasted its refill while ours counted
    # it, and the calls reserved on that refill met an empty bucket.
    clock = FakeClock()
    api = RateLimits(1_000, 1_000_000, 10_000, minute=60.0, clock=clock)
    limiter = ModelLimiter(Limits(1_000, 1_000_000, 10_000), headroom=1.0, clock=clock)
    reserved = []
    while limiter.try_reserve("m", 10, 1_000) == 0:
        reserved.append(Reservation("m", 10, 1_000, reserved_at=clock.now))
    assert len(reserved) == 10
    clock.now += 6.0  # a tenth of the minute before they leave: 1,000 tokens of refill
    assert limiter.try_reserve("m", 10, 1_000) > 0, "refilled while the API's bucket was full"
    for reservation in reserved:
        assert api.charge("m", 1, 10, 1_000) == 0
        limiter.answered(reservation, api.headers("m"))
    # Charged: both buckets are empty now and refill alike; what we allow, the API takes.
    assert limiter.try_reserve("m", 10, 1_000) == pytest.approx(6.0)
    clock.now += 6.0
    assert limiter.try_reserve("m", 10, 1_000) == 0
    assert api.charge("m", 1, 10, 1_000) == 0 and api.rejected == 0


def test_a_refund_the_api_may_have_wasted_in_its_full_bucket_is_not_counted():
    # bench/burst.py under load: the API refunded calls into a full bucket (wasted), we
    # spent our room, then read the calls' ends and counted their refunds: a 429 later.
    clock = FakeClock()
    api = RateLimits(1_000, 1_000_000, 10_000, minute=60.0, clock=clock)
    limiter = ModelLimiter(Limits(1_000, 1_000_000, 10_000), headroom=1.0, clock=clock)
    assert limiter.try_reserve("m", 10, 4_000) == 0
    call = Reservation("m", 10, 4_000, reserved_at=clock.now)
    assert api.charge("m", 1, 10, 4_000) == 0
    limiter.answered(call, api.headers("m"))
    clock.now += 60.0  # both buckets full again while the call runs
    api.refund("m", 3_900)  # its end, at the API: wasted, the bucket is full
    assert limiter.try_reserve("m", 10, 10_000) == 0  # we spend it all
    limiter.answered(Reservation("m", 10, 10_000, reserved_at=clock.now))
    assert api.charge("m", 1, 10, 10_000) == 0
    limiter.settle(call, input_tokens=10, output_tokens=100)  # its end, read by us
    assert limiter.try_reserve("m", 10, 3_900) > 0, "counted a refund the API had wasted"
    assert api.charge("m", 1, 10, 3_900) > 0  # it would have met a 429


def test_how_far_back_a_refund_may_be_void_follows_the_event_loops_lag():
    def refund_after_full(loop_lag: float) -> float:
        clock = FakeClock()
        limiter = ModelLimiter(Limits(1_000, 1_000_000, 10_000), headroom=1.0, clock=clock)
        assert limiter.try_reserve("m", 10, 4_000) == 0
        call = Reservation("m", 10, 4_000, reserved_at=clock.now)
        limiter.answered(call)
        clock.now = 60.0
        assert limiter.levels("m")[2] == 10_000  # full
        assert limiter.try_reserve("m", 10, 10_000) == 0
        limiter.answered(Reservation("m", 10, 10_000, reserved_at=clock.now))
        clock.now = 60.5  # we read the call's end half a second after the bucket was full
        limiter._note_loop_lag(loop_lag)
        limiter.settle(call, input_tokens=10, output_tokens=0)
        return limiter.levels("m")[2] - 0.5 * 10_000 / 60  # less the refill since
    assert refund_after_full(0.0) == pytest.approx(4_000)  # a quiet loop: long after
    assert refund_after_full(2.0) == pytest.approx(0)  # a loop 2 s late: maybe wasted


def test_the_apis_count_in_its_headers_brings_our_buckets_down_never_up():
    clock = FakeClock()
    api = RateLimits(1_000, 1_000_000, 10_000, minute=60.0, clock=clock)
    # Configured higher than the account is: the API's `-limit` replaces it.
    limiter = ModelLimiter(Limits(1_000, 1_000_000, 50_000), headroom=1.0, clock=clock)
    api.take("m", output_tokens=7_000)  # another process of the same account
    assert limiter.try_reserve("m", 10, 2_000) == 0
    call = Reservation("m", 10, 2_000, reserved_at=clock.now)
    assert api.charge("m", 1, 10, 2_000) == 0
    limiter.answered(call, api.headers("m"))  # remaining 1,000 (±500)
    assert limiter.levels("m")[2] == pytest.approx(500)
    assert limiter.try_reserve("m", 10, 2_000) > 0  # waits instead of sending into a 429
    assert limiter.synced == 1
    # More than we think is no reason to send more: our own count stays.
    limiter.answered(call, {"anthropic-ratelimit-output-tokens-remaining": "10000"})
    assert limiter.levels("m")[2] == pytest.approx(500)
    clock.now += 60.0
    assert limiter.levels("m")[2] == pytest.approx(10_000)  # the API's size, not 50,000


def test_per_model_limits_and_one_limiter_per_process():
    settings = Settings(ANTHROPIC_REQUESTS_PER_MINUTE=50,
                        ANTHROPIC_RATE_LIMITS='{"claude-opus-5-5": {"rpm": 5, "otpm": 8000}}')
    limiter = for_settings(settings)
    assert limiter is for_settings(settings)
    assert limiter.limits_for("claude-opus-5-5").requests_per_minute == 5
    assert limiter.limits_for("claude-opus-5-5").output_tokens_per_minute == 8000
    assert limiter.limits_for("claude-sonnet-5-5").requests_per_minute == 50
    with pytest.raises(ValueError):
        Settings(ANTHROPIC_RATE_LIMITS='{"claude-opus-5-5": {"rpm": -1}}')


async def _burst(server, limiter: ModelLimiter | None, calls: int) -> None:
    provider = AnthropicProvider(API_KEY, base_url=server.base_url, limiter=limiter,
                                 **FAST | {"max_retries": 0})
    try:
        results = await asyncio.gather(*(provider.complete(make_request(max_tokens=400))
                                         for _ in range(calls)), return_exceptions=True)
    finally:
        await provider.aclose()
    errors = [r for r in results if isinstance(r, BaseException)]
    if limiter is not None:
        assert not errors


@pytest.mark.timeout(60)
def test_a_burst_of_calls_stays_within_the_servers_limits():
    # 4 requests a "minute" of 1 s: ten calls at once must take about 1.5 s, not meet 429s.
    with running_server(rate_limits=RateLimits(4, 1_000_000, 1_000_000, minute=1.0)) as server:
        server.always(Reply(OK_TEXT))
        limiter = ModelLimiter(Limits(4, 1_000_000, 1_000_000), minute=1.0)
        started = time.monotonic()
        asyncio.run(_burst(server, limiter, 10))
        assert server.rate_limits.rejected == 0
        assert server.rate_limits.accepted == 10
        assert time.monotonic() - started >= 1.2
    # Without it the same burst is refused (what the limiter is for).
    with running_server(rate_limits=RateLimits(4, 1_000_000, 1_000_000, minute=1.0)) as server:
        server.always(Reply(OK_TEXT))
        asyncio.run(_burst(server, None, 10))
        assert server.rate_limits.rejected >= 3


@pytest.mark.timeout(60)
def test_output_tokens_are_reserved_at_max_tokens_and_refunded():
    # 1,000 output tokens a 2 s "minute", 400 reserved per call: two at a time fit; the
    # short answers give most of it back, so six calls still pass without a 429.
    with running_server(rate_limits=RateLimits(1_000, 1_000_000, 1_000, minute=2.0)) as server:
        server.always(Reply(OK_TEXT))
        limiter = ModelLimiter(Limits(1_000, 1_000_000, 1_000), minute=2.0)
        asyncio.run(_burst(server, limiter, 6))
        assert server.rate_limits.rejected == 0 and server.rate_limits.accepted == 6


@pytest.mark.timeout(60)
def test_the_provider_reads_the_apis_count_and_waits_instead_of_meeting_a_429():
    model = make_request(1).model
    with running_server(rate_limits=RateLimits(1_000, 1_000_000, 10_000, minute=20.0)) as server:
        server.always(Reply(OK_TEXT))
        server.rate_limits.take(model, output_tokens=8_000)  # another process's calls
        limiter = ModelLimiter(Limits(1_000, 1_000_000, 10_000), minute=20.0)

        async def two_calls() -> None:
            provider = AnthropicProvider(API_KEY, base_url=server.base_url, limiter=limiter,
                                         **FAST | {"max_retries": 0})
            try:
                await provider.complete(make_request(max_tokens=1_000))
                # ~2,000 left at the API: by our own count this one would leave at once.
                await provider.complete(make_request(max_tokens=3_000))
            finally:
                await provider.aclose()

        asyncio.run(two_calls())
        assert limiter.synced >= 1
        assert server.rate_limits.rejected == 0 and server.rate_limits.accepted == 2


class LeaseLost(Exception):
    pass


def test_a_call_that_never_leaves_gives_back_all_it_reserved():
    request = make_request(max_tokens=2_000)
    limiter = ModelLimiter(Limits(100, 100_000, 10_000), clock=FakeClock())
    assert limiter.try_reserve(request.model, 5_000, 5_000) == 0  # not full: room to give back
    before = limiter.levels(request.model)

    def lease_lost() -> None:
        raise LeaseLost

    async def call() -> None:
        provider = AnthropicProvider(API_KEY, base_url="http://127.0.0.1:9", limiter=limiter,
                                     **FAST)
        try:
            await provider.complete(request, before_send=lease_lost)
        finally:
            await provider.aclose()

    with pytest.raises(LeaseLost):
        asyncio.run(call())
    assert limiter.levels(request.model) == pytest.approx(before)


def test_the_worker_runs_orders_at_the_same_time_and_retries_later(monkeypatch):
    from compass import processing
    from jobs.runner import OrderRunner

    running, most = 0, 0
    lock = threading.Lock()

    async def fake_run_order(db, order_id, *, can_retry=False):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        await asyncio.sleep(0.3)
        with lock:
            running -= 1
        if order_id == 99:
            raise processing.RetryLater("model unreachable", delay=30)
        return "completed"

    monkeypatch.setattr(processing, "run_order", fake_run_order)
    rescheduled: list[tuple[int, int, float]] = []
    runner = OrderRunner(lambda *args: rescheduled.append(args))
    futures = [runner.submit(order_id, 3) for order_id in range(1, 9)]
    assert runner.submit(1, 3) is None  # already here: not run twice
    retry = runner.submit(99, 2)
    assert all(f is not None for f in futures) and retry is not None
    assert [f.result(timeout=10) for f in futures] == ["completed"] * 8
    assert retry.result(timeout=10) == "retry_later"
    assert most == 9, "the orders ran one after another"
    # A model outage uses up no attempt; it is tried again after the delay processing chose.
    assert rescheduled == [(99, 2, 30)]
    assert runner.accepted() == set()
