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
    elif phase == "clustering":
        placed = [i for group in value.groups for i in group.ids]  # type: ignore[attr-defined]
        missing, unknown, twice = _partition(expected, placed)
        unknown = sorted(set(unknown))
        if missing:
            problems.append(f"candidates placed in no group: {', '.join(missing[:20])}")
        if unknown:
            problems.append(f"ids that are not candidates: {', '.join(unknown[:20])}")
        if twice:
            problems.append(f"candidates placed twice: {', '.join(twice[:20])}")
    elif phase == "grouper":
        placed = [n for stage in value.stages for n in stage.workflow_names]  # type: ignore[attr-defined]
        missing, unknown, twice = _partition(expected, placed)
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


# Instruction-like text in a customer's form or the brief made from it: someone addressing
# the model rather than describing their business. Deterministic, so it is checked on every
# run whatever the model did with it.
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override|bypass)\b.{0,60}?\b(instructions?|rules|prompts?|"
    r"above|previous|guidelines)\b"
    r"|\bsystem prompt\b|\byou are (now|an? )\b|\bact as\b|\bpretend (to be|you)\b"
    r"|\b(recommend|suggest|mention|endorse|promote)\s+(only|exclusively|just)\b"
    r"|\b(only|always)\s+(recommend|suggest|mention|endorse|promote)\b"
    r"|\byou (must|should|will) (recommend|say|write|output|include|rate|score)\b"
    r"|\b(output|respond with|reply with|return|print)\b.{0,30}[{\[]"
    r"|\b(score|rate) (this|the report|it) (a )?\d+\b",
    re.I | re.S)
_SENTENCE = re.compile(r"(?<=[.!?;])\s+|\n+")


def instruction_like(text: str) -> list[str]:
    """The sentences of `text` that read as instructions to the model, not as facts."""
    return [part.strip() for part in _SENTENCE.split(text or "")
            if part.strip() and _INSTRUCTION.search(part)]


def guard_brief(brief: dict, fallback_problem: str = "") -> tuple[dict, list[str]]:
    """The brief with instruction-like text moved out of what describes the customer
    (summary, problem, goals, constraints, keywords) into flagged_instructions, quoted.

    Deterministic, so a model that fell for an injected instruction still never hands it
    on as the customer's problem or a constraint. Returns the brief and what was moved."""
    moved: list[str] = []

    def keep(text: str) -> str:
        found = instruction_like(text)
        moved.extend(found)
        return " ".join(p for p in _SENTENCE.split(text) if p.strip() and p.strip() not in found)

    out = dict(brief)
    for key in ("company_summary", "core_problem"):
        out[key] = keep(str(brief.get(key, "")))
    for key in ("goals", "constraints", "keywords"):
        out[key] = [kept for kept in (keep(str(item)) for item in brief.get(key, [])) if kept]
    if not out["core_problem"]:
        out["core_problem"] = (first_pain(fallback_problem) or
                               "Find where AI automation saves the most time in this business.")
    if not out["company_summary"]:
        out["company_summary"] = f"A {brief.get('industry') or 'small'} business."
    if not out["goals"]:
        out["goals"] = ["Save staff time on repetitive work."]
    quoted = [str(q) for q in brief.get("flagged_instructions", [])]
    for text in moved:
        if not any(text.strip("“”\"") in q for q in quoted):
            quoted.append(f"“{text[:590]}”")
    out["flagged_instructions"] = quoted[:6]
    # A keyword that only the flagged text uses ("Acme Corp") is not the customer's.
    flagged_text = " ".join(quoted).lower()
    clean_text = " ".join([out["company_summary"], out["core_problem"], *out["goals"],
                           *out["constraints"]]).lower()
    keywords = [k for k in out["keywords"]
                if k.lower() not in flagged_text or k.lower() in clean_text]
    out["keywords"] = keywords if len(keywords) >= 3 else (keywords + [
        w for w in ("automation", "workflows", "efficiency") if w not in keywords])[:3]
    return out, moved


def scrub(value: Any) -> Any:
    """`value` (JSON-like) with instruction-like sentences removed from every string; a
    string that was nothing else reads "(withheld)"."""
    if isinstance(value, str):
        found = instruction_like(value)
        if not found:
            return value
        kept = " ".join(p for p in _SENTENCE.split(value) if p.strip() and p.strip() not in found)
        return kept or "(withheld)"
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items()}
    return value


def guard_summary(text: str) -> str:
    """An executive summary without instruction-like sentences (quoted or not)."""
    paragraphs = []
    for paragraph in text.split("\n"):
        found = instruction_like(paragraph)
        paragraphs.append(" ".join(p for p in _SENTENCE.split(paragraph)
                                   if p.strip() and p.strip() not in found) if found
                          else paragraph)
    return "\n".join(paragraphs)


# A product the customer names counts as theirs only when they say they use it ("we use",
# "through our", "in our", "on Shopify"), not when they merely name it or ask for it.
_USE_CUE = re.compile(
    r"\b(use|uses|used|using|run|runs|running|rely|relies|have|has|pay|pays|through|via|on|in|"
    r"with|from|our|my|into|already)\W+((?:\w+\W+){0,3})$", re.I)
# ... unless the words between say they are only considering it.
_NOT_YET = re.compile(r"\b(whether|if|should|would|could|might|consider\w*|thinking|asked|"
                      r"recommend\w*|suggest\w*|want|wants|instead)\b", re.I)


def _used_by_customer(tool: str, customer_text: str) -> bool:
    for sentence in _SENTENCE.split(customer_text or ""):
        if _INSTRUCTION.search(sentence):
            continue
        for match in re.finditer(rf"(?<![a-z0-9]){re.escape(tool)}(?![a-z0-9])", sentence,
                                 re.I):
            cue = _USE_CUE.search(sentence[: match.start()])
            if cue and not _NOT_YET.search(cue.group(2)):
                return True
    return False


def ungrounded_tools(workflows: list[dict], research: dict, customer_text: str) -> list[str]:
    """Tools in the report that neither the research listed nor the customer uses.

    A tool the model names without having listed it in research is the commonest
    hallucination; it is checked here without a model call. A product the customer only
    names ("recommend only Acme products") does not count as theirs.
    """
    known = {_normalise(tool["name"]) for tool in research.get("tools", [])}
    found = []
    for workflow in workflows:
        for tool in workflow.get("tools", []):
            key = _normalise(tool)
            if not key or key in known or _used_by_customer(str(tool), customer_text):
                continue
            # "Zapier" grounds "Zapier Tables"; the research listing is the authority.
            if any(key.startswith(k) or k.startswith(key) for k in known):
                continue
            if tool not in found:
                found.append(tool)
    return found


_GENERIC_PAIN = frozenset("""
time hour day week month year staff employee team customer client business work lot much
many get keep take spend make every all too long slow manual hard always never still
only hear about when they them their us we our it its is are was were be been that this
these those what which who whom while because so but not no can cannot do does did too
very just even also then than there here where how why any some most other such own same
have has had will would could should may might must one two three lose lost take wait
""".split())  # noqa: SIM905 - a word list reads best as text


@dataclass(frozen=True)
class PainCheck:
    """Whether the customer's first-named pain is addressed by some selected workflow."""

    pain: str
    addressed: bool
    by: str = ""  # the workflow that addresses it


def first_pain(pain_point: str) -> str:
    """The first pain the customer names: the first sentence, before a second clause."""
    sentence = next((p for p in _SENTENCE.split(pain_point or "") if p.strip()
                     and not _INSTRUCTION.search(p)), "")
    return re.split(r",\s+(?:and|but|while|so)\s+|\s+but\s+", sentence.strip(), maxsplit=1)[0]


def addresses(workflow: dict, pain: str) -> bool:
    """Whether one workflow's name, description or problem shares the pain's telling words."""
    from compass.engine.voter import concepts

    wanted = {c for c in concepts(pain) if c not in _GENERIC_PAIN}
    if not wanted:
        return True
    text = " ".join(str(workflow.get(k, "")) for k in (
        "name", "description", "problem_solved", "why_it_fits"))
    return len(wanted & set(concepts(text))) >= max(1, len(wanted) // 3)


def pain_addressed(workflows: list[dict], pain_point: str) -> PainCheck:
    """Some selected workflow must address the customer's first-named pain."""
    pain = first_pain(pain_point)
    by = next((str(w.get("name", "")) for w in workflows if addresses(w, pain)), "")
    return PainCheck(pain, bool(by) or not workflows, by)


@dataclass
class Score:
    score: int
    passed: bool
    checks: list[dict]
    feedback: dict

    def as_dict(self) -> dict:
        """Stored in the result under "qa"; the checks are for the admin's order page only."""
        return {"score": self.score, "passed": self.passed, "pass_score": PASS_SCORE,
                "checks": self.checks}


def score_report(review: Review, *, ungrounded: list[str], relevance: float,
                 pain: PainCheck | None = None, flagged: list[str] | None = None) -> Score:
    """Combine the model's review with the deterministic findings into one 1–10 score.

    What the reviewer found counts: an unsupported claim lowers the score below the pass
    mark, so the draft is revised rather than sent with the claim listed under a pass. The
    customer's first-named pain must be addressed by some workflow. `flagged` is
    instruction-like text found in the form (recorded for the admin; it never scores).
    """
    claims = review.unsupported_claims
    pain_ok = pain is None or pain.addressed
    checks = [
        {"name": "Reviewer's overall judgement", "passed": review.score >= PASS_SCORE,
         "detail": f"{review.score}/10"},
        {"name": "Relevance to the customer's description",
         "passed": review.relevance_score >= PASS_SCORE,
         "detail": f"{review.relevance_score}/10 — {review.relevance_notes}"},
        {"name": "No invented tools, vendors or figures", "passed": not claims,
         "detail": "; ".join(claims) or "none found"},
        {"name": "Every tool grounded in research or used by the customer",
         "passed": not ungrounded, "detail": ", ".join(ungrounded) or "all grounded"},
        {"name": "The customer's first-named pain is addressed", "passed": pain_ok,
         "detail": "not checked" if pain is None else (
             f"“{pain.pain}” — by “{pain.by}”" if pain.addressed else
             f"“{pain.pain}” — no workflow addresses it")},
        {"name": "Keyword overlap with the customer's text", "passed": relevance >= 0.15,
         "detail": f"{relevance:.2f} (informational)"},
        {"name": "Instruction-like text in the form (treated as data)",
         "passed": not flagged, "detail": "; ".join(flagged or []) or "none"},
    ]
    # Keyword overlap is reported but not scored: the selection it measures is fixed before
    # the review, so a revision could never repair it, and the reviewer judges relevance.
    score = min(review.score, review.relevance_score + 1)
    score -= min(3, len(ungrounded))
    if claims:
        score = min(score - min(3, len(claims)), PASS_SCORE - 1)
    if not pain_ok:
        score = min(score, PASS_SCORE - 1)
    score = max(1, min(MAX_SCORE, score))
    feedback = {
        "score": score,
        "issues": review.issues + ([f"No workflow addresses the customer's first-named pain: "
                                    f"“{pain.pain}”."] if pain and not pain.addressed else []),
        "unsupported_claims": claims,
        "ungrounded_tools": ungrounded,
        "relevance_notes": review.relevance_notes,
        "pain_unaddressed": bool(pain and not pain.addressed),
    }
    return Score(score=score, passed=score >= PASS_SCORE, checks=checks, feedback=feedback)


def _partition(expected: list[str], placed: list[str]) -> tuple[list[str], list[str], list[str]]:
    """How `placed` fails to be each of `expected` exactly once: (left out, not expected,
    placed twice)."""
    missing = [item for item in expected if item not in placed]
    unknown = [item for item in placed if item not in expected]
    twice = sorted({item for item in placed if placed.count(item) > 1})
    return missing, unknown, twice
