"""Premium's revision: the proposal rewritten with the customer's notes, reviewed again.

The research, the vote and the selection stay as they were (the customer paid for those
workflows); the proposal phase reruns with the notes as feedback, through the same
`Run.call` as the pipeline (ledger, reuse on resume, budgets, deterministic checks), and
the reviewer scores the new draft. Customer notes travel inside a data block, as data.
"""

from __future__ import annotations

import copy
import statistics

import sqlite_utils

from compass import clock
from compass.engine import prompts, qa
from compass.engine.models import DOMAIN_LABELS, Proposal, Review, WorkflowIdea
from compass.engine.pipeline import (
    CallFailed,
    EngineFailed,
    Progress,
    Run,
    usage,
)
from compass.engine.provider import ModelProvider, ProgressCallback
from compass.intake import OrderInput
from compass.tiers import Tier

MAX_ATTEMPTS = 2
NOTES_MAX = 4000
_IDEA_FIELDS = tuple(WorkflowIdea.model_fields)


def _selected(result: dict) -> list[dict]:
    """The workflows as the proposal phase first saw them (the selection's own fields)."""
    workflows = sorted(result.get("workflows") or [], key=lambda w: w.get("rank", 0))
    if not workflows:
        raise EngineFailed("the report to revise has no workflows")
    return [{k: w[k] for k in _IDEA_FIELDS if k in w} for w in workflows]


async def revise_proposal(result: dict, notes: str, order_input: OrderInput, tier: Tier, *,
                          provider: ModelProvider, db: sqlite_utils.Database, run_id: str,
                          order_id: int | None = None, revision_number: int = 1,
                          progress: ProgressCallback | None = None,
                          model: str | None = None) -> dict:
    """A new version of `result` whose proposal answers the customer's `notes`.

    Raises EngineFailed (the current report stays as it is) when no draft passes review.
    `run_id` must be stable for the revision, so a rerun after a crash resumes from the
    ledger instead of paying for the same calls again.
    """
    notes = notes.strip()[:NOTES_MAX]
    if not notes:
        raise EngineFailed("the revision has no notes")
    run = Run(provider=provider, db=db, run_id=run_id, tier=tier,
              model=model or result.get("model") or tier.model, order_id=order_id,
              progress=Progress(progress))
    customer = order_input.for_engine()
    customer_text = " ".join([order_input.industry, order_input.prompt, order_input.pain_point])
    brief, research = result.get("brief") or {}, result.get("research") or {}
    selected = _selected(result)
    names = [w["name"] for w in selected]
    previous = result.get("proposal") or {}
    feedback: dict = {
        "customer_revision_request": notes,
        "revision": revision_number,
        "previous_proposal": {"executive_summary": previous.get("executive_summary", ""),
                              "recommendations": previous.get("recommendations", []),
                              "next_steps": previous.get("next_steps", [])},
    }
    relevance = statistics.fmean(float(w.get("relevance") or 0) for w in result["workflows"])
    try:
        for attempt in range(1, MAX_ATTEMPTS + 1):
            run.attempt = attempt
            await run.progress(20, "proposal", "Rewriting your report with your notes")
            proposal: Proposal = await run.call(prompts.proposal_request(
                tier, run.model, customer, brief, research, selected, feedback),
                expected_names=names)
            draft = {"workflows": selected, "roadmap": result.get("roadmap"),
                     "proposal": proposal.model_dump()}
            await run.progress(70, "review", "Checking the revised report's quality")
            review: Review = await run.call(prompts.review_request(
                tier, run.model, customer, research, draft))
            score = qa.score_report(review, relevance=relevance, ungrounded=qa.ungrounded_tools(
                selected, research, customer_text))
            if score.passed:
                break
            feedback = {**feedback, "reviewer": score.feedback, "attempt": attempt}
        else:
            raise EngineFailed(f"the revised report scored {score.score}/10 in quality review "
                               f"after {MAX_ATTEMPTS} attempts (7 is needed)")
    except CallFailed as failure:
        raise EngineFailed(f"the {failure.phase} step kept giving unusable answers "
                           f"({'; '.join(failure.problems[:3])})") from failure
    await run.progress(100, "done", "Your revised report is ready")
    return _revised(result, proposal, review, score, run, notes, revision_number)


def _revised(result: dict, proposal: Proposal, review: Review, score: qa.Score, run: Run,
             notes: str, revision_number: int) -> dict:
    revised = copy.deepcopy(result)
    plans = {plan.name: plan.model_dump() for plan in proposal.workflows}
    revised["workflows"] = [
        {**w, **plans.get(w["name"], {}),
         "domain_label": w.get("domain_label") or DOMAIN_LABELS.get(w.get("domain", ""), "")}
        for w in revised["workflows"]]
    revised["proposal"] = {k: v for k, v in proposal.model_dump().items() if k != "workflows"}
    revised["qa"] = {**score.as_dict(), "attempts": run.attempt, "review": review.model_dump()}
    revised["generated_at"] = clock.now_iso()
    revised["offline"] = bool(result.get("offline")) or run.provider.offline
    revised["revision"] = {"number": revision_number, "notes": notes, "run_id": run.run_id,
                           "usage": usage(run.db, run.run_id, reused=run.reused_calls)}
    return revised
