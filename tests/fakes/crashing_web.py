"""The web app, except that the process kills itself (SIGKILL) the moment it would first
queue a paid order or an email: the crash between a webhook's commit and its enqueue.

Run as `uvicorn tests.fakes.crashing_web:app` (procfile_stack's `replace`).
"""

from __future__ import annotations

import os
import signal

from compass import queue

_request = queue._request


def _die_at_the_enqueue(job: str, *args: object) -> None:
    if job in ("process_order", "send_email"):
        os.kill(os.getpid(), signal.SIGKILL)
    _request(job, *args)


queue._request = _die_at_the_enqueue

from app import app  # noqa: E402

__all__ = ["app"]
