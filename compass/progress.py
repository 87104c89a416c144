"""Where an order is and when it will be done, from measured phase durations."""

from __future__ import annotations

import datetime as dt
import time

import sqlite_utils

from compass import clock, store

# The engine's phases in the order they run (see compass.engine's progress callback).
PHASES: tuple[str, ...] = ("rewrite", "research", "sample", "vote", "grouper", "proposal",
                           "review")

PHASE_WORDS: dict[str, str] = {
    "rewrite": "Reading your answers",
    "research": "Researching your industry",
    "sample": "Five independent analyses of your business",
    "vote": "Comparing the analyses",
    "grouper": "Grouping the workflows",
    "proposal": "Writing your report",
    "review": "Quality check",
    "done": "Finishing",
}

STATUS_WORDS: dict[str, str] = {
    "payment_pending": "Waiting for payment",
    "paid": "Payment received, starting your report",
    "processing": "Working on your report",
    "completed": "Your report is ready",
    "failed": "We could not produce your report",
    "refunded": "Refunded",
    "expired": "Checkout expired, nothing was charged",
}

# Seconds per phase used only until real runs have been measured (the first orders after a
# fresh install): rough figures for the real model, larger for tiers with bigger models.
_DEFAULT_SECONDS = {"rewrite": 15, "research": 30, "sample": 90, "vote": 15, "grouper": 20,
                    "proposal": 60, "review": 20}
_TIER_FACTOR = {"starter": 0.7, "standard": 1.0, "premium": 1.5}


def phase_estimates(db: sqlite_utils.Database, tier: str) -> dict[str, float]:
    """Seconds each phase takes for this tier, from the latest completed runs.

    The tier's own runs first, then any tier's; the constant defaults only apply before
    anything has been measured at all. A phase missing from measured runs did not happen
    in them (the engine skips some), so it counts as zero.
    """
    # The status endpoints are polled every 2 s by every open page: the averages are cached
    # until a new run is measured, which is checked (a primary-key lookup) once a second.
    key = (id(db.conn), tier)
    cached = _cache.get(key)
    now = time.monotonic()
    if cached is not None and now - cached[2] < _RECHECK_SECONDS:
        return cached[1]
    latest = store.orders.latest_phase_duration_id(db)
    if cached is not None and cached[0] == latest:
        _cache[key] = (latest, cached[1], now)
        return cached[1]
    measured = (store.orders.recent_phase_durations(db, tier)
                or store.orders.recent_phase_durations(db, None))
    if measured:
        estimates = {phase: measured.get(phase, 0.0) for phase in PHASES}
    else:
        factor = _TIER_FACTOR.get(tier, 1.0)
        estimates = {phase: _DEFAULT_SECONDS[phase] * factor for phase in PHASES}
    _cache[key] = (latest, estimates, now)
    return estimates


_RECHECK_SECONDS = 1.0
_cache: dict[tuple[int, str], tuple[int, dict[str, float], float]] = {}




def _format(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _after_ai_wait(order: dict, now: dt.datetime) -> dt.datetime:
    """When the order's work can go on: its next try while it waits out a model outage."""
    retry_at = clock.parse_or_none(order.get("ai_retry_at"))
    return retry_at if retry_at and retry_at > now else now


def estimated_completion(db: sqlite_utils.Database, order: dict,
                         now: dt.datetime | None = None) -> str | None:
    """ISO-8601 UTC time the report should be ready; None when it never will be or is unpaid."""
    status = order["status"]
    if status == "completed":
        return _format(clock.parse(order["completed_at"])) if order.get("completed_at") else None
    if status not in ("paid", "processing") or order.get("held_at"):
        return None  # a held order waits for our AI provider: no honest estimate
    now = _after_ai_wait(order, now or clock.now())
    estimates = phase_estimates(db, order["tier"])
    phase = order.get("phase")
    if status == "paid" or phase not in estimates:
        remaining = sum(estimates.values())
    else:
        index = PHASES.index(phase)
        elapsed = 0.0
        if order.get("phase_started_at"):
            elapsed = (now - clock.parse(order["phase_started_at"])).total_seconds()
        remaining = max(0.0, estimates[phase] - elapsed) + sum(
            estimates[p] for p in PHASES[index + 1:])
    return _format(now + dt.timedelta(seconds=remaining))


# Why an order failed, in the customer's words, from the engine's reason (EngineFailed).
# The first pattern found in the reason wins; every one is true to what happened.
FAILURE_WORDS: tuple[tuple[str, str], ...] = (
    ("in quality review", "The report did not pass our independent quality review after "
                          "three attempts, and we will not send you a report we are not "
                          "confident in."),
    ("kept giving unusable answers", "One step of our analysis kept producing answers that "
                                     "failed our checks, and we will not send you a report "
                                     "we are not confident in."),
    ("AI service is not available", "Our AI provider was unavailable for too long for us to "
                                    "deliver your report within the promised time."),
    ("token budget", "Your analysis needed more work than this tier allows, and we stopped "
                     "rather than send you an unfinished report."),
    ("no workflow that fits", "Our analysts found no workflow that fits what this tier "
                              "covers, so there was nothing we could responsibly recommend."),
)
FAILURE_FALLBACK = "Something went wrong on our side and we could not complete your report."


def failure_words(reason: str | None) -> str:
    """Why the order failed, for the customer's email and status page (never the raw
    reason, which can hold API messages)."""
    for pattern, words in FAILURE_WORDS:
        if reason and pattern in reason:
            return words
    return FAILURE_FALLBACK


def phase_words(order: dict) -> str:
    """What is happening now, in the customer's words."""
    if order.get("held_at") and order.get("phase_label"):
        return str(order["phase_label"])  # waiting for our AI provider (lifecycle.hold)
    if order["status"] == "paid":
        return "Starting in a moment"
    if order["status"] == "processing" and order.get("phase") == "done":
        # The engine has finished; the report is being stored (ready comes with its link).
        return "Putting your report together"
    if order["status"] == "processing" and order.get("phase_label"):
        return str(order["phase_label"])
    if order["status"] == "processing" and order.get("phase") in PHASE_WORDS:
        return PHASE_WORDS[order["phase"]]
    return STATUS_WORDS.get(order["status"], order["status"])


# The steps the status page lists, in order: (key, words, engine phases that belong to it).
STEPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("paid", "Payment received", ()),
    ("rewrite", "Reading your answers", ("rewrite",)),
    ("research", "Researching how businesses like yours work", ("research",)),
    ("sample", "Five independent analyses of your business", ("sample",)),
    ("vote", "Finding where the analyses agree", ("vote",)),
    ("write", "Writing your report", ("grouper", "proposal")),
    ("review", "Quality check", ("review",)),
    ("ready", "Report ready", ("done",)),
)


def steps(order: dict) -> list[dict]:
    """Each step with its state: "done", "current" or "todo" (none current when stopped)."""
    status = order["status"]
    if status == "completed":
        current = len(STEPS)
    elif status == "processing":
        phase = order.get("phase")
        # "done" is written just before the report is stored: still the last step before it.
        current = next((i for i, (_, _, phases) in enumerate(STEPS) if phase in phases), 1)
        current = min(current, len(STEPS) - 2)
    elif status == "paid":
        current = 1
    else:
        return []
    return [{"key": key, "words": words,
             "state": "done" if i < current else "current" if i == current else "todo"}
            for i, (key, words, _) in enumerate(STEPS)]


def remaining_seconds(db: sqlite_utils.Database, order: dict,
                      now: dt.datetime | None = None) -> tuple[float, bool] | None:
    """Seconds of work left, and whether the run is overdue; None when nothing is running.

    Overdue means the current phase has run well past what it usually takes (measured runs),
    so any figure would be a guess: the page says so instead of counting down past zero.
    """
    if order["status"] not in ("paid", "processing") or order.get("held_at"):
        return None  # a held order waits for our AI provider: no honest estimate
    now = now or clock.now()
    waiting = (_after_ai_wait(order, now) - now).total_seconds()
    if waiting > 0:
        # Waiting out a model outage: the next try, then all the work still to do.
        return waiting + sum(phase_estimates(db, order["tier"]).values()), False
    estimates = phase_estimates(db, order["tier"])
    phase = order.get("phase")
    if order["status"] == "paid" or phase not in estimates:
        return sum(estimates.values()), False
    elapsed = 0.0
    if order.get("phase_started_at"):
        elapsed = (now - clock.parse(order["phase_started_at"])).total_seconds()
    expected = estimates[phase]
    rest = sum(estimates[p] for p in PHASES[PHASES.index(phase) + 1:])
    overdue = elapsed > expected * 2 + LATE_GRACE_SECONDS
    return max(0.0, expected - elapsed) + rest, overdue


LATE_GRACE_SECONDS = 60


def estimate_words(remaining: tuple[float, bool] | None) -> str | None:
    """The estimate in the reader's terms: "about 3 minutes", or that it is running late."""
    if remaining is None:
        return None
    seconds, overdue = remaining
    if overdue:
        return "Running late — we will email you as soon as it is ready."
    if seconds < 45:
        return "Almost done: less than a minute to go."
    minutes = max(1, round(seconds / 60))
    if minutes == 1:
        return "About a minute to go."
    if minutes < 90:
        return f"About {minutes} minutes to go."
    return f"About {round(minutes / 60)} hour{'s' if round(minutes / 60) > 1 else ''} to go."


# Where each engine phase starts and the next one begins on the bar (compass.engine's
# progress calls): within a long phase the bar moves with the time it usually takes.
PHASE_SPANS: dict[str, tuple[int, int]] = {
    "rewrite": (2, 8), "research": (8, 18), "sample": (18, 70), "vote": (70, 74),
    "grouper": (74, 88), "proposal": (74, 88), "review": (88, 100),
}
# Never more than this share of a phase's span from the clock alone: the rest waits for
# the work itself to report.
_CLOCK_SHARE = 0.85


def shown_percent(db: sqlite_utils.Database, order: dict,
                  now: dt.datetime | None = None) -> int:
    """The bar's value: what the worker reported, moved on within the current phase by the
    share of its usual (measured) duration that has passed, never into the next phase;
    100 only for a finished report."""
    if order["status"] == "completed":
        return 100
    reported = int(order.get("progress_percent") or 0)
    phase, started = order.get("phase"), order.get("phase_started_at")
    if order["status"] != "processing" or phase not in PHASE_SPANS or not started:
        return min(99, reported)
    low, high = PHASE_SPANS[phase]
    expected = phase_estimates(db, order["tier"]).get(phase) or 0.0
    elapsed = ((now or clock.now()) - clock.parse(started)).total_seconds()
    share = min(_CLOCK_SHARE, elapsed / expected) if expected > 0 else 0.0
    return min(99, max(reported, int(low + (high - low) * share)))
