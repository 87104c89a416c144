"""What every process does before its first request, job or command.

Called in one place per process: app.create_app (web), jobs/__init__.py (worker) and
compass.cli.main (the command line). It registers the order lifecycle's hooks here,
explicitly, rather than as a side effect of whichever modules a process happens to
import, so that every process that moves an order sends its email and refunds a failed
order (tests/test_startup.py checks each process has the full set).
"""

from __future__ import annotations

from compass import lifecycle, notifications, referrals, refunds

# In the transaction of every transition, in this order: the transition's email row
# (queued once it commits), then the refund row of an order that failed, then the
# referral of an order paid (its reward falls due) or refunded (it earns none).
TRANSITION_HOOKS: tuple[lifecycle.TransitionHook, ...] = (
    notifications.on_order_transition,
    refunds.refund_failed_order,
    referrals.on_order_transition,
)


def start_process() -> None:
    """Idempotent: safe to call again (tests, a CLI command run in-process)."""
    for hook in TRANSITION_HOOKS:
        lifecycle.on_transition(hook)
