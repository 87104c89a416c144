"""The one interface behind which the model lives.

The engine builds a `ModelRequest`, a provider answers it with a `ModelResponse`. Two
providers implement it: `anthropic_provider.AnthropicProvider` (the real API) and
`offline.OfflineProvider` (deterministic, no network). `build_provider` picks one from
the settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from compass.settings import Settings


@dataclass(frozen=True)
class ModelRequest:
    """One call to the model, in provider-neutral terms.

    The user message is `shared_context` followed by `prompt`. `shared_context` is the long
    part identical across the five samples (customer brief, research); when `cache_prefix`
    is set the Anthropic provider marks it with `cache_control` so it is billed once.
    """

    phase: str
    model: str
    effort: str
    system: str
    shared_context: str
    prompt: str
    schema: dict
    max_tokens: int
    cache_prefix: bool = False
    perspective: str | None = None

    @property
    def schema_title(self) -> str:
        return str(self.schema.get("title", ""))

    def user_text(self) -> str:
        return self.shared_context + self.prompt

    def request_hash(self) -> str:
        """Content address of the request: equal requests are the same call (resume key)."""
        payload = json.dumps(
            [self.model, self.effort, self.system, self.shared_context, self.prompt,
             self.schema, self.max_tokens],
            sort_keys=True, ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class ModelResponse:
    text: str
    stop_reason: str  # "end_turn", "max_tokens", "refusal", …
    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    latency_ms: int = 0
    extra: dict = field(default_factory=dict)


class ProviderError(Exception):
    """The provider could not produce an answer (after its own retries).

    Three classes, because each calls for a different response:
    - transient (`retryable`): rate limit, overload, 5xx, network, silence. Retried with
      backoff here, and the order later if it persists.
    - systemic (`systemic`): our account or configuration is broken (key rejected, no
      permission, spend limit reached, request format rejected, model not found). Every
      call would fail the same way: stop calling, hold the paid orders, alert the admins.
    - neither: this one request could not be answered (too large, for instance).
    """

    def __init__(self, message: str, *, retryable: bool = False, status: int | None = None,
                 systemic: bool = False, kind: str = ""):
        super().__init__(message)
        self.retryable = retryable and not systemic
        self.status = status
        self.systemic = systemic
        # A short name for what went wrong ("authentication", "spend_limit", …).
        self.kind = kind


class CircuitOpenError(ProviderError):
    """The breaker is open: the API failed repeatedly, so we are not calling it for a while."""


# Called once the provider knows the prompt has been processed (the API's message_start),
# so the engine can release the other samples to read the freshly written cache.
OnStarted = Callable[[], None]
# Called right before a request leaves, after any wait for a concurrency or rate-limit slot
# (and before each retry); raising stops the call unsent. The worker checks there that the
# order is still its own, since a wait for a slot can outlast its lease.
BeforeSend = Callable[[], None]


class ModelProvider(Protocol):
    name: str
    offline: bool

    async def complete(
        self, request: ModelRequest, *, on_started: OnStarted | None = None,
        before_send: BeforeSend | None = None,
    ) -> ModelResponse: ...

    async def aclose(self) -> None: ...


def build_provider(settings: Settings) -> ModelProvider:
    """The Anthropic provider when an API key is configured, else the offline model."""
    if settings.ANTHROPIC_API_KEY is None:
        from compass.engine.offline import OfflineProvider

        return OfflineProvider()
    from compass.engine import model_limits
    from compass.engine.anthropic_provider import AnthropicProvider

    return AnthropicProvider(
        api_key=settings.ANTHROPIC_API_KEY.get_secret_value(),
        base_url=settings.ANTHROPIC_BASE_URL,
        timeout=settings.ANTHROPIC_SILENCE_SECONDS,
        deadline_base=settings.ANTHROPIC_TIMEOUT_SECONDS,
        output_tokens_per_second=settings.ANTHROPIC_MIN_OUTPUT_TOKENS_PER_SECOND,
        max_retries=settings.ANTHROPIC_MAX_RETRIES,
        max_concurrency=settings.ANTHROPIC_MAX_CONCURRENCY,
        limiter=model_limits.for_settings(settings),
    )


ProgressCallback = Callable[[int, str, str], Awaitable[None] | None]
