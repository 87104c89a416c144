"""The premium revision job: rerun the proposal with the customer's notes.

The revisions table is the truth (compass.revisions): the job claims its row, so a
duplicate or late job does nothing; a job killed mid-run leaves the row `running`, and
the sweep takes it over once it has gone quiet (the call ledger keeps what was paid for).
"""

from __future__ import annotations

import asyncio
import logging

from huey import crontab

from compass import clock, revisions, store
from compass.settings import get_settings
from jobs import huey, job_db

log = logging.getLogger(__name__)


async def _run(db, revision_id: int) -> str:
    from compass.engine.provider import build_provider

    provider = build_provider(get_settings())
    try:
        outcome = await revisions.run_revision(db, revision_id, provider=provider)
    finally:
        await provider.aclose()
    if outcome == "completed":
        revisions.deliver(db, get_settings(), revision_id)
    return outcome


@huey.task(retries=3, retry_delay=120, priority=8)
def revise_report(revision_id: int) -> str:
    with job_db() as db:
        return asyncio.run(_run(db, revision_id))


@huey.periodic_task(crontab(minute="*/10"))
def resume_stalled_revisions() -> int:
    with job_db() as db:
        found = store.revisions.to_resume(
            db, stale_before=clock.iso(clock.now() - revisions.STALE_AFTER))
    for revision_id in found:
        revise_report(revision_id)
    return len(found)


def enqueue_revision(item_id: int) -> None:
    """Put the revision's job on the queue."""
    revise_report(item_id)
