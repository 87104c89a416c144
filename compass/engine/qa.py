"""Quality assurance: deterministic checks after every call, a score at the end.

Deterministic checks (no model call) run on every answer: not truncated, valid JSON, the
phase's schema with its limits, and the phase's own consistency rules. A failed answer is
retried by the engine with the problems attached. At the end the review phase (a model
call) judges relevance and unsupported claims; `score_report` combines it with the
deterministic grounding checks below into a 1–10 score where 7 passes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from compass.engine.models import DIMENSIONS, PHASE_MODELS, PhaseModel, Review

PASS_SCORE = 7
MAX_SCORE = 10


@dataclass
class Checked:
    """An answer after the deterministic checks: the parsed value, or what is wrong."""

    value: PhaseModel | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.value is not None and not self.problems


def _describe(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "answer"
    return f"{where}: {error['msg']}"


def check_answer(phase: str, text: str, stop_reason: str,
                 expected_names: list[str] | None = None) -> Checked:
    """Run every deterministic check on one answer of `phase`.

    `expected_names` are the selected workflows' names, which the grouper and proposal
    must use exactly and completely.
    """
    if stop_reason == "max_tokens":
        return Checked(None, ["the answer was cut off at the output token limit (truncated)"])
    if stop_reason == "refusal":
        return Checked(None, ["the model declined to answer"])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return Checked(None, [f"the answer is not valid JSON ({error.msg} at char {error.pos})"])
    if not isinstance(data, dict):
        return Checked(None, ["the answer must be one JSON object"])
    try:
        value = PHASE_MODELS[phase].model_validate(data)
    except ValidationError as error:
        problems = [_describe(e) for e in error.errors(include_url=False)[:12]]
        return Checked(None, problems)
    return Checked(value, _consistency_problems(phase, value, expected_names or []))


def _consistency_problems(phase: str, value: PhaseModel, expected: list[str]) -> list[str]:
    problems: list[str] = []
    if phase == "sample":
        names = [w.name.strip().lower() for w in value.workflows]  # type: ignore[attr-defined]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            problems.append(f"workflows repeated under the same name: {', '.join(duplicates)}")
        domains = {w.domain for w in value.workflows}  # type: ignore[attr-defined]
        if len(domains) < 3:
            problems.append(f"only {len(domains)} functional domains covered; need 3 or more")
    elif phase == "readiness":
        scored = [d.dimension for d in value.dimensions]  # type: ignore[attr-defined]
        missing = [d for d in DIMENSIONS if d not in scored]
        twice = sorted({d for d in scored if scored.count(d) > 1})
        if missing:
            problems.append(f"readiness leaves out the dimension(s): {', '.join(missing)}")
        if twice:
            problems.append(f"readiness scores a dimension twice: {', '.join(twice)}")
    elif phase == "grouper":
        placed = [n for stage in value.stages for n in stage.workflow_names]  # type: ignore[attr-defined]
        missing = [n for n in expected if n not in placed]
        unknown = [n for n in placed if n not in expected]
        twice = sorted({n for n in placed if placed.count(n) > 1})
        if missing:
            problems.append(f"roadmap leaves out: {'; '.join(missing)}")
        if unknown:
            problems.append(f"roadmap names workflows that were not selected: {'; '.join(unknown)}")
        if twice:
            problems.append(f"roadmap places a workflow in two stages: {'; '.join(twice)}")
    elif phase == "proposal":
        planned = [w.name for w in value.workflows]  # type: ignore[attr-defined]
        missing = [n for n in expected if n not in planned]
        unknown = [n for n in planned if n not in expected]
        if missing:
            problems.append(f"proposal has no plan for: {'; '.join(missing)}")
        if unknown:
            problems.append(f"proposal plans unselected workflows: {'; '.join(unknown)}")
        for plan in value.workflows:  # type: ignore[attr-defined]
            for name in ("tool_cost_per_month_usd", "hours_saved_per_week"):
                spread = getattr(plan, name)
                if spread.low > spread.high:
                    problems.append(f"{plan.name}: {name} has low {spread.low} above high "
                                    f"{spread.high}")
    return problems


# -- the end-of-run score ---------------------------------------------------------------------

def _normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", name.lower()).strip()


def ungrounded_tools(workflows: list[dict], research: dict, customer_text: str) -> list[str]:
    """Tools in the report that neither the research nor the customer mentioned.

    A tool the model names without having listed it in research is the commonest
    hallucination; it is checked here without a model call.
    """
    known = {_normalise(tool["name"]) for tool in research.get("tools", [])}
    customer = _normalise(customer_text)
    found = []
    for workflow in workflows:
        for tool in workflow.get("tools", []):
            key = _normalise(tool)
            if not key or key in known or f" {key} " in f" {customer} ":
                continue
            # "Zapier" grounds "Zapier Tables"; the research listing is the authority.
            if any(key.startswith(k) or k.startswith(key) for k in known):
                continue
            if tool not in found:
                found.append(tool)
    return found


@dataclass
class Score:
    score: int
    passed: bool
    checks: list[dict]
    feedback: dict

    def as_dict(self) -> dict:
        return {"score": self.score, "passed": self.passed, "pass_score": PASS_SCORE,
                "checks": self.checks}


def score_report(review: Review, *, ungrounded: list[str], relevance: float) -> Score:
    """Combine the model's review with the deterministic findings into one 1–10 score."""
    checks = [
        {"name": "Reviewer's overall judgement", "passed": review.score >= PASS_SCORE,
         "detail": f"{review.score}/10"},
        {"name": "Relevance to the customer's description",
         "passed": review.relevance_score >= PASS_SCORE,
         "detail": f"{review.relevance_score}/10 — {review.relevance_notes}"},
        {"name": "No invented tools, vendors or figures", "passed": not review.unsupported_claims,
         "detail": "; ".join(review.unsupported_claims) or "none found"},
        {"name": "Every tool grounded in research or the customer's text",
         "passed": not ungrounded, "detail": ", ".join(ungrounded) or "all grounded"},
        {"name": "Keyword overlap with the customer's text", "passed": relevance >= 0.15,
         "detail": f"{relevance:.2f} (informational)"},
    ]
    # Keyword overlap is reported but not scored: the selection it measures is fixed before
    # the review, so a revision could never repair it, and the reviewer judges relevance.
    score = min(review.score, review.relevance_score + 1)
    score -= min(3, len(ungrounded))
    score = max(1, min(MAX_SCORE, score))
    feedback = {
        "score": score,
        "issues": review.issues,
        "unsupported_claims": review.unsupported_claims,
        "ungrounded_tools": ungrounded,
        "relevance_notes": review.relevance_notes,
    }
    return Score(score=score, passed=score >= PASS_SCORE, checks=checks, feedback=feedback)
