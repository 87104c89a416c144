"""A local stand-in for Anthropic's Messages API, speaking its wire format.

`POST /v1/messages` answers like the real API: JSON or server-sent events (`stream: true`),
error bodies in the API's shape, prompt-cache accounting (`cache_control` breakpoints are
written by the first request and read by later ones), 400 for `temperature`/`top_p`/`top_k`
and empty text blocks. By default the content comes from the offline model; tests script
other behaviours (errors, hangs, broken streams, fixed replies) one per request.

Rate limits (`rate_limits=RateLimits(...)`, off by default): requests, uncached input and
output tokens per minute per model, as token buckets; a request over them gets 429 with
retry-after, and `rate_limits.rejected` counts them.

Two things of the real model, off by default, on for the tests that need them:
- `thinking=True`: each answer starts with a thinking block whose length grows with
  `output_config.effort` (THINKING_TOKENS; Opus 5.5 more, MODEL_THINKING_FACTOR). As on
  the real API, thinking counts against `max_tokens` ("max_tokens is the hard limit on
  thinking plus answer", platform.claude.com/docs/build-with-claude/extended-thinking,
  read 2026-12-06): a call whose budget thinking uses up stops with `max_tokens` and an
  answer cut short, or none at all.
- `tokens_per_second`: output (thinking included) streams at this speed, so a call's time
  grows with its length; pings keep the connection alive meanwhile, as the API's do.

    with running_server(latency=0.2) as server:
        provider = AnthropicProvider("test-key", base_url=server.base_url)
        server.script([Status(429, retry_after="1"), Reply('{"ok": true}')])

Run standalone: `python -m tests.fakes.messages_api --port 8765 [--latency 0.2]`.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import functools
import hashlib
import itertools
import json
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FORBIDDEN_SAMPLING_PARAMS = ("temperature", "top_p", "top_k")
ERROR_TYPES = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
    500: "api_error", 504: "timeout_error", 529: "overloaded_error",
}
DELTA_CHARS = 200  # text per content_block_delta event
# Thinking tokens per call by effort, and how much more a model thinks than that. Rough
# shapes, not measurements: `high` thinks several times `low`, and the model guide warns
# that Opus 5.5 thinks more per turn than Opus 5 at the same effort.
THINKING_TOKENS = {"low": 400, "medium": 1_500, "high": 4_000, "xhigh": 8_000, "max": 16_000}
MODEL_THINKING_FACTOR = {"claude-opus-5-5": 1.5}
PING_EVERY = 0.1  # seconds between pings in a stalled stream


# -- scripted behaviours ---------------------------------------------------------------------

@dataclass(frozen=True)
class Status:
    """Answer with an HTTP error in the API's JSON shape.

    `error_code` goes in `error.details.error_code`, as the API reports a spend limit
    (`Status(429, error_code="enforced_spend_limit_reached")`); `should_retry` is sent as
    the `x-should-retry` header ("true" or "false"), which the SDK obeys."""

    code: int
    retry_after: str | None = None
    message: str = "scripted error"
    error_code: str | None = None
    should_retry: str | None = None


SPEND_LIMIT = Status(429, message="Your organization has reached its monthly usage limit",
                     error_code="enforced_spend_limit_reached")


@dataclass(frozen=True)
class Hang:
    """Say nothing for `seconds`, then drop the connection. With `after_start`, a stream
    sends message_start and then only pings (the prompt was processed, the model hangs)."""

    seconds: float
    after_start: bool = False


@dataclass(frozen=True)
class Reply:
    """Answer with this text instead of the offline model's."""

    text: str
    stop_reason: str = "end_turn"


@dataclass(frozen=True)
class StreamError:
    """A stream that sends message_start and then an `error` event, as an overload mid-stream."""

    error_type: str = "overloaded_error"


@dataclass(frozen=True)
class Drop:
    """A stream that sends message_start and some text, then ends without a stop reason."""


@dataclass(frozen=True)
class Malformed:
    """A stream whose second event's data line is not JSON (a proxy cut it, say)."""


Behaviour = Status | Hang | Reply | StreamError | Drop | Malformed


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names lower-cased
    body: dict[str, Any]


# -- the API's arithmetic --------------------------------------------------------------------

def count_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _text_blocks(value: Any) -> list[dict[str, Any]]:
    """`system` or a message's `content`: a string or a list of blocks, as blocks."""
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    return [block for block in value or [] if block.get("type") == "text"]


def _prompt_blocks(body: dict[str, Any]) -> list[dict[str, Any]]:
    # The order the API caches in: system first, then the messages.
    blocks = _text_blocks(body.get("system"))
    for message in body["messages"]:
        blocks += _text_blocks(message.get("content"))
    return blocks


@dataclass(frozen=True)
class Usage:
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int
    cache_keys: tuple[str, ...]  # breakpoints this request writes once its prompt is processed

    def as_dict(self, output_tokens: int) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "output_tokens": output_tokens,
        }


class PromptCache:
    """Which cache prefixes have been written. A prefix ends at a block with cache_control.

    As on the real API, a prefix shorter than the model's minimum cacheable length is
    silently not cached (`min_tokens`; 1,024 to 4,096 depending on the model).
    """

    def __init__(self, min_tokens: int = 0) -> None:
        self.min_tokens = min_tokens
        self._written: set[str] = set()
        self._lock = threading.Lock()

    def usage(self, body: dict[str, Any]) -> Usage:
        blocks = _prompt_blocks(body)
        digest = hashlib.sha256(str(body.get("model")).encode())
        # The output schema is part of the cached prefix: a different schema misses the cache
        # (as reported for Claude on Bedrock), so only same-phase calls can share one.
        digest.update(json.dumps(body.get("output_config"), sort_keys=True).encode())
        text = ""
        breakpoints: list[tuple[str, int]] = []  # (key, tokens up to and including the block)
        for block in blocks:
            digest.update(b"\0" + block["text"].encode())
            text += block["text"]
            if "cache_control" in block and count_tokens(text) >= self.min_tokens:
                breakpoints.append((digest.hexdigest(), count_tokens(text)))
        total = count_tokens(text)
        if not breakpoints:
            return Usage(total, 0, 0, ())
        with self._lock:
            read = max((tokens for key, tokens in breakpoints if key in self._written), default=0)
        cached = breakpoints[-1][1]
        return Usage(total - cached, cached - read, read, tuple(key for key, _ in breakpoints))

    def write(self, usage: Usage) -> None:
        with self._lock:
            self._written.update(usage.cache_keys)


# -- the server ------------------------------------------------------------------------------

class RateLimits:
    """The API's rate limits per model: token buckets of requests, uncached input tokens and
    output tokens (charged at max_tokens, the unused part refunded at the end), each the size
    of its per-minute limit and refilling over `minute` seconds (shorter than 60 to keep a
    benchmark's time scaled). A request that does not fit is answered 429 and counted."""

    def __init__(self, requests: float, input_tokens: float, output_tokens: float, *,
                 minute: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.sizes = (float(requests), float(input_tokens), float(output_tokens))
        self.minute = minute
        self._clock = clock
        self._lock = threading.Lock()
        self._levels: dict[str, list[float]] = {}
        self._updated: dict[str, float] = {}
        self.accepted = 0
        self.rejected = 0
        self.rejected_by: dict[str, int] = {}  # which limit each 429 was for
        # The least each bucket held after a call was charged, as a share of its size: how
        # close the accepted calls came to a 429 (1.0 until a call is charged).
        self.lowest = {"requests": 1.0, "input": 1.0, "output": 1.0}

    def _refill(self, model: str) -> list[float]:
        now = self._clock()
        levels = self._levels.setdefault(model, list(self.sizes))
        elapsed = now - self._updated.get(model, now)
        self._updated[model] = now
        for index, size in enumerate(self.sizes):
            levels[index] = min(size, levels[index] + elapsed * size / self.minute)
        return levels

    def charge(self, model: str, requests: int, input_tokens: int, output_tokens: int) -> float:
        """0 when the request fits (and is charged), else the seconds until it would."""
        amounts = (requests, input_tokens, output_tokens)
        with self._lock:
            levels = self._refill(model)
            shortfalls = [(min(amount, size) - level) / (size / self.minute)
                          for amount, size, level in zip(amounts, self.sizes, levels, strict=True)]
            short = max(shortfalls)
            if short > 1e-6:
                self.rejected += 1
                for kind, seconds in zip(("requests", "input", "output"), shortfalls,
                                         strict=True):
                    if seconds > 1e-6:
                        self.rejected_by[kind] = self.rejected_by.get(kind, 0) + 1
                return short
            for index, amount in enumerate(amounts):
                levels[index] -= amount
            for kind, size, level in zip(self.lowest, self.sizes, levels, strict=True):
                self.lowest[kind] = min(self.lowest[kind], level / size)
            self.accepted += 1
            return 0.0

    def refund(self, model: str, output_tokens: int) -> None:
        with self._lock:
            levels = self._refill(model)
            levels[2] = min(self.sizes[2], levels[2] + max(0, output_tokens))

    def take(self, model: str, requests: float = 0, input_tokens: float = 0,
             output_tokens: float = 0) -> None:
        """Use capacity as another client of the same account would (a second process,
        the Console): the buckets go down, no call of ours is counted."""
        with self._lock:
            levels = self._refill(model)
            for index, amount in enumerate((requests, input_tokens, output_tokens)):
                levels[index] = max(0.0, levels[index] - amount)

    def headers(self, model: str) -> dict[str, str]:
        """The `anthropic-ratelimit-*` headers the API sends with every answer, 429s too
        (platform.claude.com/docs/en/api/rate-limits): each limit, what is left of it (token
        counts rounded to the nearest thousand, as the API rounds them) and when its bucket
        is full again (RFC 3339); `tokens-*` is input and output together."""
        with self._lock:
            levels = list(self._refill(model))
        now = datetime.datetime.now(datetime.UTC)
        headers: dict[str, str] = {}
        resets = []
        for (kind, rounded), size, level in zip(
                (("requests", False), ("input-tokens", True), ("output-tokens", True)),
                self.sizes, levels, strict=True):
            left = max(0.0, level)
            remaining = int(left / 1000 + 0.5) * 1000 if rounded else int(left)
            reset = now + datetime.timedelta(seconds=(size - left) / (size / self.minute))
            resets.append(reset)
            headers |= {f"anthropic-ratelimit-{kind}-limit": f"{size:.0f}",
                        f"anthropic-ratelimit-{kind}-remaining": str(remaining),
                        f"anthropic-ratelimit-{kind}-reset": _rfc3339(reset)}
        both = max(0.0, levels[1]) + max(0.0, levels[2])
        headers |= {"anthropic-ratelimit-tokens-limit": f"{self.sizes[1] + self.sizes[2]:.0f}",
                    "anthropic-ratelimit-tokens-remaining": str(int(both / 1000 + 0.5) * 1000),
                    "anthropic-ratelimit-tokens-reset": _rfc3339(max(resets[1:]))}
        return headers


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeMessagesAPI:
    """The server and everything tests inspect. Start with `start()` or `running_server()`."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0,
                 api_key: str | None = None, min_cache_tokens: int = 0, *,
                 thinking: bool = False, tokens_per_second: float | None = None,
                 rate_limits: RateLimits | None = None) -> None:
        self.latency = latency
        self.rate_limits = rate_limits
        self.thinking = thinking
        self.tokens_per_second = tokens_per_second
        self.api_key = api_key  # None: any key is accepted, but one must be sent
        self.cache = PromptCache(min_cache_tokens)
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._script: collections.deque[Behaviour] = collections.deque()
        self._always: Behaviour | None = None
        self._rule: Callable[[dict[str, Any]], Behaviour | None] | None = None
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._ids = itertools.count(1)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.api = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeMessagesAPI:
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.closing.set()  # wakes hanging handlers
        if self._thread is not None:
            self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeMessagesAPI:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what tests control and inspect

    def script(self, behaviours: Iterable[Behaviour]) -> None:
        """Queue behaviours, one per request; when the queue is empty, answer normally."""
        with self._lock:
            self._script.extend(behaviours)

    def always(self, behaviour: Behaviour | None) -> None:
        """Answer every unscripted request with `behaviour`, e.g. `Status(503)` for an API
        that is down or a fixed `Reply`; None goes back to the offline model's answers."""
        with self._lock:
            self._always = behaviour

    def rule(self, decide: Callable[[dict[str, Any]], Behaviour | None] | None) -> None:
        """Answer each unscripted request whose body `decide` gives a behaviour for with it
        (e.g. one analyst's sample always failing); None from `decide`: as usual."""
        with self._lock:
            self._rule = decide

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def in_flight(self) -> int:
        """Requests being answered right now."""
        with self._lock:
            return self._in_flight

    @property
    def max_in_flight(self) -> int:
        """Most requests that were being answered at the same moment."""
        with self._lock:
            return self._max_in_flight

    # -- used by the handler

    def next_id(self) -> int:
        return next(self._ids)

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def next_behaviour(self, body: dict[str, Any] | None = None) -> Behaviour | None:
        with self._lock:
            if self._script:
                return self._script.popleft()
            decide = self._rule
        if decide is not None and body is not None:
            chosen = decide(body)
            if chosen is not None:
                return chosen
        with self._lock:
            return self._always

    def enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def leave(self) -> None:
        with self._lock:
            self._in_flight -= 1


class _HTTPServer(ThreadingHTTPServer):
    api: FakeMessagesAPI
    # Do not wait for hanging handlers on close; `closing` wakes them anyway.
    block_on_close = False
    # socketserver listens with a backlog of 5: a burst of new connections (one client per
    # order) would wait a second or more for a SYN retry, and arrive long after it left.
    request_queue_size = 256


class _AbortResponse(Exception):
    """Close the connection without (finishing) an answer."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API
    timeout = 60  # idle keep-alive connections do not keep threads forever
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read the recorded requests instead

    def do_GET(self) -> None:
        """GET /_stats: what a benchmark reads from a server in another process."""
        api = self.server.api
        self._refund, self._left = None, True  # nothing charged, never counted in flight
        self._limit_headers = {}
        if self.path != "/_stats":
            return self._error(404, f"no route {self.path}")
        limits = api.rate_limits
        stats = {"requests": api.request_count, "max_in_flight": api.max_in_flight,
                 "accepted": limits.accepted if limits else None,
                 "rejected": limits.rejected if limits else None,
                 "rejected_by": limits.rejected_by if limits else {},
                 "lowest": limits.lowest if limits else {}}
        self._send_json(200, stats, "req_stats")

    def do_POST(self) -> None:
        api = self.server.api
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        headers = {name.lower(): value for name, value in self.headers.items()}
        api.record(RecordedRequest(self.path, headers, body if isinstance(body, dict) else {}))
        api.enter()
        self._left = False
        self._refund: tuple[str, int] | None = None
        self._limit_headers: dict[str, str] = {}  # sent with the answer, whatever it is
        self._answering = False  # True once a status line went out
        try:
            self._answer(api, headers, body)
        except _AbortResponse:
            self.close_connection = True
        except OSError:  # the client went away (it timed out): nothing left to say
            self.close_connection = True
        except Exception as exc:  # a bug here or in the offline model: say so, as a 500
            traceback.print_exc()
            if self._answering:
                self.close_connection = True
            else:
                self._error(500, f"fake Messages API failed: {exc!r}")
        finally:
            self._leave()

    def _leave(self) -> None:
        # Called just before the last bytes go out, so a client that has its whole answer
        # never sees this request still counted as in flight (nor its output uncredited).
        if self._refund is not None and self.server.api.rate_limits is not None:
            self.server.api.rate_limits.refund(*self._refund)
        self._refund = None
        if not self._left:
            self._left = True
            self.server.api.leave()

    def _answer(self, api: FakeMessagesAPI, headers: dict[str, str], body: Any) -> None:
        if self.path.split("?")[0] != "/v1/messages":
            return self._error(404, f"no route {self.path}")
        if not isinstance(body, dict):
            return self._error(400, "the request body is not a JSON object")
        key = headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")
        if not key or (api.api_key is not None and key != api.api_key):
            return self._error(401, "invalid x-api-key" if key else "no API key was sent")
        problem = _validate(body)
        if problem:
            return self._error(400, problem)

        behaviour = api.next_behaviour(body)
        if isinstance(behaviour, Status):
            return self._error(behaviour.code, behaviour.message, behaviour.retry_after,
                               error_code=behaviour.error_code,
                               should_retry=behaviour.should_retry)
        if isinstance(behaviour, Hang) and not (behaviour.after_start and body.get("stream")):
            api.closing.wait(behaviour.seconds)
            raise _AbortResponse

        usage = api.cache.usage(body)
        answered = behaviour is None or isinstance(behaviour, Reply)
        if api.rate_limits is not None and answered:
            model = str(body.get("model"))
            wait = api.rate_limits.charge(model, 1,
                                          usage.input_tokens + usage.cache_creation_input_tokens,
                                          int(body.get("max_tokens") or 0))
            self._limit_headers = api.rate_limits.headers(model)
            if wait > 0:
                return self._error(429, "This request would exceed your rate limit",
                                   f"{max(1, round(wait))}")
        message_id = f"msg_fake_{api.next_id():06d}"
        # Worked out before anything is sent, so a failing offline model is a clean 500.
        content = _content(body, behaviour, api.thinking) \
            if behaviour is None or isinstance(behaviour, Reply) else None
        if api.rate_limits is not None and answered:
            # As the API does: output was charged at max_tokens; the unused part comes back
            # as the answer ends (in _leave, before its last bytes leave).
            written = content.output_tokens if content is not None else 0
            self._refund = (str(body.get("model")), int(body.get("max_tokens") or 0) - written)
        if not body.get("stream"):
            return self._json_reply(api, body, behaviour, content, usage, message_id)
        return self._stream_reply(api, body, behaviour, content, usage, message_id)

    # -- non-streaming

    def _json_reply(self, api: FakeMessagesAPI, body: dict[str, Any], behaviour: Behaviour | None,
                    content: _Answer | None, usage: Usage, message_id: str) -> None:
        if isinstance(behaviour, StreamError):
            return self._error(_status_of(behaviour.error_type), "scripted stream error")
        if isinstance(behaviour, Malformed):
            raise _AbortResponse
        if content is None:  # Drop
            raise _AbortResponse
        api.cache.write(usage)  # the prompt is processed before the model writes
        api.closing.wait(api.latency)
        if api.tokens_per_second:
            api.closing.wait(content.output_tokens / api.tokens_per_second)
        blocks: list[dict[str, Any]] = []
        if content.thinking_tokens:
            blocks.append({"type": "thinking", "thinking": content.thinking_text,
                           "signature": "fake-signature"})
        blocks.append({"type": "text", "text": content.text})
        payload = {
            "id": message_id, "type": "message", "role": "assistant", "model": body["model"],
            "content": blocks, "stop_reason": content.stop_reason,
            "stop_sequence": None, "usage": usage.as_dict(content.output_tokens),
        }
        self._send_json(200, payload, message_id)

    # -- streaming

    def _stream_reply(self, api: FakeMessagesAPI, body: dict[str, Any], behaviour: Behaviour | None,
                      content: _Answer | None, usage: Usage, message_id: str) -> None:
        self._answering = True
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_{message_id}")
        for name, value in self._limit_headers.items():
            self.send_header(name, value)
        self.end_headers()
        self._event("message_start", {"type": "message_start", "message": {
            "id": message_id, "type": "message", "role": "assistant", "model": body["model"],
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": usage.as_dict(1),
        }})
        api.cache.write(usage)  # from now on, requests with this prefix read the cache

        if isinstance(behaviour, Hang):
            # Pings keep a per-read timeout happy, as the real API's do while the model thinks:
            # only a bound on the whole call ends this.
            deadline = time.monotonic() + behaviour.seconds
            while time.monotonic() < deadline and not api.closing.wait(PING_EVERY):
                self._event("ping", {"type": "ping"})
            raise _AbortResponse
        if isinstance(behaviour, Malformed):
            self._leave()
            self._chunk(b'event: content_block_start\ndata: {"type": "content_block_st\n\n')
            return self._end_chunks()
        if isinstance(behaviour, StreamError):
            self._leave()
            self._event("error", {"type": "error", "error": {
                "type": behaviour.error_type, "message": "scripted stream error"}})
            return self._end_chunks()

        api.closing.wait(api.latency)
        index = 0
        if content is not None and content.thinking_tokens:
            self._event("content_block_start", {
                "type": "content_block_start", "index": 0,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""}})
            thought = content.thinking_text
            for start in range(0, len(thought), DELTA_CHARS):
                self._paced(api, thought[start:start + DELTA_CHARS])
                self._event("content_block_delta", {
                    "type": "content_block_delta", "index": 0,
                    "delta": {"type": "thinking_delta",
                              "thinking": thought[start:start + DELTA_CHARS]}})
            self._event("content_block_delta", {
                "type": "content_block_delta", "index": 0,
                "delta": {"type": "signature_delta", "signature": "fake-signature"}})
            self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
            index = 1
        self._event("content_block_start", {"type": "content_block_start", "index": index,
                                            "content_block": {"type": "text", "text": ""}})
        self._event("ping", {"type": "ping"})
        if content is None:  # Drop
            self._event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                "delta": {"type": "text_delta", "text": '{"wo'}})
            self._leave()
            return self._end_chunks()

        text = content.text
        for start in range(0, len(text), DELTA_CHARS):
            self._paced(api, text[start:start + DELTA_CHARS])
            delta = {"type": "text_delta", "text": text[start:start + DELTA_CHARS]}
            self._event("content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": delta})
        self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        self._event("message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": content.stop_reason, "stop_sequence": None},
            "usage": {"output_tokens": content.output_tokens},
        })
        self._leave()
        self._event("message_stop", {"type": "message_stop"})
        self._end_chunks()

    def _paced(self, api: FakeMessagesAPI, chunk: str) -> None:
        """Wait as long as the model takes to write `chunk` at the configured speed."""
        if api.tokens_per_second:
            api.closing.wait(count_tokens(chunk) / api.tokens_per_second)

    def _event(self, name: str, data: dict[str, Any]) -> None:
        self._chunk(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")

    # -- plain answers

    def _error(self, status: int, message: str, retry_after: str | None = None, *,
               error_code: str | None = None, should_retry: str | None = None) -> None:
        fallback = "api_error" if status >= 500 else "invalid_request_error"
        error_type = ERROR_TYPES.get(status, fallback)
        error: dict[str, Any] = {"type": error_type, "message": message}
        if error_code is not None:
            error["details"] = {"error_code": error_code}
        payload = {"type": "error", "error": error,
                   "request_id": f"req_fake_{self.server.api.next_id():06d}"}
        extra = {"retry-after": retry_after} if retry_after is not None else {}
        if should_retry is not None:
            extra["x-should-retry"] = should_retry
        self._send_json(status, payload, payload["request_id"], extra)

    def _send_json(self, status: int, payload: dict[str, Any], request_id: str,
                   extra_headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._answering = True
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", request_id)
        for name, value in (self._limit_headers | (extra_headers or {})).items():
            self.send_header(name, value)
        self.end_headers()
        self._leave()
        self.wfile.write(data)


def _status_of(error_type: str) -> int:
    return next((code for code, name in ERROR_TYPES.items() if name == error_type), 500)


def _validate(body: dict[str, Any]) -> str | None:
    """What the real API would reject this body for, if anything."""
    for name in FORBIDDEN_SAMPLING_PARAMS:
        if name in body:
            return f"{name}: Extra inputs are not permitted"
    if not isinstance(body.get("model"), str) or not isinstance(body.get("max_tokens"), int):
        return "model and max_tokens are required"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for block in _prompt_blocks(body):
        if not block.get("text"):
            return "text content blocks must be non-empty"
    return None


@dataclass(frozen=True)
class _Answer:
    thinking_tokens: int
    text: str
    stop_reason: str

    @property
    def thinking_text(self) -> str:
        words = "Weighing the options. " * (self.thinking_tokens // 5 + 1)
        return words[:self.thinking_tokens * 4]

    @property
    def output_tokens(self) -> int:
        return self.thinking_tokens + count_tokens(self.text)


def thinking_tokens_for(body: dict[str, Any]) -> int:
    """How long the model thinks before answering this request (see THINKING_TOKENS)."""
    effort = str((body.get("output_config") or {}).get("effort") or "high")
    factor = MODEL_THINKING_FACTOR.get(str(body.get("model")), 1.0)
    return round(THINKING_TOKENS.get(effort, THINKING_TOKENS["high"]) * factor)


def _content(body: dict[str, Any], behaviour: Behaviour | None,
             thinking: bool = False) -> _Answer:
    """The answer, thinking first, cut at max_tokens as the model would be."""
    if isinstance(behaviour, Reply):
        text, stop_reason = behaviour.text, behaviour.stop_reason
    else:
        # _respond imports the offline model: optional for tests that script their replies.
        system = "".join(block["text"] for block in _text_blocks(body.get("system")))
        user_text = "".join(
            block["text"] for message in body["messages"] if message.get("role") == "user"
            for block in _text_blocks(message.get("content"))
        )
        schema = (body.get("output_config") or {}).get("format", {}).get("schema", {})
        # No schema: a plain question (compass.outage's probe); the offline model needs one.
        text, stop_reason = _respond(system, user_text, json.dumps(schema, sort_keys=True)) \
            if schema else ("ok", "end_turn")
    budget = body["max_tokens"]
    thought = min(budget, thinking_tokens_for(body)) if thinking else 0
    limit = (budget - thought) * 4
    if thought == budget or len(text) > limit:
        return _Answer(thought, text[:limit], "max_tokens")
    return _Answer(thought, text, stop_reason)


@functools.lru_cache(maxsize=512)
def _respond(system: str, user_text: str, schema: str) -> tuple[str, str]:
    # The offline model is deterministic and CPU-bound: the same question (a burst of
    # identical orders) is answered once, so the server's threads stay free to take calls
    # as they arrive.
    from compass.engine.offline import respond

    return respond(system, user_text, json.loads(schema))


@contextmanager
def running_server(latency: float = 0.0, api_key: str | None = None,
                   min_cache_tokens: int = 0, *, thinking: bool = False,
                   tokens_per_second: float | None = None,
                   rate_limits: RateLimits | None = None) -> Iterator[FakeMessagesAPI]:
    """A started server on a free 127.0.0.1 port, closed afterwards."""
    with FakeMessagesAPI(latency=latency, api_key=api_key, min_cache_tokens=min_cache_tokens,
                         thinking=thinking, tokens_per_second=tokens_per_second,
                         rate_limits=rate_limits) as server:
        yield server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--latency", type=float, default=0.0,
                        help="seconds between message_start and the content")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: any)")
    parser.add_argument("--min-cache-tokens", type=int, default=0,
                        help="shorter cache_control prefixes are not cached (default: 0)")
    parser.add_argument("--thinking", action="store_true",
                        help="answers start with thinking that uses max_tokens, by effort")
    parser.add_argument("--tokens-per-second", type=float, default=None,
                        help="stream output at this speed (default: at once)")
    parser.add_argument("--rate-limits", default=None, metavar="RPM,ITPM,OTPM",
                        help="enforce these per-minute limits per model (429 over them)")
    parser.add_argument("--minute", type=float, default=60.0,
                        help="seconds the rate limits' minute lasts (default: 60)")
    args = parser.parse_args(argv)
    limits = None
    if args.rate_limits:
        rpm, itpm, otpm = (float(part) for part in args.rate_limits.split(","))
        limits = RateLimits(rpm, itpm, otpm, minute=args.minute)
    server = FakeMessagesAPI(args.host, args.port, args.latency, args.api_key,
                             args.min_cache_tokens, thinking=args.thinking,
                             tokens_per_second=args.tokens_per_second,
                             rate_limits=limits).start()
    print(f"fake Messages API on {server.base_url} (latency {args.latency:g} s)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
