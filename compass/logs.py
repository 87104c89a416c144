"""Structured JSON logs, one object per line, with secrets and card numbers scrubbed.

`configure(process)` is called once per process (web at start-up, worker in huey's start-up
hook, CLI commands that log). Both structlog loggers and the standard library's `logging`
(which huey, uvicorn and older modules use) end up in the same JSON renderer, behind the
same redaction. `request_id` and the order's `public_id` are context variables: bound once
(by the request middleware, by the worker around an order) they appear on every line
logged in that context, whichever logger wrote it.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars
from structlog.typing import EventDict, WrappedLogger

__all__ = [
    "REDACTED", "bind_contextvars", "bound_order", "clear_contextvars", "configure",
    "get_logger", "redact_event", "scrub_text", "scrub_value",
]

REDACTED = "[redacted]"
CARD = "[card]"

# A key is secret when one of its words is one of these ("input_tokens" is not a token).
_SECRET_WORDS = frozenset({
    "password", "passwd", "pwd", "secret", "token", "authorization", "auth", "cookie",
    "cookies", "apikey", "card", "cvc", "cvv", "pan", "signature", "credentials", "dsn",
})
_KEY_SPLIT = re.compile(r"[^a-z0-9]+")

# Values that are secrets whatever key carries them.
_SECRET_PATTERNS = (
    re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{8,}"),  # Stripe keys
    re.compile(r"\bwhsec_[A-Za-z0-9]{8,}"),  # Stripe webhook signing secret
    re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"),  # Anthropic keys
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/\-]{8,}=*"),
    re.compile(r"(?i)\bbasic\s+[A-Za-z0-9+/]{8,}=*"),
)
# 13–19 digits, optionally grouped by spaces or dashes: checked with Luhn before scrubbing.
_CARD_CANDIDATE = re.compile(r"(?<![\d])(?:\d[ \-]?){12,18}\d(?![\d])")

_configured_secrets: tuple[str, ...] = ()
_configured = False


def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    if "apikey" in lowered.replace("_", "").replace("-", ""):
        return True
    return any(word in _SECRET_WORDS for word in _KEY_SPLIT.split(lowered))


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _scrub_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return CARD if 13 <= len(digits) <= 19 and _luhn_ok(digits) else match.group(0)


def scrub_text(text: str) -> str:
    """The text with known secret shapes, configured secret values and card numbers removed."""
    for secret in _configured_secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _CARD_CANDIDATE.sub(_scrub_card, text)


def _scrub(value: Any, depth: int = 0, limit: int = 6) -> Any:
    if depth > limit:
        return value
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and _is_secret_key(k)
                else _scrub(v, depth + 1, limit) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub(item, depth + 1, limit) for item in value]
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"))
    return value


def scrub_value(value: Any, *, limit: int = 6) -> Any:
    """`value` redacted as a log line is, nested up to `limit` levels (compass.tracking)."""
    return _scrub(value, 0, limit)


def redact_event(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: secret keys blanked, secret-looking text scrubbed, recursively."""
    for key in list(event_dict):
        if _is_secret_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub(event_dict[key])
    return event_dict


def _secrets_from_settings() -> tuple[str, ...]:
    # The configured secrets' exact values, so even an unusual shape is never printed.
    try:
        from compass.settings import Settings

        settings = Settings()
    except Exception:  # logging must come up even with a broken environment
        return ()
    found = []
    for name in ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                 "ANTHROPIC_API_KEY", "SMTP_PASSWORD"):
        value = getattr(settings, name, None)
        raw = value.get_secret_value() if value is not None else ""
        if len(raw) >= 8:
            found.append(raw)
    return tuple(found)


def configure(process: str, *, level: str | int = "INFO", stream: TextIO | None = None,
              force: bool = False, extra_secrets: tuple[str, ...] = (),
              own_access_log: bool = False) -> None:
    """Send every log line of this process to `stream` (stdout) as redacted JSON.

    Idempotent: a second call is a no-op unless `force` (tests use it to capture output).
    `own_access_log`: the app logs each request itself, so uvicorn's access lines go quiet.
    """
    global _configured, _configured_secrets
    if _configured and not force:
        return
    _configured_secrets = tuple(sorted(set(_secrets_from_settings() + extra_secrets),
                                       key=len, reverse=True))

    def add_process(_l: WrappedLogger, _m: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("process", process)
        return event_dict

    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_process,
    ]
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=not force,
    )
    def drop_message(_l: WrappedLogger, _m: str, event_dict: EventDict) -> EventDict:
        # The standard library's formatted copy of "event": said once is enough.
        if event_dict.get("message") == event_dict.get("event"):
            event_dict.pop("message", None)
        event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate
        return event_dict

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), drop_message],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            # Last before rendering: tracebacks and formatted messages are scrubbed too.
            redact_event,
            structlog.processors.JSONRenderer(default=str, sort_keys=False),
        ],
    )
    handler = _JSONHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    # Replace the console handlers (ours from a previous call, basicConfig's); leave others
    # alone (pytest's capture, a file handler someone added on purpose).
    root.handlers = [h for h in root.handlers
                     if not isinstance(h, _JSONHandler) and type(h) is not logging.StreamHandler]
    root.addHandler(handler)
    root.setLevel(level if isinstance(level, int) else level.upper())
    # Libraries that install their own handlers would print a second, unredacted copy.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "huey", "huey.consumer"):
        library_logger = logging.getLogger(name)
        library_logger.handlers = []
        library_logger.propagate = True
    # uvicorn's access lines are replaced by our own (with route, latency, request id).
    # uvicorn builds each line unless the logger has no handlers (hasHandlers() ignores
    # `disabled`): a few % of answering a poll (bench/web.py), so nothing propagates either.
    access = logging.getLogger("uvicorn.access")
    access.disabled = own_access_log
    access.propagate = not own_access_log
    # Chatty at INFO and never useful in production logs (WeasyPrint logs every layout step
    # of every PDF as "weasyprint.progress").
    for name in ("httpx", "httpx2", "httpcore", "weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _configured = True
    from compass import tracking

    tracking.init(process)  # Sentry, when SENTRY_DSN is set, behind the same redaction


class _JSONHandler(logging.StreamHandler):
    """A stream handler that looks up sys.stdout when it writes (not when it is made), so
    a replaced stdout (test capture, a daemonised process) is followed, never a closed one."""

    def __init__(self, stream: TextIO | None = None):
        super().__init__(stream or sys.stdout)
        self._fixed = stream

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return self._fixed or sys.stdout

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


@contextmanager
def bound_order(public_id: str, order_number: str | None = None) -> Iterator[None]:
    """Every line logged inside carries the order's public id (and number when known)."""
    values = {"order": public_id}
    if order_number:
        values["order_number"] = order_number
    with bound_contextvars(**values):
        yield
