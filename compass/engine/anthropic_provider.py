"""The real model: Anthropic's Messages API through the official SDK.

The SDK's own retries are off (`max_retries=0`): this module retries, so that backoff,
`retry-after`, the circuit breaker and the concurrency limit are all in one place. Every
call streams, because the `message_start` event is the moment the prompt (and its cache
entry) has been processed, which the engine waits for before sending the other samples.

Errors are classified as the API documents them (platform.claude.com/docs/api/errors,
read 2026-12-06; see compass.engine.provider.ProviderError for the three classes):
- 429 `rate_limit_error`, 529 `overloaded_error`, 5xx, network errors, a silent stream
  and a malformed event are transient: retried with backoff, `retry-after` honoured.
- 401 `authentication_error`, 402 `billing_error`, 403 `permission_error`, 404
  `not_found_error` (the model), 400 `invalid_request_error` (which is also how an
  organisation spend limit answers: "You have reached your specified API usage limits")
  and a 429 whose `error.details.error_code` is `enforced_spend_limit_reached` (the usage
  tier's monthly cap; no retry-after, access resumes next month) are systemic: no retry,
  and the breaker stops every further call of this process at once.
- `x-should-retry: true|false`, when the API sends it, overrides the status for
  transient errors (the SDK obeys it the same way).

Timeouts: the SDK's per-read timeout is the silence limit (the API sends pings while the
model thinks, so a healthy stream is never silent for long), and a per-call deadline
grows with the call's output budget (`max_tokens`, thinking included) at a minimum
output speed, so a long healthy answer is not cut.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
from anthropic.types import Message

from compass.engine.breaker import CircuitBreaker
from compass.engine.model_limits import ModelLimiter, estimate_tokens
from compass.engine.provider import (
    BeforeSend,
    ModelRequest,
    ModelResponse,
    OnStarted,
    ProviderError,
)

RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
# Statuses that mean our account or configuration is broken, whatever the request.
SYSTEMIC_STATUSES = {400: "invalid_request", 401: "authentication", 402: "billing",
                     403: "permission", 404: "model_not_found"}
SPEND_LIMIT_CODE = "enforced_spend_limit_reached"
PROBE_MAX_TOKENS = 1_024
# A `retry-after` longer than this is not believed: the order has a delivery promise to keep.
RETRY_AFTER_CAP = 60.0
# An error event inside a 200 stream carries only its type; this is the status it stands for.
ERROR_TYPE_STATUS = {
    "invalid_request_error": 400, "authentication_error": 401, "permission_error": 403,
    "not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429,
    "api_error": 500, "timeout_error": 504, "overloaded_error": 529,
}


@dataclass(frozen=True)
class _Failure:
    """One failed attempt, classified."""

    message: str
    retryable: bool
    status: int | None = None
    retry_after: float | None = None
    systemic: bool = False
    kind: str = ""


class _IncompleteStream(Exception):
    """The stream ended cleanly but without the message_delta that carries the stop reason."""


class _DeadlinePassed(Exception):
    """The call took longer than its deadline, though the stream was never silent."""


def _error_detail(body: object) -> dict:
    """The `error` object of an error body (HTTP or a streamed `error` event), or {}."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error
    return {}


def classify_status(status: int, error_type: str, body: object,
                    headers: httpx2.Headers | None) -> tuple[bool, bool, str]:
    """(retryable, systemic, kind) of an API error, as the module docstring describes."""
    details = _error_detail(body).get("details")
    code = details.get("error_code") if isinstance(details, dict) else None
    if status == 429 and code == SPEND_LIMIT_CODE:
        return False, True, "spend_limit"
    if status in SYSTEMIC_STATUSES:
        return False, True, SYSTEMIC_STATUSES[status]
    should_retry = headers.get("x-should-retry") if headers is not None else None
    if should_retry in ("true", "false"):
        return should_retry == "true", False, error_type or "api_error"
    return status in RETRYABLE_STATUSES, False, error_type or "api_error"


def message_params(request: ModelRequest) -> dict[str, Any]:
    """The Messages API body for a request (without `stream`, which the SDK adds)."""
    prefix: dict[str, Any] = {"type": "text", "text": request.shared_context}
    if request.cache_prefix:
        prefix["cache_control"] = {"type": "ephemeral"}
    blocks = [block for block in (prefix, {"type": "text", "text": request.prompt})
              if block["text"]]  # the API rejects empty text blocks
    params: dict[str, Any] = {
        "model": request.model,
        "max_tokens": request.max_tokens,
        "messages": [{"role": "user", "content": blocks}],
        "output_config": {
            "format": {"type": "json_schema", "schema": request.schema},
            "effort": request.effort,
        },
    }
    if request.system:
        params["system"] = [{"type": "text", "text": request.system}]
    return params


def parse_retry_after(headers: httpx2.Headers, now: Callable[[], float] = time.time
                      ) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or date)."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return min(RETRY_AFTER_CAP, max(0.0, float(value) / 1000))
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = email.utils.parsedate_to_datetime(value).timestamp() - now()
        except (TypeError, ValueError):
            return None
    return min(RETRY_AFTER_CAP, max(0.0, seconds))


def to_response(message: Message, latency_ms: int, attempts: int) -> ModelResponse:
    usage = message.usage
    return ModelResponse(
        text="".join(block.text for block in message.content if block.type == "text"),
        stop_reason=message.stop_reason or "",
        model=message.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
        latency_ms=latency_ms,
        extra={"attempts": attempts, "message_id": message.id},
    )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """The CA store, loaded once per process: each client loading its own took 30-60 ms of
    CPU, and every order builds a provider, so a burst of 50 orders starting at once held
    the worker's event loop (and every call in it) for seconds."""
    return httpx2.create_ssl_context()


class AnthropicProvider:
    name = "anthropic"
    offline = False

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        max_concurrency: int = 8,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        *,
        deadline_base: float = 120.0,
        output_tokens_per_second: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        limiter: ModelLimiter | None = None,
    ) -> None:
        self._api_key = api_key
        self._timeout = timeout  # silence: the longest wait for any byte of the answer
        self._deadline_base = deadline_base
        self._output_tokens_per_second = output_tokens_per_second
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._semaphore = asyncio.Semaphore(max_concurrency)
        # The account's rate limits, shared by every order of the process (None: not ours
        # to keep, e.g. a test talking to a scripted server).
        self._limiter = limiter
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown, clock)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0,
            http_client=anthropic.DefaultAsyncHttpxClient(verify=_ssl_context()),
        )

    def deadline_for(self, max_tokens: int) -> float:
        """Seconds one attempt may take: the base plus its output budget at the minimum speed."""
        return self._deadline_base + max_tokens / self._output_tokens_per_second

    async def complete(self, request: ModelRequest, *, on_started: OnStarted | None = None,
                       before_send: BeforeSend | None = None) -> ModelResponse:
        trial = self.breaker.admit()
        try:
            response = await self._complete_with_retries(request, on_started, before_send)
        except ProviderError as error:
            if error.systemic:
                self.breaker.trip(error)
            elif error.retryable:
                self.breaker.record_failure()
            else:
                # The API answered, so it is up; the request itself was wrong.
                self.breaker.record_success()
            raise
        except BaseException:
            self.breaker.abandon(trial)
            raise
        self.breaker.record_success()
        return response

    async def aclose(self) -> None:
        await self._client.close()

    async def probe(self, model: str) -> None:
        """One tiny call, to learn whether the API accepts us again. Raises ProviderError.

        Not through the breaker (it is what closes it) and not retried: the caller probes
        again later. A `max_tokens` stop is a success: the API took the call. The budget is
        not tiny, so that no model's thinking minimum can reject the probe itself; only a
        probe that succeeds is billed, once per incident (a cent or two)."""
        try:
            async with asyncio.timeout(self._deadline_base):
                await self._client.messages.create(
                    model=model, max_tokens=PROBE_MAX_TOKENS,
                    messages=[{"role": "user", "content": "Reply with the word ok."}])
        except (anthropic.APIError, httpx2.TransportError, TimeoutError, ValueError) as exc:
            failure = self._classify(exc)
            raise ProviderError(failure.message, retryable=failure.retryable,
                                status=failure.status, systemic=failure.systemic,
                                kind=failure.kind) from None
        self.breaker.record_success()

    async def _complete_with_retries(self, request: ModelRequest, on_started: OnStarted | None,
                                     before_send: BeforeSend | None) -> ModelResponse:
        params = message_params(request)
        started = False

        def started_once() -> None:
            # A retry after message_start must not release the other samples twice.
            nonlocal started
            if not started:
                started = True
                if on_started is not None:
                    on_started()

        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._attempt(request, params, started_once, attempt, before_send)
            except (anthropic.APIError, httpx2.TransportError, TimeoutError, _DeadlinePassed,
                    _IncompleteStream, json.JSONDecodeError) as exc:
                failure = self._classify(exc, request.max_tokens)
                if not failure.retryable:
                    raise ProviderError(failure.message, retryable=False,
                                        status=failure.status, systemic=failure.systemic,
                                        kind=failure.kind) from None
                if attempt > self._max_retries:
                    raise ProviderError(
                        f"{failure.message} (gave up after {attempt} attempt"
                        f"{'s' if attempt > 1 else ''})",
                        retryable=True, status=failure.status, kind=failure.kind,
                    ) from None
                await asyncio.sleep(self._delay(attempt - 1, failure.retry_after))

    async def _attempt(self, request: ModelRequest, params: dict[str, Any],
                       on_started: Callable[[], None], attempts: int,
                       before_send: BeforeSend | None) -> ModelResponse:
        async with self._semaphore:
            if self._limiter is None:
                if before_send is not None:
                    before_send()
                return await self._send(request, params, on_started, attempts)
            # Reserved right before the request leaves: capacity taken earlier and sent
            # later (after waiting for a slot) would be spent twice, once here and once by
            # the API's refill in between.
            reservation = await self._limiter.acquire(
                request.model, estimate_tokens(request.system + request.user_text()),
                request.max_tokens)
            limiter = self._limiter
            try:
                if before_send is not None:
                    before_send()
            except BaseException:
                limiter.release(reservation)  # it never left: nothing of it was spent
                raise
            response = None
            try:
                response = await self._send(
                    request, params, on_started, attempts,
                    answered=lambda headers: limiter.answered(reservation, headers))
            except anthropic.APIStatusError as exc:
                # An error answer carries the API's count as well (a 429's included).
                limiter.answered(reservation, exc.response.headers)
                if isinstance(exc, anthropic.RateLimitError):
                    # The API's bucket is empty whatever ours says: every call of this
                    # model waits for the refill, instead of each meeting its own 429.
                    limiter.exhausted(request.model)
                raise
            finally:
                # As the API counts: uncached input (cache reads are free of ITPM), and the
                # output really written (the rest of max_tokens comes back). A failed call
                # keeps its request and input, and gives all its output back.
                limiter.settle(
                    reservation,
                    input_tokens=(response.input_tokens + response.cache_write_tokens
                                  if response is not None else None),
                    output_tokens=response.output_tokens if response is not None else 0)
            return response

    async def _send(self, request: ModelRequest, params: dict[str, Any],
                    on_started: Callable[[], None], attempts: int, *,
                    answered: Callable[[Mapping[str, str]], None] | None = None,
                    ) -> ModelResponse:
        began = time.monotonic()
        # The SDK timeout bounds each read (silence); this bounds the whole call, sized
        # to its output budget so that a long healthy answer is not cut.
        try:
            async with asyncio.timeout(self.deadline_for(request.max_tokens)), \
                    self._client.messages.stream(**params) as stream:
                if answered is not None:
                    # The API has the request and says what is left of our rate limits.
                    answered(stream.response.headers)
                async for event in stream:
                    if event.type == "message_start":
                        on_started()
                message = await stream.get_final_message()
        except TimeoutError:
            raise _DeadlinePassed from None
        latency_ms = round((time.monotonic() - began) * 1000)
        if message.stop_reason is None:
            raise _IncompleteStream
        return to_response(message, latency_ms, attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self._backoff_max, self._backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads out a thundering herd

    def _classify(self, exc: BaseException, max_tokens: int = 0) -> _Failure:
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            headers: httpx2.Headers | None = exc.response.headers
            if status < 400:  # an error event inside a streamed 200 response
                status = ERROR_TYPE_STATUS.get(str(exc.type), 500)
                headers = None  # the 200's headers say nothing about this error
            message = _error_detail(exc.body).get("message") or exc.api_message or exc.message
            detail = self._redact(f"{exc.type or 'error'}: {message}")
            if exc.request_id:  # what Anthropic support asks for
                detail += f"; request {exc.request_id}"
            retryable, systemic, kind = classify_status(status, str(exc.type or ""), exc.body,
                                                        headers)
            return _Failure(f"Anthropic API answered {status} ({detail})",
                            retryable=retryable, status=status, systemic=systemic, kind=kind,
                            retry_after=parse_retry_after(exc.response.headers))
        if isinstance(exc, _DeadlinePassed):
            return _Failure(f"Anthropic API call took longer than its "
                            f"{self.deadline_for(max_tokens):g} s deadline", retryable=True,
                            kind="deadline")
        if isinstance(exc, TimeoutError | anthropic.APITimeoutError | httpx2.TimeoutException):
            return _Failure(f"Anthropic API sent nothing for {self._timeout:g} s",
                            retryable=True, kind="silence")
        if isinstance(exc, _IncompleteStream):
            return _Failure("Anthropic API stream ended without a stop reason", retryable=True,
                            kind="incomplete")
        if isinstance(exc, ValueError):  # a data line that is not JSON
            return _Failure("Anthropic API sent a malformed stream event", retryable=True,
                            kind="malformed")
        return _Failure(f"could not reach the Anthropic API ({type(exc).__name__})",
                        retryable=True)

    def _redact(self, text: str) -> str:
        # Belt and braces: no error message leaves this module with the key in it. (A few
        # characters are no real key, and replacing them would garble the message.)
        if len(self._api_key) < 8:
            return text
        return text.replace(self._api_key, "[redacted]")
