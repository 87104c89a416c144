"""The Anthropic provider: the real SDK against a local server speaking the Messages API."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import httpx2
import pytest

from compass.engine.anthropic_provider import AnthropicProvider, parse_retry_after
from compass.engine.breaker import BreakerState, CircuitBreaker
from compass.engine.provider import CircuitOpenError, ModelRequest, ProviderError
from tests.fakes.messages_api import (
    SPEND_LIMIT,
    Drop,
    FakeMessagesAPI,
    Hang,
    Malformed,
    Reply,
    Status,
    StreamError,
    count_tokens,
    running_server,
)

API_KEY = "sk-ant-test-0123456789"
OK_TEXT = '{"perspective": "operations", "workflows": []}'
FAST = {"backoff_base": 0.01, "backoff_max": 0.05, "timeout": 5.0, "max_retries": 2}


def make_request(**changes: object) -> ModelRequest:
    fields: dict = {
        "phase": "sample", "model": "claude-sonnet-5-5", "effort": "medium",
        "system": "You are a careful automation analyst. " * 20,
        "shared_context": "<brief>\n{\"company\": \"Dental clinic\"}\n</brief>\n" * 60,
        "prompt": "Propose about 25 workflows from the operations perspective.\n",
        "schema": {"title": "Sample", "type": "object"}, "max_tokens": 4000,
        "cache_prefix": True, "perspective": "operations",
    }
    return ModelRequest(**(fields | changes))


@pytest.fixture
def server() -> Iterator[FakeMessagesAPI]:
    with running_server() as api:
        api.always(Reply(OK_TEXT))  # scripted, so these tests do not depend on the offline model
        yield api


@contextlib.asynccontextmanager
async def provider_for(server: FakeMessagesAPI, **options: object
                       ) -> AsyncIterator[AnthropicProvider]:
    provider = AnthropicProvider(API_KEY, base_url=server.base_url, **(FAST | options))
    try:
        yield provider
    finally:
        await provider.aclose()


async def complete(server: FakeMessagesAPI, request: ModelRequest | None = None,
                   **options: object):
    async with provider_for(server, **options) as provider:
        return await provider.complete(request or make_request())


# -- what goes over the wire ----------------------------------------------------------------

def test_request_carries_the_key_the_schema_and_a_cache_breakpoint(server):
    response = asyncio.run(complete(server))

    assert response.text == OK_TEXT
    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {API_KEY}"
    body = sent.body
    assert body["stream"] is True
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 4000
    assert body["system"] == [{"type": "text", "text": make_request().system}]
    context, prompt = body["messages"][0]["content"]
    assert context["cache_control"] == {"type": "ephemeral"}
    assert context["text"] == make_request().shared_context
    assert "cache_control" not in prompt and prompt["text"] == make_request().prompt
    assert body["output_config"] == {
        "format": {"type": "json_schema", "schema": make_request().schema}, "effort": "medium",
    }
    assert not {"temperature", "top_p", "top_k"} & body.keys()


def test_no_cache_control_without_cache_prefix_and_no_empty_blocks(server):
    asyncio.run(complete(server, make_request(cache_prefix=False)))
    asyncio.run(complete(server, make_request(shared_context="")))

    without_cache, empty_context = (r.body for r in server.requests)
    assert "cache_control" not in json.dumps(without_cache)
    assert len(without_cache["messages"][0]["content"]) == 2
    # The API answers 400 to an empty text block, so an empty context is left out.
    assert empty_context["messages"][0]["content"] == [
        {"type": "text", "text": make_request().prompt}]


def test_usage_reports_cache_writes_then_reads(server):
    request = make_request()
    first = asyncio.run(complete(server, request))
    second = asyncio.run(complete(server, request))
    uncached = asyncio.run(complete(server, make_request(cache_prefix=False)))

    prefix = count_tokens(request.system + request.shared_context)
    total = count_tokens(request.system + request.user_text())
    assert (first.cache_write_tokens, first.cache_read_tokens) == (prefix, 0)
    assert (second.cache_write_tokens, second.cache_read_tokens) == (0, prefix)
    assert first.input_tokens == second.input_tokens == total - prefix
    assert (uncached.input_tokens, uncached.cache_read_tokens, uncached.cache_write_tokens) == (
        total, 0, 0)
    assert first.output_tokens == count_tokens(OK_TEXT)
    assert first.model == "claude-sonnet-5-5" and first.latency_ms >= 0


def test_a_prefix_below_the_minimum_cacheable_length_is_not_cached():
    request = make_request()
    prefix = count_tokens(request.system + request.shared_context)
    with running_server(min_cache_tokens=prefix + 1) as server:
        server.always(Reply(OK_TEXT))
        first = asyncio.run(complete(server, request))
        second = asyncio.run(complete(server, request))
    assert first.cache_write_tokens == second.cache_read_tokens == 0
    assert second.input_tokens == count_tokens(request.system + request.user_text())


def test_samples_released_by_on_started_read_the_cache(server):
    """The engine's pattern: one sample writes the cache, four start after its message_start."""
    server.latency = 0.2
    contexts = [make_request(perspective=p, prompt=f"Perspective {p}.\n") for p in "abcde"]

    async def scenario():
        async with provider_for(server) as provider:
            written = asyncio.Event()
            first = asyncio.create_task(provider.complete(contexts[0], on_started=written.set))
            await written.wait()
            rest = await asyncio.gather(*(provider.complete(r) for r in contexts[1:]))
            return [await first, *rest]

    responses = asyncio.run(scenario())
    assert [r.cache_write_tokens > 0 for r in responses] == [True, False, False, False, False]
    assert all(r.cache_read_tokens == responses[0].cache_write_tokens for r in responses[1:])


# -- what comes back is passed through ------------------------------------------------------

def test_max_tokens_stop_reason_is_passed_through(server):
    server.script([Reply('{"workflows": [{"name": "Tri', stop_reason="max_tokens")])
    response = asyncio.run(complete(server))
    assert response.stop_reason == "max_tokens"
    assert response.text == '{"workflows": [{"name": "Tri'


def test_malformed_json_is_passed_through_unchanged(server):
    server.script([Reply("{not json")])
    response = asyncio.run(complete(server))
    assert (response.text, response.stop_reason) == ("{not json", "end_turn")


def test_on_started_fires_when_the_prompt_is_processed_not_at_the_end(server):
    server.latency = 0.4
    events: list[tuple[str, float]] = []

    async def scenario():
        async with provider_for(server) as provider:
            await provider.complete(make_request(),
                                    on_started=lambda: events.append(("started", time.monotonic())))
            events.append(("done", time.monotonic()))

    asyncio.run(scenario())
    assert [name for name, _ in events] == ["started", "done"]
    assert events[1][1] - events[0][1] >= 0.3


# -- retries --------------------------------------------------------------------------------

def test_429_waits_as_long_as_retry_after_says(server):
    server.script([Status(429, retry_after="1")])
    began = time.monotonic()
    response = asyncio.run(complete(server))
    elapsed = time.monotonic() - began

    assert response.text == OK_TEXT and response.extra["attempts"] == 2
    assert server.request_count == 2
    assert elapsed >= 0.9  # retry-after honoured: backoff alone would have waited ~0.01 s


@pytest.mark.parametrize("status", [529, 500, 503])
def test_overloaded_and_server_errors_are_retried(server, status):
    server.script([Status(status)])
    response = asyncio.run(complete(server))
    assert response.text == OK_TEXT
    assert server.request_count == 2


@pytest.mark.parametrize("broken", [StreamError("overloaded_error"), Drop()],
                         ids=["error-event", "stream-ends-early"])
def test_a_stream_that_breaks_after_message_start_is_retried(server, broken):
    server.script([broken])
    started: list[float] = []

    async def scenario():
        async with provider_for(server) as provider:
            return await provider.complete(make_request(), on_started=lambda: started.append(1))

    response = asyncio.run(scenario())
    assert response.text == OK_TEXT and response.stop_reason == "end_turn"
    assert server.request_count == 2
    assert started == [1]  # the other samples are released once, not once per attempt


def test_a_hanging_response_times_out_and_is_retried(server):
    server.script([Hang(10)])
    began = time.monotonic()
    response = asyncio.run(complete(server, timeout=0.5))
    assert response.text == OK_TEXT
    assert server.request_count == 2
    # The hang lasts 10 s: well under that means the call gave up on it (a loose bound, so a
    # loaded machine cannot fail it; request_count == 2 says the same without a clock).
    assert 0.45 <= time.monotonic() - began < 8


def test_a_stalled_stream_gives_up_after_the_retries(server):
    # Pings keep the stream from being silent: the call's deadline is what ends it.
    server.always(Hang(10, after_start=True))
    began = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        asyncio.run(complete(server, timeout=5, deadline_base=0.5,
                             output_tokens_per_second=1e9, max_retries=1))
    assert caught.value.retryable is True
    assert server.request_count == 2
    assert time.monotonic() - began < 8  # the hang lasts 10 s: loose on purpose


def test_backoff_grows_between_attempts(server):
    server.always(Status(500))
    began = time.monotonic()
    with pytest.raises(ProviderError) as caught:
        asyncio.run(complete(server, backoff_base=0.2, backoff_max=10, max_retries=2))
    elapsed = time.monotonic() - began
    assert (caught.value.retryable, caught.value.status) == (True, 500)
    assert server.request_count == 3
    # Waits drawn from [0.1, 0.2] then [0.2, 0.4]; a constant 0.01 s would be far below.
    assert elapsed >= 0.3  # a lower bound only: an upper one flakes on a loaded machine


def test_unreachable_api_is_a_retryable_error():
    with running_server() as server:
        base_url = server.base_url  # a port nothing listens on once the server is closed

    async def scenario():
        provider = AnthropicProvider(API_KEY, base_url=base_url, **FAST)
        try:
            await provider.complete(make_request())
        finally:
            await provider.aclose()

    with pytest.raises(ProviderError) as caught:
        asyncio.run(scenario())
    assert caught.value.retryable is True and caught.value.status is None


# -- errors that are not retried ------------------------------------------------------------

@pytest.mark.parametrize(("status", "systemic"), [
    (400, True), (401, True), (403, True), (404, True), (413, False)])
def test_client_errors_are_raised_at_once(server, status, systemic):
    server.script([Status(status, message="rejected")])
    with pytest.raises(ProviderError) as caught:
        asyncio.run(complete(server))
    assert (caught.value.retryable, caught.value.status) == (False, status)
    assert caught.value.systemic is systemic
    assert "rejected" in str(caught.value)  # the API's own words, for the admins
    assert server.request_count == 1


def test_the_spend_limit_429_is_systemic_and_stops_every_later_call(server):
    server.script([SPEND_LIMIT])

    async def scenario():
        async with provider_for(server) as provider:
            with pytest.raises(ProviderError) as first:
                await provider.complete(make_request())
            with pytest.raises(ProviderError) as second:
                await provider.complete(make_request())
            return first.value, second.value

    first, second = asyncio.run(scenario())
    assert (first.status, first.systemic, first.retryable, first.kind) == (
        429, True, False, "spend_limit")
    assert "monthly usage limit" in str(first)
    assert second.systemic and second.kind == "spend_limit"
    assert server.request_count == 1  # not retried, and the second call never left


def test_an_ordinary_429_is_still_retried(server):
    server.script([Status(429, retry_after="0")])
    assert asyncio.run(complete(server)).text == OK_TEXT
    assert server.request_count == 2


def test_x_should_retry_overrides_the_status(server):
    server.script([Status(503, should_retry="false")])
    with pytest.raises(ProviderError) as caught:
        asyncio.run(complete(server))
    assert caught.value.status == 503 and not caught.value.retryable
    assert not caught.value.systemic and server.request_count == 1

    server.script([Status(413, should_retry="true")])
    assert asyncio.run(complete(server)).text == OK_TEXT
    assert server.request_count == 3


def test_a_malformed_stream_event_is_retried(server):
    server.script([Malformed()])
    response = asyncio.run(complete(server))
    assert response.text == OK_TEXT and response.extra["attempts"] == 2


def test_the_deadline_grows_with_the_output_budget():
    provider = AnthropicProvider(API_KEY, deadline_base=120, output_tokens_per_second=20)
    assert provider.deadline_for(2_000) == 220 and provider.deadline_for(16_000) == 920
    asyncio.run(provider.aclose())


def test_a_probe_that_succeeds_closes_a_tripped_breaker(server):
    server.script([Status(401, message="invalid x-api-key")])

    async def scenario():
        async with provider_for(server) as provider:
            with pytest.raises(ProviderError):
                await provider.complete(make_request())
            assert provider.breaker.state is BreakerState.OPEN
            server.script([Status(401, message="invalid x-api-key")])
            with pytest.raises(ProviderError) as failed:
                await provider.probe("claude-haiku-5-5")
            assert failed.value.systemic and failed.value.kind == "authentication"
            await provider.probe("claude-haiku-5-5")
            assert provider.breaker.state is BreakerState.CLOSED
            return await provider.complete(make_request())

    assert asyncio.run(scenario()).text == OK_TEXT
    probe = server.requests[2].body
    assert probe["max_tokens"] == 1_024 and probe["model"] == "claude-haiku-5-5"


def test_a_wrong_key_is_401_and_the_key_never_appears_in_the_error():
    with running_server(api_key="the-right-key") as server, \
            pytest.raises(ProviderError) as caught:
        asyncio.run(complete(server))
    assert caught.value.status == 401 and not caught.value.retryable
    assert API_KEY not in str(caught.value) and API_KEY not in repr(caught.value.args)


# -- the circuit breaker --------------------------------------------------------------------

def test_breaker_opens_after_consecutive_failures_and_recovers_after_cooldown(server):
    now = [1000.0]
    server.always(Status(503))

    async def scenario():
        async with provider_for(server, max_retries=0, breaker_threshold=3,
                                breaker_cooldown=30, clock=lambda: now[0]) as provider:
            for _ in range(3):
                with pytest.raises(ProviderError) as caught:
                    await provider.complete(make_request())
                assert not isinstance(caught.value, CircuitOpenError)
            assert provider.breaker.state is BreakerState.OPEN
            with pytest.raises(CircuitOpenError):
                await provider.complete(make_request())
            assert server.request_count == 3  # the open breaker did not touch the network

            now[0] += 29
            with pytest.raises(CircuitOpenError):
                await provider.complete(make_request())
            now[0] += 2
            server.always(Reply(OK_TEXT))
            response = await provider.complete(make_request())  # the half-open trial
            assert response.text == OK_TEXT
            assert provider.breaker.state is BreakerState.CLOSED
            assert server.request_count == 4

    asyncio.run(scenario())


def test_a_failed_trial_reopens_the_breaker(server):
    now = [0.0]
    server.always(Status(529))

    async def scenario():
        async with provider_for(server, max_retries=0, breaker_threshold=2,
                                breaker_cooldown=10, clock=lambda: now[0]) as provider:
            for _ in range(2):
                with pytest.raises(ProviderError):
                    await provider.complete(make_request())
            now[0] += 10
            with pytest.raises(ProviderError) as trial:
                await provider.complete(make_request())
            assert not isinstance(trial.value, CircuitOpenError)
            with pytest.raises(CircuitOpenError):
                await provider.complete(make_request())
            assert server.request_count == 3

    asyncio.run(scenario())


def test_per_request_client_errors_do_not_trip_the_breaker(server):
    server.always(Status(413))

    async def scenario():
        async with provider_for(server, breaker_threshold=2) as provider:
            for _ in range(4):
                with pytest.raises(ProviderError) as caught:
                    await provider.complete(make_request())
                assert not isinstance(caught.value, CircuitOpenError)

    asyncio.run(scenario())
    assert server.request_count == 4


def test_half_open_breaker_lets_one_trial_through():
    now = [0.0]
    breaker = CircuitBreaker(threshold=1, cooldown=5, clock=lambda: now[0])
    breaker.record_failure()
    with pytest.raises(CircuitOpenError):
        breaker.admit()
    now[0] = 5
    assert breaker.admit() is True
    with pytest.raises(CircuitOpenError):
        breaker.admit()  # a second caller while the trial is out
    breaker.abandon(trial=True)  # the trial was cancelled: the next caller gets to try
    assert breaker.admit() is True


# -- the concurrency limit ------------------------------------------------------------------

def test_at_most_max_concurrency_calls_are_in_flight(server):
    server.latency = 0.3

    async def scenario():
        async with provider_for(server, max_concurrency=2) as provider:
            await asyncio.gather(*(provider.complete(make_request()) for _ in range(5)))

    began = time.monotonic()
    asyncio.run(scenario())
    assert server.max_in_flight == 2
    assert time.monotonic() - began >= 0.85  # three waves of 0.3 s


# -- helpers and the fake server's fidelity -------------------------------------------------

def test_parse_retry_after_reads_seconds_dates_and_milliseconds():
    assert parse_retry_after(httpx2.Headers({"retry-after": "2.5"})) == 2.5
    assert parse_retry_after(httpx2.Headers({"retry-after-ms": "1500", "retry-after": "9"})) == 1.5
    date = dt.datetime(2026, 10, 21, 7, 28, 10, tzinfo=dt.UTC)
    assert parse_retry_after(httpx2.Headers({"retry-after": "Wed, 21 Oct 2026 07:28:10 GMT"}),
                             now=lambda: date.timestamp() - 10) == 10.0
    assert parse_retry_after(httpx2.Headers({"retry-after": "86400"})) == 60.0
    assert parse_retry_after(httpx2.Headers({"retry-after": "soon"})) is None
    assert parse_retry_after(httpx2.Headers({})) is None


def test_fake_server_rejects_what_the_real_api_rejects(server):
    url = server.base_url + "/v1/messages"
    body = {"model": "claude-sonnet-5-5", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}
    no_key = httpx.post(url, json=body)
    with_temperature = httpx.post(url, json=body | {"temperature": 0.3},
                                  headers={"x-api-key": API_KEY})
    plain = httpx.post(url, json=body, headers={"x-api-key": API_KEY})

    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "authentication_error"
    assert with_temperature.status_code == 400
    assert with_temperature.json()["error"]["type"] == "invalid_request_error"
    # Non-streaming JSON, cut at max_tokens (about 4 characters a token) as the model would be.
    assert plain.status_code == 200
    assert plain.json()["content"][0]["text"] == OK_TEXT[:40]
    assert plain.json()["stop_reason"] == "max_tokens"


def test_a_slow_healthy_stream_outlasting_the_base_deadline_completes():
    # 2,000 tokens at 2,000 tokens/s: 1 s of streaming, twice the 0.5 s base deadline (the
    # old whole-call limit). Never silent for 0.3 s, and the deadline grows with max_tokens.
    text = '{"perspective": "operations", "workflows": [' + '"x", ' * 1990 + '"x"]}'
    with running_server(tokens_per_second=2_000) as slow:
        slow.always(Reply(text))
        response = asyncio.run(complete(slow, make_request(max_tokens=8_000), timeout=0.3,
                                        deadline_base=0.5, output_tokens_per_second=2_000))
    assert response.text == text and response.extra["attempts"] == 1
