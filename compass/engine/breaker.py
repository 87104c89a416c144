"""A circuit breaker for the model API.

When the API is down, every order would otherwise spend its whole retry budget against it.
After `threshold` consecutive failed calls the breaker opens and calls fail at once; after
`cooldown` seconds one trial call is let through (half-open): success closes the breaker,
failure opens it again. The clock is injectable so tests need not sleep.

A systemic error (the key rejected, the spend limit reached: see ProviderError) `trip`s it
instead: every later call fails at once with that error, with no cooldown, because no
retry can help until someone acts. Only a success (compass.outage's probe) closes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum

from compass.engine.provider import CircuitOpenError, ProviderError


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, threshold: int, cooldown: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1 or cooldown < 0:
            raise ValueError("threshold must be >= 1 and cooldown >= 0")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False
        self._systemic: ProviderError | None = None

    @property
    def systemic_error(self) -> ProviderError | None:
        return self._systemic

    @property
    def state(self) -> BreakerState:
        if self._systemic is not None:
            return BreakerState.OPEN
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def admit(self) -> bool:
        """Let a call through or raise CircuitOpenError. Returns whether it is the trial call."""
        if self._systemic is not None:
            error = self._systemic
            raise ProviderError(str(error), status=error.status, systemic=True, kind=error.kind)
        state = self.state
        if state is BreakerState.CLOSED:
            return False
        if state is BreakerState.HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        assert self._opened_at is not None
        wait = max(0.0, self._opened_at + self.cooldown - self._clock())
        raise CircuitOpenError(
            f"the model API failed {self._failures} calls in a row; not calling it for "
            f"another {wait:.0f} s",
            retryable=True,
        )

    def trip(self, error: ProviderError) -> None:
        """A systemic error: refuse every call until a success says the API takes us again."""
        self._systemic = error
        self._trial_running = False

    def record_success(self) -> None:
        self._systemic = None
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._failures += 1
        if self._trial_running or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial_running = False

    def abandon(self, trial: bool) -> None:
        """A call ended without a verdict (cancelled): free the trial slot if it held it."""
        if trial:
            self._trial_running = False
