"""The consensus engine: from a customer's form to a report.

rewrite → research → five samples in parallel (one per analyst perspective) → vote by
meaning (or fallback ranking) → select for the tier → roadmap and proposal in parallel →
review and score. A score under 7 sends the synthesis round back with the reviewer's
findings, up to three attempts in all.

Every model call goes through `Run.call`, which makes the ledger the resume checkpoint:
a request already answered successfully in this run is read back from `ai_calls`
instead of being paid for again.
"""

from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import sqlite_utils

from compass import clock, store
from compass.engine import prompts, qa
from compass.engine.models import (
    DOMAIN_LABELS,
    Brief,
    Proposal,
    Readiness,
    Research,
    Review,
    Roadmap,
    Sample,
)
from compass.engine.provider import (
    ModelProvider,
    ModelRequest,
    ModelResponse,
    ProgressCallback,
    ProviderError,
)
from compass.engine.selector import Selection, fallback_rank, select
from compass.engine.voter import Consensus, candidate_id, grouped_vote, vote
from compass.intake import OrderInput
from compass.pricing import cost_microusd
from compass.tiers import FEASIBILITY_RANK, Tier

MAX_RETRIES_PER_CALL = 2
MAX_ATTEMPTS = 3
# The quorum: the vote runs on the samples that answered, and needs at least 3 of them
# (the vote's threshold is 3 agreeing analysts; fewer samples cannot agree on anything).
MIN_SAMPLES = 3
RESULT_VERSION = 1


class EngineFailed(Exception):
    """The engine could not produce a report that passes QA; `reason` says why in plain words."""

    def __init__(self, reason: str, *, retryable: bool = False, systemic: bool = False,
                 kind: str = ""):
        super().__init__(reason)
        self.reason = reason
        # True when the cause is outside the report (the API was down): worth a later retry.
        self.retryable = retryable
        # True when the API refuses our account (key, spend limit, model): no order can run
        # until that is fixed, so the order is held, not failed (compass.outage).
        self.systemic = systemic
        self.kind = kind


class CallFailed(Exception):
    def __init__(self, phase: str, problems: list[str]):
        super().__init__(f"{phase}: {'; '.join(problems)}")
        self.phase = phase
        self.problems = problems


@dataclass
class Progress:
    """Turns engine events into a monotonic percentage and a label a customer understands."""

    callback: ProgressCallback | None
    percent: int = 0

    async def __call__(self, percent: int, phase: str, label: str) -> None:
        self.percent = max(self.percent, min(100, percent))
        if self.callback is None:
            return
        outcome = self.callback(self.percent, phase, label)
        if inspect.isawaitable(outcome):
            await outcome


@dataclass
class Run:
    provider: ModelProvider
    db: sqlite_utils.Database
    run_id: str
    tier: Tier
    model: str
    order_id: int | None
    progress: Progress
    attempt: int = 1
    tokens_used: int = 0
    reused_calls: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    async def call(self, request: ModelRequest, *, expected_names: list[str] | None = None,
                   on_started: Callable[[], None] | None = None):
        """One logical model call: reuse, budget, deterministic QA and up to 2 retries."""
        problems: list[str] = []
        for retry in range(MAX_RETRIES_PER_CALL + 1):
            attempt_request = request if retry == 0 else replace(
                request, prompt=request.prompt + prompts.retry_note(problems))
            response = await self._answer(attempt_request, retry, on_started)
            checked = qa.check_answer(request.phase, response.text, response.stop_reason,
                                      expected_names)
            self._record(attempt_request, retry, response, checked)
            if checked.ok:
                return checked.value
            problems = checked.problems
            if response.stop_reason == "max_tokens":
                # Thinking and answer did not fit: the same budget would stop the same way.
                bigger = prompts.larger_budget(
                    request.max_tokens, self.tier.token_budget - self.tokens_used)
                if bigger is not None:
                    request = replace(request, max_tokens=bigger)
        raise CallFailed(request.phase, problems)

    async def _answer(self, request: ModelRequest, retry: int,
                      on_started: Callable[[], None] | None) -> ModelResponse:
        stored = store.ai_calls.reusable_response(self.db, self.run_id, request.request_hash(),
                                                  self.attempt, retry)
        if stored is not None:
            self.reused_calls += 1
            if on_started:
                on_started()
            return ModelResponse(text=stored["response_text"], stop_reason=stored["stop_reason"],
                                 model=stored["model"], extra={"reused_call_id": stored["id"]})
        if self.tokens_used > self.tier.token_budget:
            raise EngineFailed(
                f"the {self.tier.label} tier's token budget ({self.tier.token_budget:,}) ran out")
        try:
            return await self.provider.complete(request, on_started=on_started)
        except ProviderError as error:
            self._record_error(request, retry, error)
            raise EngineFailed(f"the AI service is not available ({error})",
                               retryable=error.retryable, systemic=error.systemic,
                               kind=error.kind) from error

    def _record(self, request: ModelRequest, retry: int, response: ModelResponse,
                checked: qa.Checked) -> None:
        if "reused_call_id" in response.extra:
            return
        tokens = (response.input_tokens + response.output_tokens + response.cache_read_tokens
                  + response.cache_write_tokens)
        self.tokens_used += tokens
        cost = 0 if self.provider.offline else cost_microusd(
            response.model or request.model, input_tokens=response.input_tokens,
            output_tokens=response.output_tokens, cache_read_tokens=response.cache_read_tokens,
            cache_write_tokens=response.cache_write_tokens)
        store.ai_calls.record(self.db, store.ai_calls.AICall(
            run_id=self.run_id, order_id=self.order_id, phase=request.phase,
            attempt=self.attempt, retry=retry, perspective=request.perspective,
            provider=self.provider.name, model=response.model or request.model,
            request_hash=request.request_hash(), status="ok" if checked.ok else "invalid",
            stop_reason=response.stop_reason, input_tokens=response.input_tokens,
            output_tokens=response.output_tokens, cache_read_tokens=response.cache_read_tokens,
            cache_write_tokens=response.cache_write_tokens, cost_microusd=cost,
            latency_ms=response.latency_ms, error="; ".join(checked.problems) or None,
            response_text=response.text,
        ))

    def _record_error(self, request: ModelRequest, retry: int, error: ProviderError) -> None:
        store.ai_calls.record(self.db, store.ai_calls.AICall(
            run_id=self.run_id, order_id=self.order_id, phase=request.phase,
            attempt=self.attempt, retry=retry, perspective=request.perspective,
            provider=self.provider.name, model=request.model,
            request_hash=request.request_hash(), status="error", error=str(error)[:500],
        ))

    def timed(self, phase: str):
        return _Timer(self.timings, phase)


class _Timer:
    def __init__(self, timings: dict[str, float], phase: str):
        self.timings, self.phase = timings, phase

    def __enter__(self) -> None:
        self.started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = time.perf_counter() - self.started
        self.timings[self.phase] = round(self.timings.get(self.phase, 0.0) + elapsed, 4)


async def run_engine(order_input: OrderInput, tier: Tier, *, provider: ModelProvider,
                     db: sqlite_utils.Database, run_id: str, order_id: int | None = None,
                     progress: ProgressCallback | None = None, model: str | None = None) -> dict:
    """Produce the report for one order. Raises EngineFailed with a plain reason."""
    run = Run(provider=provider, db=db, run_id=run_id, tier=tier, model=model or tier.model,
              order_id=order_id, progress=Progress(progress))
    try:
        return await _run(run, order_input)
    except CallFailed as failure:
        raise EngineFailed(f"the {failure.phase} step kept giving unusable answers "
                           f"({'; '.join(failure.problems[:3])})") from failure


async def _run(run: Run, order_input: OrderInput) -> dict:
    tier, model, report = run.tier, run.model, run.progress
    customer = order_input.for_engine()
    customer_text = " ".join([order_input.industry, order_input.prompt, order_input.pain_point])

    await report(2, "rewrite", "Reading your answers")
    with run.timed("rewrite"):
        brief = _guarded(await run.call(prompts.rewrite_request(tier, model, customer)),
                         order_input)
    await report(8, "research", "Researching how businesses like yours work")
    # The readiness scorecard needs only the brief, so it is written beside the research.
    research, readiness = await asyncio.gather(
        _timed_call(run, "research", prompts.research_request(tier, model, customer,
                                                              brief.model_dump())),
        _timed_call(run, "readiness", prompts.readiness_request(tier, model, customer,
                                                                brief.model_dump())))

    await report(18, "sample", "Five independent analyses under way")
    with run.timed("sample"):
        samples = await _samples(run, customer, brief.model_dump(), research.model_dump())

    await report(70, "vote", "Finding where the analysts agree")
    with run.timed("vote"):
        consensus, grouping = await _group(run, samples)
        consensus.grouping = grouping
        candidates = consensus.clusters if consensus.had_consensus else fallback_rank(
            consensus.clusters, customer_text, brief.keywords)
        selections = select(candidates, tier, customer_text, brief.keywords,
                            pain=order_input.pain_point)
    if not selections:
        raise EngineFailed("the analyses produced no workflow that fits this tier")

    feedback: dict | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        run.attempt = attempt
        workflows = [_drop_tools(s.workflow, feedback) for s in selections]
        roadmap, proposal = await _synthesis(run, customer, brief, research, workflows, feedback)
        draft = _report(workflows, roadmap, proposal)
        await report(88, "review", "Checking the report's quality")
        with run.timed("review"):
            review: Review = await run.call(prompts.review_request(
                tier, model, customer, research.model_dump(), draft))
        relevance = statistics.fmean(s.relevance for s in selections)
        pain = qa.pain_addressed(workflows, order_input.pain_point)
        score = qa.score_report(
            review, relevance=relevance,
            ungrounded=qa.ungrounded_tools(workflows, research.model_dump(), customer_text),
            pain=pain, flagged=_flagged(order_input, brief))
        if score.passed:
            break
        # The revision number keeps a revision's request distinct from the last one, so the
        # ledger never hands back the rejected draft as if it were a new answer.
        feedback = {**score.feedback, "revision": attempt}
        if review.relevance_score < qa.PASS_SCORE or not pain.addressed:
            # The selection itself missed the customer's point: choose again, relevance first.
            selections = select(candidates, tier, customer_text, brief.keywords,
                                focus_on_relevance=True, pain=order_input.pain_point)
        if attempt < MAX_ATTEMPTS:
            await report(72, "proposal", f"Quality review asked for changes — revising "
                                         f"(attempt {attempt + 1} of {MAX_ATTEMPTS})")
    else:
        raise EngineFailed(f"the report scored {score.score}/10 in quality review after "
                           f"{MAX_ATTEMPTS} attempts (7 is needed)")

    await report(100, "done", "Your report is ready")
    return _result(run, order_input, brief, research, readiness, consensus, selections,
                   workflows, roadmap, proposal, review, score)


def _guarded(brief: Brief, order_input: OrderInput) -> Brief:
    """The brief with any instruction the form smuggled in moved to flagged_instructions:
    whatever the model did with it, the analysts never read it as the customer's words."""
    clean, _ = qa.guard_brief(brief.model_dump(), order_input.pain_point)
    return Brief.model_validate(clean)


def _guarded_proposal(proposal: Proposal) -> dict:
    """What the customer reads of the proposal, without instruction-like sentences."""
    out = {k: v for k, v in proposal.model_dump().items() if k != "workflows"}
    out["executive_summary"] = qa.guard_summary(out["executive_summary"])
    for key in ("recommendations", "next_steps"):
        out[key] = [item for item in out[key] if not qa.instruction_like(item)]
    return out


def _flagged(order_input: OrderInput, brief: Brief) -> list[str]:
    """Instruction-like text in the form or the brief made from it (for the admin's eyes)."""
    found = qa.instruction_like(" \n".join([order_input.company_name, order_input.industry,
                                            order_input.prompt, order_input.pain_point]))
    found += [f"in the brief: {s}" for s in qa.instruction_like(" \n".join(
        [brief.company_summary, brief.core_problem, *brief.goals, *brief.constraints]))]
    return found


async def _group(run: Run, samples: list[Sample]) -> tuple[Consensus, dict]:
    """Which candidates are the same idea: one call on the cheapest model when there is a
    real one, checked deterministically; the lexicon voter for the offline model and
    whenever the model's grouping fails its checks."""
    workflows = [[w.model_dump() for w in s.workflows] for s in samples]
    perspectives = [s.perspective for s in samples]
    lexicon = {"method": "lexicon"}
    if run.provider.offline:
        return vote(workflows, perspectives, min_votes=3), lexicon
    candidates = [{"id": candidate_id(n, i), "name": w["name"], "description": w["description"]}
                  for n, sample in enumerate(workflows) for i, w in enumerate(sample)]
    ids = [c["id"] for c in candidates]
    try:
        answer = await run.call(prompts.clustering_request(run.tier, run.model, candidates),
                                expected_names=ids)
    except CallFailed as failure:
        return vote(workflows, perspectives, min_votes=3), {
            **lexicon, "fallback": f"the clustering call failed: {'; '.join(failure.problems[:2])}"}
    consensus, split = grouped_vote(workflows, perspectives,
                                    [g.ids for g in answer.groups], min_votes=3)
    if len(split) > len(ids) // 10:
        # Too many members the lexicon is sure do not belong: do not trust this grouping.
        return vote(workflows, perspectives, min_votes=3), {
            **lexicon, "fallback": f"{len(split)} members of the model's groups share nothing "
                                   "with their group"}
    return consensus, {"method": "model", "model": prompts.clustering_model(run.model),
                       "split": split[:10]}


async def _timed_call(run: Run, phase: str, request: ModelRequest):
    with run.timed(phase):
        return await run.call(request)


async def _samples(run: Run, customer: dict, brief: dict, research: dict) -> list[Sample]:
    """The five perspectives, concurrently, with the shared prefix cached once.

    The first sample goes alone until the API has processed its prompt (and so written the
    cache); the other four then start and read the prefix from cache.
    """
    context = prompts.sample_context(customer, brief, research)
    requests = [prompts.sample_request(run.tier, run.model, context, p)
                for p in prompts.PERSPECTIVES]
    cache_written = asyncio.Event()
    done = 0

    async def one(request: ModelRequest, leader: bool) -> Sample | CallFailed | EngineFailed:
        nonlocal done
        try:
            if leader:
                try:
                    sample = await run.call(request, on_started=cache_written.set)
                finally:
                    cache_written.set()
            else:
                await cache_written.wait()
                sample = await run.call(request)
        except CallFailed as failure:
            sample = failure
        except EngineFailed as failure:
            if failure.systemic:
                raise  # no sample can succeed: stop the run, the order is held
            # One analyst's call failed after its retries: the vote runs on the others.
            sample = failure
        done += 1
        await run.progress(18 + done * 10, "sample",
                           f"Comparing five independent analyses: {done} of 5 done")
        return sample

    outcomes = await asyncio.gather(*(one(r, i == 0) for i, r in enumerate(requests)))
    samples = [s for s in outcomes if isinstance(s, Sample)]
    if len(samples) < MIN_SAMPLES:
        # An unreachable API is worth a later retry of the order; bad answers are not.
        failures = [s for s in outcomes if not isinstance(s, Sample)]
        raise next((f for f in failures if isinstance(f, EngineFailed)), failures[0])
    return samples


async def _synthesis(run: Run, customer: dict, brief: Brief, research: Research,
                     workflows: list[dict], feedback: dict | None) -> tuple[Roadmap, Proposal]:
    """Roadmap and proposal depend only on the selection, so they run side by side."""
    names = [w["name"] for w in workflows]
    finished = 0
    await run.progress(74, "proposal", "Writing your roadmap and recommendations")

    async def timed_call(phase: str, request: ModelRequest):
        nonlocal finished
        with run.timed(phase):
            value = await run.call(request, expected_names=names)
        finished += 1
        await run.progress(74 + finished * 6, phase, "Writing your roadmap and recommendations")
        return value

    roadmap, proposal = await asyncio.gather(
        timed_call("grouper", prompts.grouper_request(run.tier, run.model, brief.model_dump(),
                                                      workflows)),
        timed_call("proposal", prompts.proposal_request(
            run.tier, run.model, customer, brief.model_dump(), research.model_dump(),
            workflows, feedback)),
    )
    return roadmap, proposal


def _drop_tools(workflow: dict, feedback: dict | None) -> dict:
    """Remove tools the last review could not ground, keeping at least one."""
    if not feedback or not feedback.get("ungrounded_tools"):
        return dict(workflow)
    flagged = set(feedback["ungrounded_tools"])
    kept = [t for t in workflow["tools"] if t not in flagged]
    return {**workflow, "tools": kept or workflow["tools"][:1]}


def _report(workflows: list[dict], roadmap: Roadmap, proposal: Proposal) -> dict:
    """The draft the reviewer sees: what the customer would read."""
    return {"workflows": workflows, "roadmap": roadmap.model_dump(),
            "proposal": proposal.model_dump()}


def _consensus_summary(consensus: Consensus, selections: list[Selection]) -> dict:
    method = "consensus" if consensus.had_consensus else "fallback"
    agreed_selected = sum(s.cluster.votes >= consensus.min_votes for s in selections)
    if consensus.had_consensus:
        # Over what the report presents, not over every agreed idea: an exploratory pick
        # (fewer than min_votes analysts) counts for far less than an agreed one.
        samples = max(1, consensus.samples)
        confidence = round(100 * statistics.fmean(
            (0.75 if s.cluster.votes >= consensus.min_votes else 0.3)
            + 0.25 * min(1.0, s.cluster.votes / samples) for s in selections))
    else:
        confidence = round(60 + 25 * statistics.fmean(s.score for s in selections))
    return {
        "method": method,
        "had_consensus": consensus.had_consensus,
        "samples": consensus.samples,
        # The quorum rule lets the vote run on fewer answers than analysts asked: say so.
        "analysts_asked": len(prompts.PERSPECTIVES),
        "min_votes": consensus.min_votes,
        "agreed": len(consensus.agreed),
        # Of the workflows in the report: how many the analysts agreed on; the rest are
        # exploratory and labelled so everywhere.
        "selected": len(selections),
        "selected_agreed": agreed_selected,
        "candidates": len(consensus.clusters),
        "grouping": consensus.grouping,
        "strength": round(consensus.strength, 3),
        "confidence_percent": max(0, min(100, confidence)),
        "top": [{"name": c.representative["name"], "votes": c.votes,
                 "perspectives": c.perspectives, "names": c.names[:5]}
                for c in consensus.clusters[:15]],
    }


def _considered(consensus: Consensus, selections: list[Selection], tier: Tier) -> list[dict]:
    """Every candidate the analysts proposed, with its votes and, if left out, why."""
    chosen = {id(s.cluster) for s in selections}
    twin_of = {id(c): s.workflow["name"] for s in selections for c in s.duplicates}
    covered: dict[str, list[str]] = {}
    for s in selections:
        covered.setdefault(s.domain, []).append(s.workflow["name"])
    ceiling = FEASIBILITY_RANK[tier.max_feasibility]
    rows = []
    for cluster in consensus.clusters:
        idea = cluster.representative
        domain = str(idea.get("domain"))
        if id(cluster) in chosen:
            reason = ""
        elif id(cluster) in twin_of:
            reason = (f"Solves the same problem as “{twin_of[id(cluster)]}”, which was chosen; "
                      "the slot went to a different idea.")
        elif consensus.had_consensus and cluster.votes < consensus.min_votes:
            reason = (f"Proposed by {cluster.votes} of {consensus.samples} analysts; "
                      f"{consensus.min_votes} had to agree, and the exploratory places went "
                      "to ideas ranked higher." if any(
                          s.cluster.votes < consensus.min_votes for s in selections) else
                      f"Proposed by {cluster.votes} of {consensus.samples} analysts; "
                      f"{consensus.min_votes} had to agree.")
        elif FEASIBILITY_RANK.get(str(idea.get("feasibility")), 1) > ceiling:
            reason = (f"{str(idea.get('feasibility')).capitalize()} to build: beyond what the "
                      f"{tier.label} tier plans for.")
        elif len(covered.get(domain, [])) >= 2:
            reason = (f"{DOMAIN_LABELS.get(domain, domain)} is already covered by "
                      f"“{covered[domain][0]}” and “{covered[domain][1]}”.")
        else:
            reason = ("Agreed, but ranked below the chosen workflows on relevance to what "
                      "you described, feasibility and impact.")
        rows.append({"name": idea.get("name"), "domain": domain,
                     "domain_label": DOMAIN_LABELS.get(domain, domain),
                     "feasibility": idea.get("feasibility"), "votes": cluster.votes,
                     "selected": not reason, "why_not": reason})
    return rows


def _result(run: Run, order_input: OrderInput, brief: Brief, research: Research,
            readiness: Readiness, consensus: Consensus, selections: list[Selection],
            workflows: list[dict], roadmap: Roadmap, proposal: Proposal, review: Review,
            score: qa.Score) -> dict:
    plans = {plan.name: plan.model_dump() for plan in proposal.workflows}
    return {
        "version": RESULT_VERSION,
        "run_id": run.run_id,
        "tier": run.tier.name,
        "model": run.model,
        "offline": run.provider.offline,
        "generated_at": clock.now_iso(),
        "company": {"name": order_input.company_name, "industry": order_input.industry,
                    "size": order_input.company_size_label,
                    "website": order_input.company_website},
        "brief": brief.model_dump(),
        "research": research.model_dump(),
        "readiness": qa.scrub(readiness.model_dump()),
        # The customer's own answers: the report's money is arithmetic on these.
        "answers": order_input.readiness_answers(labels=False),
        "workflows": [
            {**workflow, **plans[workflow["name"]],
             "domain_label": DOMAIN_LABELS[workflow["domain"]], "rank": rank,
             "votes": selection.cluster.votes, "perspectives": selection.cluster.perspectives,
             "agreed": selection.cluster.votes >= consensus.min_votes,
             "also_called": [n for n in selection.cluster.names if n != workflow["name"]][:4],
             "relevance": round(selection.relevance, 3), "selection_score":
             round(selection.score, 3), "selection_reasons": selection.reasons}
            for rank, (selection, workflow) in enumerate(zip(selections, workflows,
                                                                strict=True), start=1)
        ],
        "roadmap": roadmap.model_dump(),
        "proposal": _guarded_proposal(proposal),
        "consensus": _consensus_summary(consensus, selections),
        "considered": _considered(consensus, selections, run.tier),
        "qa": {**score.as_dict(), "attempts": run.attempt, "review": review.model_dump()},
        "usage": usage(run.db, run.run_id, reused=run.reused_calls),
        "timings": run.timings,
    }


def usage(db: sqlite_utils.Database, run_id: str, *, reused: int = 0) -> dict:
    """Token and cost totals of a run, from the ledger (calls of earlier, crashed tries too)."""
    calls = store.ai_calls.for_run(db, run_id)
    totals = {key: sum(c[key] for c in calls) for key in (
        "input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens",
        "cost_microusd")}
    return {
        "calls": len(calls),
        "calls_retried": sum(1 for c in calls if c["status"] == "invalid"),
        "calls_reused": reused,
        **totals,
        "cost_usd": round(totals["cost_microusd"] / 1_000_000, 4),
    }
