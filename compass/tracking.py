"""Error tracking: Sentry (sentry-sdk), on when SENTRY_DSN is set, off otherwise.

Every event and breadcrumb passes through the same redaction as the logs (compass.logs):
secret-named keys blanked, API keys, bearer tokens, configured secret values and card
numbers scrubbed, in messages, tracebacks' local variables and request data alike. No
personal data is sent (`data_collection`: no user, cookies, bodies or query strings),
and no performance traces. Started by `compass.logs.configure`, once per process, so the web,
the worker and the CLI all report.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from compass import logs

log = logging.getLogger(__name__)

# Sentry events nest deeper than log lines (exception -> values -> stacktrace -> frames ->
# vars -> ...): scrub all the way down.
MAX_DEPTH = 24


def scrub_event(event: Any, _hint: Any = None) -> Any:
    """Sentry's before_send / before_breadcrumb: the event, redacted like a log line."""
    return logs.scrub_value(event, limit=MAX_DEPTH)


def init(process: str, *, dsn: str | None = None, transport: Any = None) -> bool:
    """Start Sentry for this process if a DSN is configured. Returns whether it started."""
    # The environment, as load_env_file left it (.env included): logging comes up before,
    # and must not depend on, a valid Settings.
    dsn = dsn or os.environ.get("SENTRY_DSN") or None
    if not dsn:
        return False
    import sentry_sdk

    options: dict[str, Any] = {}
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(
        dsn=dsn,
        environment=os.environ.get("COMPASS_ENV", "development"),
        # No personal data: no user, no cookies, no request bodies (order forms carry the
        # customers' answers), no query strings; headers only past Sentry's denylist.
        data_collection={"user_info": False, "cookies": {"mode": "off"}, "http_bodies": [],
                         "url_query_params": {"mode": "off"}},
        traces_sample_rate=0.0,
        before_send=scrub_event,
        before_breadcrumb=scrub_event,
        **options,
    )
    sentry_sdk.set_tag("process", process)
    log.info("error tracking on (Sentry)")
    return True
