"""Anthropic's rate limits, kept on our side: requests, input and output tokens per minute,
per model, shared by every order this process runs.

The API measures each limit as a bucket that refills continuously up to its size (a limit
of 60 a minute is one a second, never 60 in the first second after an idle minute). Output
tokens are charged at `max_tokens` when a request starts and the unused part refunded when
it ends; uncached input tokens count, cache reads do not. A call waits here until all three
buckets of its model have room, so a burst of orders turns into a queue of calls at the
rate the account is allowed instead of a storm of 429s (each of which would cost a retry
with back-off). Sizes come from the settings (docs/scaling.md has them per usage tier).

Our bucket is a lower bound of the API's whatever the timing, which we do not know: the API
charges a call somewhere between our reservation and its answer's headers, and refunds it
somewhere between then and our reading its last bytes. So a charge counts from the
reservation and a refund from the end we read; and because a full bucket wastes what comes
in, our bucket is full wherever the API's might be:
- A reservation is *in transit* until the answer's headers arrive: the API may not have
  charged it yet, so while the API's bucket is full its refill goes to waste, and ours
  refills only up to its size minus what is in transit. (bench/burst.py's 429s: a busy
  event loop sent calls up to 1.4 s after reserving them, a quarter of its 6 s minute.)
- Whenever our bucket is full, the API's may be full too, wasting what it refunds then;
  the API refunds a call a little before we read its end (the network, plus how late our
  event loop runs, which acquire measures). So a call whose end we read within that lag
  of our bucket being full gets nothing back here. (The same bench on busy cores: the API
  refunded calls into its full bucket while ours, having spent meanwhile, counted them.)

Every answer carries the API's own count as well (`anthropic-ratelimit-*-remaining`,
platform.claude.com/docs/en/api/rate-limits): where it says less than we think, a second
account of each bucket comes down to it (never up), and a call needs room in both. That
one is an estimate (the count is rounded and the API's order of events is not ours), for
what our own cannot see: a second process, another machine or the Console sharing the
account. `*-limit` lower than configured replaces the configured size.

One instance per process (`for_settings`); thread-safe, because huey's thread workers each
run their own event loop: the waiting is `asyncio.sleep` in the caller's loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from compass.settings import Settings

# The share of each limit we use: the API's clock and ours do not run at exactly the same
# rate, and a prompt's tokens are estimated before it is sent (corrected when it ends).
HEADROOM = 0.95
# Characters per token when estimating a prompt before it is sent: lower than the usual
# ~4 so that the estimate errs on the side of waiting (it is corrected when the call ends).
CHARS_PER_TOKEN = 3.0
# The API's names for our three buckets, in their order (requests, input, output), and how
# far its `remaining` may be above the truth: token counts are "rounded to the nearest
# thousand" (platform.claude.com/docs/en/api/rate-limits), requests are exact.
HEADER_KINDS = (("requests", 0.0), ("input-tokens", 500.0), ("output-tokens", 500.0))
# The shortest wait of a call that fits only once calls in transit are answered (their
# answers, not the clock, make that room).
IN_TRANSIT_POLL_SECONDS = 0.05
# How long before we read a call's end the API may have refunded it: the network, plus how
# late this process's event loops run what is ready (measured as they go; on 2 busy cores
# bench/burst.py saw 20 ms typically and up to 1.1 s), remembered with this half-life.
NETWORK_LAG_SECONDS = 0.1
LOOP_LAG_HALF_LIFE_SECONDS = 5.0
OWN, REPORTED = 0, 1  # the two accounts of a bucket: ours, and as the API's headers say


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


@dataclass(frozen=True)
class Limits:
    requests_per_minute: float
    input_tokens_per_minute: float
    output_tokens_per_minute: float


class _Bucket:
    def __init__(self, per_minute: float, now: float, minute: float, *,
                 headroom: float) -> None:
        self.minute = minute
        self.headroom = headroom
        self.per_minute = per_minute  # the API's limit, as configured or as it told us
        self.size = per_minute * headroom
        self.rate = per_minute * headroom / minute
        self.levels = [self.size, self.size]  # OWN and REPORTED
        self.full_at = [now, now]  # when each account was last full
        self.in_transit = 0.0  # reserved, not yet charged by the API as far as we know
        self.updated = now

    @property
    def level(self) -> float:
        return min(self.levels)

    def _add(self, account: int, amount: float, now: float) -> None:
        """Up to the size less what is in transit, noting when the account was full."""
        ceiling = self.size - self.in_transit
        if self.levels[account] + amount >= ceiling:
            self.levels[account] = ceiling
            self.full_at[account] = now
        else:
            self.levels[account] += amount

    def refill(self, now: float) -> None:
        grown = (now - self.updated) * self.rate
        self.updated = now
        for account in (OWN, REPORTED):
            self._add(account, grown, now)

    def take(self, amount: float) -> None:
        self.levels = [level - amount for level in self.levels]

    def give_back(self, amount: float, now: float, answered_at: float | None,
                  lag: float = 0.0) -> None:
        """Return `amount`: the unused part of a call the API answered at `answered_at`, or
        all of one that never reached it (None). Not if the account was full since the
        call was answered and the API may have refunded it then (up to `lag` before now):
        its full bucket would have wasted the refund."""
        for account in (OWN, REPORTED):
            if answered_at is None or self.full_at[account] <= max(answered_at, now - lag):
                self._add(account, amount, now)

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` fits (a request larger than the bucket waits for a full
        one), if the calls in transit are answered meanwhile (else it looks again)."""
        wanted = min(amount, self.size)
        if wanted <= self.level:
            return 0.0
        wait = (wanted - self.level) / self.rate
        if wanted > self.size - self.in_transit:
            return max(IN_TRANSIT_POLL_SECONDS, wait)
        return wait

    def adopt_limit(self, per_minute: float) -> None:
        """The API says the account's limit is lower than configured: use its."""
        if per_minute < self.per_minute:
            self.per_minute = per_minute
            self.size = per_minute * self.headroom
            self.rate = per_minute * self.headroom / self.minute
            self.levels = [min(level, self.size - self.in_transit) for level in self.levels]


@dataclass
class Reservation:
    model: str
    input_tokens: int
    output_tokens: int
    reserved_at: float | None = None  # our clock's; None: now
    in_transit: bool = field(default=True)
    answered_at: float | None = None  # our clock's, once the API answered


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None


Buckets = tuple[_Bucket, _Bucket, _Bucket]


class ModelLimiter:
    def __init__(self, default: Limits, per_model: dict[str, Limits] | None = None, *,
                 minute: float = 60.0, headroom: float = HEADROOM,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.default = default
        self.minute = minute
        self.headroom = headroom
        self.per_model = dict(per_model or {})
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, Buckets] = {}
        self.waited_seconds = 0.0  # total time calls spent waiting here (for the benchmarks)
        self.synced = 0  # answers whose `remaining` brought a bucket down (for the benchmarks)
        self._loop_lag = (0.0, clock())  # the longest lately seen, and when

    def limits_for(self, model: str) -> Limits:
        return self.per_model.get(model, self.default)

    def _refilled(self, model: str, now: float) -> Buckets:
        buckets = self._buckets.get(model)
        if buckets is None:
            limits = self.limits_for(model)
            requests, inputs, outputs = (
                _Bucket(per_minute, now, self.minute, headroom=self.headroom)
                for per_minute in (limits.requests_per_minute, limits.input_tokens_per_minute,
                                   limits.output_tokens_per_minute))
            buckets = self._buckets[model] = (requests, inputs, outputs)
        for bucket in buckets:
            bucket.refill(now)
        return buckets

    def levels(self, model: str) -> tuple[float, float, float]:
        """What each bucket of the model holds now (requests, input, output)."""
        with self._lock:
            requests, inputs, outputs = self._refilled(model, self._clock())
            return (requests.level, inputs.level, outputs.level)

    def try_reserve(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """Take the capacity and return 0, or take nothing and return the seconds to wait.
        What is taken stays in transit until `answered` (or `settle`) says the API has it."""
        with self._lock:
            buckets = self._refilled(model, self._clock())
            amounts = (1, input_tokens, output_tokens)
            wait = max(bucket.wait_for(amount)
                       for bucket, amount in zip(buckets, amounts, strict=True))
            if wait > 0:
                return wait
            for bucket, amount in zip(buckets, amounts, strict=True):
                bucket.take(amount)
                bucket.in_transit += amount
            return 0.0

    def _note_loop_lag(self, seconds: float) -> None:
        with self._lock:
            self._loop_lag = (max(seconds, self.loop_lag()), self._clock())

    def loop_lag(self) -> float:
        """How late the event loops lately ran what was ready (decaying)."""
        longest, at = self._loop_lag
        return longest * 0.5 ** ((self._clock() - at) / LOOP_LAG_HALF_LIFE_SECONDS)

    async def _sleep(self, seconds: float) -> None:
        """asyncio.sleep, noting how late the loop woke us."""
        began = self._clock()
        await asyncio.sleep(seconds)
        self._note_loop_lag(self._clock() - began - seconds)

    async def acquire(self, model: str, input_tokens: int, output_tokens: int) -> Reservation:
        """Wait until one request of this size is within the model's limits, and take it."""
        started = self._clock()
        await self._sleep(0)  # one turn of the loop: a sample of its lag, at every call
        while (wait := self.try_reserve(model, input_tokens, output_tokens)) > 0:
            # A little past the moment it fits; another caller may take it first, then we
            # simply wait again.
            await self._sleep(wait + 0.01)
        now = self._clock()
        if now > started:
            with self._lock:
                self.waited_seconds += now - started
        return Reservation(model, input_tokens, output_tokens, reserved_at=now)

    def answered(self, reservation: Reservation,
                 headers: Mapping[str, str] | None = None) -> None:
        """The API answered this request (or it failed): it is no longer in transit. With
        the answer's headers, the API's own count brings its account down where lower."""
        with self._lock:
            now = self._clock()
            buckets = self._refilled(reservation.model, now)
            self._arrived(reservation, buckets, now)
            if headers is not None:
                self._sync(reservation, buckets, headers, now)

    def _arrived(self, reservation: Reservation, buckets: Buckets, now: float) -> None:
        if not reservation.in_transit:
            return
        reservation.in_transit = False
        reservation.answered_at = now
        amounts = (1, reservation.input_tokens, reservation.output_tokens)
        for bucket, amount in zip(buckets, amounts, strict=True):
            bucket.in_transit = max(0.0, bucket.in_transit - amount)

    def _sync(self, reservation: Reservation, buckets: Buckets,
              headers: Mapping[str, str], now: float) -> None:
        lowered = False
        for bucket, (kind, rounding) in zip(buckets, HEADER_KINDS, strict=True):
            limit = _header_number(headers, f"anthropic-ratelimit-{kind}-limit")
            if limit is not None and limit > 0:
                bucket.adopt_limit(limit)
            remaining = _header_number(headers, f"anthropic-ratelimit-{kind}-remaining")
            if remaining is None:
                continue
            # The API counted `remaining` at some instant after we reserved this call, and
            # has refilled since: granting it all the refill since then, it can hold no
            # more than this. Calls still in transit are not in its count yet.
            reserved_at = now if reservation.reserved_at is None else reservation.reserved_at
            refilled = (now - reserved_at) * bucket.per_minute / bucket.minute
            theirs = min(bucket.per_minute, remaining - rounding + refilled) - bucket.in_transit
            if theirs < bucket.levels[REPORTED]:
                bucket.levels[REPORTED] = theirs
                lowered = True
        if lowered:
            self.synced += 1

    def exhausted(self, model: str) -> None:
        """The API answered 429: its buckets for this model are empty, so are ours now."""
        with self._lock:
            for bucket in self._refilled(model, self._clock()):
                bucket.levels = [min(level, 0.0) for level in bucket.levels]

    def release(self, reservation: Reservation) -> None:
        """The call never left (its lease was lost, say): all it took comes back."""
        with self._lock:
            now = self._clock()
            buckets = self._refilled(reservation.model, now)
            self._arrived(reservation, buckets, now)  # in transit no longer (it never left)
            amounts = (1, reservation.input_tokens, reservation.output_tokens)
            for bucket, amount in zip(buckets, amounts, strict=True):
                bucket.give_back(amount, now, None)  # the API never counted it

    def settle(self, reservation: Reservation, *, input_tokens: int | None = None,
               output_tokens: int = 0) -> None:
        """The call ended: give back what it reserved and did not use (the API does the
        same with output tokens; input is corrected to what was really counted)."""
        with self._lock:
            now = self._clock()
            buckets = self._refilled(reservation.model, now)
            self._arrived(reservation, buckets, now)
            _, inputs, outputs = buckets
            lag = NETWORK_LAG_SECONDS + self.loop_lag()
            if input_tokens is not None:
                unused = reservation.input_tokens - input_tokens
                if unused < 0:
                    inputs.take(-unused)  # more than estimated: counted all the same
                else:
                    inputs.give_back(unused, now, reservation.answered_at, lag)
            outputs.give_back(max(0, reservation.output_tokens - output_tokens), now,
                              reservation.answered_at, lag)


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
