"""Anthropic's rate limits, kept on our side: requests, input and output tokens per minute,
per model, shared by every order this process runs.

The API measures each limit as a bucket that refills continuously up to its size (a limit
of 60 a minute is one a second, never 60 in the first second after an idle minute). Output
tokens are charged at `max_tokens` when a request starts and the unused part refunded when
it ends; uncached input tokens count, cache reads do not. A call waits here until all three
buckets of its model have room, so a burst of orders turns into a queue of calls at the
rate the account is allowed instead of a storm of 429s (each of which would cost a retry
with back-off). Sizes come from the settings (docs/scaling.md has them per usage tier).

One instance per process (`for_settings`); thread-safe, because huey's thread workers each
run their own event loop: the waiting is `asyncio.sleep` in the caller's loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from compass.settings import Settings

# The share of each limit we use: our clock and the API's do not start a bucket at the same
# instant, and a call arrives some milliseconds after it left; staying 5% under the limit
# keeps those differences on our side of it.
HEADROOM = 0.95
# A bucket here holds this share of the API's: capacity we reserve reaches the API only when
# the request is on the wire, later still when this process's event loop is busy, and
# meanwhile the API's full bucket lets its refill go to waste while ours counts it. The
# smaller burst absorbs ~12 s of such delay at the API's minute (bench/burst.py found it).
BURST = 0.8
# Characters per token when estimating a prompt before it is sent: lower than the usual
# ~4 so that the estimate errs on the side of waiting (it is corrected when the call ends).
CHARS_PER_TOKEN = 3.0


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class Limits:
    requests_per_minute: float
    input_tokens_per_minute: float
    output_tokens_per_minute: float


class _Bucket:
    def __init__(self, per_minute: float, now: float, minute: float, *, headroom: float,
                 burst: float) -> None:
        self.size = per_minute * burst
        self.rate = per_minute * headroom / minute
        self.level = per_minute
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.size, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` fits (a request larger than the bucket waits for a full one)."""
        needed = min(amount, self.size) - self.level
        return max(0.0, needed / self.rate)


@dataclass
class Reservation:
    model: str
    input_tokens: int
    output_tokens: int


class ModelLimiter:
    def __init__(self, default: Limits, per_model: dict[str, Limits] | None = None, *,
                 minute: float = 60.0, headroom: float = HEADROOM, burst: float = BURST,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.default = default
        self.minute = minute
        self.headroom = headroom
        self.burst = burst
        self.per_model = dict(per_model or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[_Bucket, _Bucket, _Bucket]] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting here (for the benchmarks)

    def limits_for(self, model: str) -> Limits:
        return self.per_model.get(model, self.default)

    def _buckets_for(self, model: str, now: float) -> tuple[_Bucket, _Bucket, _Bucket]:
        buckets = self._buckets.get(model)
        if buckets is None:
            limits = self.limits_for(model)
            requests, inputs, outputs = (
                _Bucket(per_minute, now, self.minute, headroom=self.headroom, burst=self.burst)
                for per_minute in (limits.requests_per_minute, limits.input_tokens_per_minute,
                                   limits.output_tokens_per_minute))
            buckets = self._buckets[model] = (requests, inputs, outputs)
        return buckets

    def try_reserve(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """Take the capacity and return 0, or take nothing and return the seconds to wait."""
        with self._lock:
            now = self._clock()
            buckets = self._buckets_for(model, now)
            amounts = (1, input_tokens, output_tokens)
            wait = 0.0
            for bucket, amount in zip(buckets, amounts, strict=True):
                bucket.refill(now)
                wait = max(wait, bucket.wait_for(amount))
            if wait > 0:
                return wait
            for bucket, amount in zip(buckets, amounts, strict=True):
                bucket.level -= amount
            return 0.0

    async def acquire(self, model: str, input_tokens: int, output_tokens: int) -> Reservation:
        """Wait until one request of this size is within the model's limits, and take it."""
        started = self._clock()
        while (wait := self.try_reserve(model, input_tokens, output_tokens)) > 0:
            # A little past the moment it fits; another caller may take it first, then we
            # simply wait again.
            await asyncio.sleep(wait + 0.01)
        waited = self._clock() - started
        if waited > 0:
            with self._lock:
                self.waited_seconds += waited
        return Reservation(model, input_tokens, output_tokens)

    def exhausted(self, model: str) -> None:
        """The API answered 429: its buckets for this model are empty, so are ours now."""
        with self._lock:
            now = self._clock()
            for bucket in self._buckets_for(model, now):
                bucket.refill(now)
                bucket.level = min(bucket.level, 0.0)

    def settle(self, reservation: Reservation, *, input_tokens: int | None = None,
               output_tokens: int = 0) -> None:
        """The call ended: give back what it reserved and did not use (the API does the
        same with output tokens; input is corrected to what was really counted)."""
        with self._lock:
            now = self._clock()
            _, inputs, outputs = self._buckets_for(reservation.model, now)
            inputs.refill(now)
            outputs.refill(now)
            if input_tokens is not None:
                inputs.level = min(inputs.size,
                                   inputs.level + reservation.input_tokens - input_tokens)
            outputs.level = min(outputs.size,
                                outputs.level + max(0, reservation.output_tokens - output_tokens))


def limits_from_settings(settings: Settings) -> tuple[Limits, dict[str, Limits]]:
    default = Limits(settings.ANTHROPIC_REQUESTS_PER_MINUTE,
                     settings.ANTHROPIC_INPUT_TOKENS_PER_MINUTE,
                     settings.ANTHROPIC_OUTPUT_TOKENS_PER_MINUTE)
    per_model: dict[str, Limits] = {}
    raw = settings.ANTHROPIC_RATE_LIMITS.strip()
    for model, values in (json.loads(raw) if raw else {}).items():
        per_model[model] = Limits(float(values.get("rpm", default.requests_per_minute)),
                                  float(values.get("itpm", default.input_tokens_per_minute)),
                                  float(values.get("otpm", default.output_tokens_per_minute)))
    return default, per_model


_shared: dict[tuple, ModelLimiter] = {}
_shared_lock = threading.Lock()


def for_settings(settings: Settings) -> ModelLimiter:
    """This process's limiter for these settings (one per distinct configuration)."""
    default, per_model = limits_from_settings(settings)
    minute = settings.ANTHROPIC_RATE_LIMIT_MINUTE_SECONDS
    key = (default, tuple(sorted(per_model.items())), minute)
    with _shared_lock:
        limiter = _shared.get(key)
        if limiter is None:
            limiter = _shared[key] = ModelLimiter(default, per_model, minute=minute)
        return limiter
