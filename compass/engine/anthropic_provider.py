"""The real model: Anthropic's Messages API through the official SDK.

The SDK's own retries are off (`max_retries=0`): this module retries, so that backoff,
`retry-after`, the circuit breaker and the concurrency limit are all in one place. Every
call streams, because the `message_start` event is the moment the prompt (and its cache
entry) has been processed, which the engine waits for before sending the other samples.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
from anthropic.types import Message

from compass.engine.breaker import CircuitBreaker
from compass.engine.provider import ModelRequest, ModelResponse, OnStarted, ProviderError

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
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


class _IncompleteStream(Exception):
    """The stream ended cleanly but without the message_delta that carries the stop reason."""


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


class AnthropicProvider:
    name = "anthropic"
    offline = False

    def __init__(
        self,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_retries: int = 4,
        max_concurrency: int = 8,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
        backoff_base: float = 0.5,
        backoff_max: float = 20.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self.breaker = CircuitBreaker(breaker_threshold, breaker_cooldown, clock)
        self._client = anthropic.AsyncAnthropic(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0,
        )

    async def complete(self, request: ModelRequest, *,
                       on_started: OnStarted | None = None) -> ModelResponse:
        trial = self.breaker.admit()
        try:
            response = await self._complete_with_retries(request, on_started)
        except ProviderError as error:
            if error.retryable:
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

    async def _complete_with_retries(self, request: ModelRequest,
                                     on_started: OnStarted | None) -> ModelResponse:
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
                return await self._attempt(params, started_once, attempt)
            except (anthropic.APIError, httpx2.TransportError, TimeoutError,
                    _IncompleteStream) as exc:
                failure = self._classify(exc)
                if not failure.retryable:
                    raise ProviderError(failure.message, retryable=False,
                                        status=failure.status) from None
                if attempt > self._max_retries:
                    raise ProviderError(
                        f"{failure.message} (gave up after {attempt} attempt"
                        f"{'s' if attempt > 1 else ''})",
                        retryable=True, status=failure.status,
                    ) from None
                await asyncio.sleep(self._delay(attempt - 1, failure.retry_after))

    async def _attempt(self, params: dict[str, Any], on_started: Callable[[], None],
                       attempts: int) -> ModelResponse:
        async with self._semaphore:
            began = time.monotonic()
            # The SDK timeout bounds each read; this bounds the whole stream, however it trickles.
            async with asyncio.timeout(self._timeout), \
                    self._client.messages.stream(**params) as stream:
                async for event in stream:
                    if event.type == "message_start":
                        on_started()
                message = await stream.get_final_message()
            latency_ms = round((time.monotonic() - began) * 1000)
        if message.stop_reason is None:
            raise _IncompleteStream
        return to_response(message, latency_ms, attempts)

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self._backoff_max, self._backoff_base * 2**attempt)
        return random.uniform(ceiling / 2, ceiling)  # jitter spreads out a thundering herd

    def _classify(self, exc: BaseException) -> _Failure:
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            if status < 400:  # an error event inside a streamed 200 response
                status = ERROR_TYPE_STATUS.get(str(exc.type), 500)
            detail = self._redact(f"{exc.type or 'error'}: {exc.api_message or exc.message}")
            if exc.request_id:  # what Anthropic support asks for
                detail += f"; request {exc.request_id}"
            return _Failure(f"Anthropic API answered {status} ({detail})",
                            retryable=status in RETRYABLE_STATUSES, status=status,
                            retry_after=parse_retry_after(exc.response.headers))
        if isinstance(exc, TimeoutError | anthropic.APITimeoutError | httpx2.TimeoutException):
            return _Failure(f"Anthropic API did not answer within {self._timeout:g} s",
                            retryable=True)
        if isinstance(exc, _IncompleteStream):
            return _Failure("Anthropic API stream ended without a stop reason", retryable=True)
        return _Failure(f"could not reach the Anthropic API ({type(exc).__name__})",
                        retryable=True)

    def _redact(self, text: str) -> str:
        # Belt and braces: no error message leaves this module with the key in it. (A few
        # characters are no real key, and replacing them would garble the message.)
        if len(self._api_key) < 8:
            return text
        return text.replace(self._api_key, "[redacted]")
