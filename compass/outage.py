"""When the model API refuses our account: hold the orders, tell the admins, resume alone.

A systemic error (see compass.engine.provider.ProviderError: key rejected, no permission,
spend limit reached, request format or model refused) is our outage, not the customer's
failure. The first one opens an incident: every admin gets one email with the API's own
message, /readyz turns red, /admin shows a banner. Every paid order that reaches the engine
while the incident is open is held (compass.lifecycle.hold) without calling the API. A
probe, one small call every AI_PROBE_SECONDS (a chain of delayed jobs, and the worker's
minute reconcile as a safety net), closes the incident when it succeeds and queues every
held order again; the engine resumes each from its call ledger. Nobody has to act but the
person who fixes the key or the limit.
"""

from __future__ import annotations

import functools
import json
import logging
from typing import Any

import sqlite_utils

from compass import clock, lifecycle, mail, queue, store
from compass.settings import get_settings
from compass.tiers import TIERS

log = logging.getLogger(__name__)

KIND_LABELS = {
    "authentication": "the API key was rejected",
    "permission": "the API key is not allowed to do this",
    "billing": "the account has a billing problem",
    "spend_limit": "the spend limit is reached",
    "invalid_request": "the API rejects our requests as invalid",
    "model_not_found": "the model is not available to this account",
}


def current(db: sqlite_utils.Database) -> dict | None:
    """The open incident, if any."""
    return store.incidents.open_incident(db)


def describe(incident: dict) -> str:
    label = KIND_LABELS.get(incident["kind"], incident["kind"])
    return f"The AI service refuses our calls: {label}"


def report_systemic(db: sqlite_utils.Database, *, kind: str, status: int | None,
                    message: str, model: str | None) -> dict:
    """Open an incident unless one is open (in the caller's transaction); return it.

    Opening one queues the admins' alert (once per incident and admin) and the first probe.
    """
    incident_id = store.incidents.insert(db, kind=kind or "unknown", status=status,
                                         message=message[:2000], model=model)
    incident = current(db)
    assert incident is not None
    if incident_id is not None:
        log.error("AI service outage: %s (%s)", describe(incident), message)
        _alert_admins(db, incident)
        delay = get_settings().AI_PROBE_SECONDS
        store.after_commit(db, lambda: queue.probe_ai_service(delay))
    return incident


def _alert_admins(db: sqlite_utils.Database, incident: dict) -> None:
    settings = get_settings()
    if not settings.admin_emails:
        log.error("no ADMIN_EMAILS: nobody is told that the AI service refuses our calls")
        return
    context = {"what": describe(incident), "message": incident["message"],
               "status": incident["status"], "model": incident["model"] or "",
               "opened_at": incident["opened_at"], "probe_seconds": settings.AI_PROBE_SECONDS}
    for admin in sorted(settings.admin_emails):
        key = f"ai_outage:{incident['id']}:{admin}"
        email_id = store.emails.insert(
            db, order_id=None, kind="ai_outage", dedupe_key=key, to_address=admin,
            subject=mail.subject_for("ai_outage", context), context_json=json.dumps(context),
            message_id=mail.message_id_for(key.replace(":", "."), settings))
        if email_id is not None:
            store.after_commit(db, functools.partial(queue.send_email, email_id))


def hold(db: sqlite_utils.Database, order_id: int, incident: dict) -> bool:
    return lifecycle.hold(db, order_id, describe(incident))


def resume_held(db: sqlite_utils.Database, reason: str) -> list[str]:
    """Release every held order and queue it again. Returns their order numbers."""
    resumed = []
    with store.transaction(db):
        for order in store.orders.held(db):
            if lifecycle.release_hold(db, order["id"], reason):
                resumed.append(order["order_number"])
                store.after_commit(db, functools.partial(queue.process_order, order["id"],
                                                         order["tier"]))
    # Premium revisions that waited, queued, are asked for again (a duplicate is harmless:
    # the job claims its row).
    for revision_id in store.revisions.to_resume(db, stale_before=clock.now_iso()):
        queue.revise_report(revision_id)
    if resumed:
        log.warning("AI service back: resumed %s", ", ".join(resumed))
    return resumed


def model_for_tier(tier: str) -> str:
    """The model a tier's calls use (the probe asks the one that failed)."""
    return get_settings().model_for(tier) or TIERS[tier].model


def probe_model(incident: dict) -> str:
    return incident["model"] or TIERS["starter"].model


async def probe(db: sqlite_utils.Database, provider: Any = None) -> str:
    """Try the API once if an incident is open. Returns "none", "down" or "resumed"."""
    incident = current(db)
    if incident is None:
        # Orders held by a process that died between holding and opening: let them go.
        if store.orders.held(db):
            resume_held(db, "no AI service incident is open")
        return "none"
    own = provider is None
    if own:
        from compass.engine.provider import build_provider

        provider = build_provider(get_settings())
    try:
        if hasattr(provider, "probe"):
            await provider.probe(probe_model(incident))
    except Exception as exc:  # any failure: still down; say why
        with store.transaction(db):
            store.incidents.record_probe(db, incident["id"], str(exc)[:500])
        log.warning("AI service probe failed: %s", exc)
        return "down"
    finally:
        if own:
            await provider.aclose()
    with store.transaction(db):
        store.incidents.record_probe(db, incident["id"], None)
        store.incidents.close(db, incident["id"])
    log.warning("AI service probe succeeded: incident %s closed", incident["id"])
    resume_held(db, "the AI service accepts calls again")
    return "resumed"
