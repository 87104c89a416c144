"""The report a customer reads: an order row and the engine's result, as a view model.

One view model feeds the browser page, the PDF and the report-ready email, so they cannot
disagree. Everything here is plain display data (strings, numbers, lists); the templates
autoescape all of it, because most of it was written by the customer or by the model.
Nothing here knows about HTTP.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from compass import charts, clock, report_parts
from compass import money as money_math
from compass.intake import COMPANY_SIZES
from compass.money import Money, WorkflowMoney
from compass.report_parts import Considered, Scorecard
from compass.tiers import get_tier

FEASIBILITY_LABELS = {"simple": "Simple", "moderate": "Moderate", "advanced": "Advanced"}
METHOD_LABELS = {"consensus": "Consensus of five analysts",
                 "fallback": "Ranked by feasibility and relevance (no consensus)"}

NUMBER_WORDS = {3: "three", 4: "four", 5: "five"}


class ReportError(ValueError):
    """The stored result cannot be shown as a report (missing or malformed fields)."""


@dataclass(frozen=True)
class Workflow:
    rank: int
    anchor: str
    name: str
    domain_label: str
    feasibility: str
    description: str
    problem_solved: str
    why_it_fits: str
    tools: list[str]
    implementation_steps: list[str]
    effort: str
    time_to_value: str
    metric: str
    roi_estimate: str
    roi_assumptions: list[str]
    impact: int | None
    votes: int | None
    samples: int
    perspectives: list[str]
    also_called: list[str]
    stage: str
    data_touched: str = ""
    human_review: str = ""
    vendor_question: str = ""
    money: WorkflowMoney | None = None
    weeks: int | None = None
    # Proposed by fewer analysts than had to agree: shown as an idea to explore.
    exploratory: bool = False


@dataclass(frozen=True)
class Stage:
    number: int
    name: str
    timeframe: str
    rationale: str
    # (rank, anchor, name) of each workflow in the stage, in report order.
    workflows: list[tuple[int, str, str]]


@dataclass(frozen=True)
class Consensus:
    method: str
    method_label: str
    had_consensus: bool
    samples: int
    min_votes: int
    agreed: int
    candidates: int
    confidence_percent: int
    confidence_label: str
    explanation: str
    selected: int = 0
    selected_agreed: int = 0
    summary_line: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class Quality:
    score: int
    pass_score: int
    passed: bool
    attempts: int
    checks: list[Check]
    explanation: str


@dataclass(frozen=True)
class Report:
    order_number: str
    public_id: str
    company_name: str
    industry: str
    company_size: str
    website: str
    tier_label: str
    workflow_count: int
    date_label: str
    date_iso: str
    offline: bool
    model: str
    summary_paragraphs: list[str]
    recommendations: list[str]
    next_steps: list[str]
    workflows: list[Workflow]
    stages: list[Stage]
    domains: list[str]
    consensus: Consensus
    quality: Quality
    methodology: list[str]
    report_url: str
    download_url: str
    status_url: str
    # (label, value) pairs for the cover.
    facts: list[tuple[str, str]]
    scorecard: Scorecard | None = None
    money: Money | None = None
    risks: list[str] = field(default_factory=list)
    ai_policy: list[str] = field(default_factory=list)
    chart_value_effort: Markup = field(default_factory=Markup)
    chart_timeline: Markup = field(default_factory=Markup)
    considered: list[Considered] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"AI Readiness Compass — {self.company_name}"

    @property
    def pdf_filename(self) -> str:
        return pdf_filename(self.order_number)


def pdf_filename(order_number: str) -> str:
    """`AI-Readiness-Report-ORD-2026-000123.pdf`: safe in a Content-Disposition header."""
    safe = "".join(c for c in order_number if c.isalnum() or c == "-")
    return f"AI-Readiness-Report-{safe}.pdf"


def date_label(iso: str | None) -> str:
    """'21 November 2026' from a stored UTC ISO time (today when there is none)."""
    moment = clock.parse_or_none(iso) or clock.now()
    return f"{moment.day} {moment:%B %Y}"


def _mapping(value: Any) -> dict:
    """The value when the model's JSON has an object here, else an empty one."""
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return round(value)


def load_result(result_json: str | None) -> dict:
    if not result_json:
        raise ReportError("the order has no result yet")
    try:
        result = json.loads(result_json)
    except ValueError as exc:
        raise ReportError(f"the stored result is not valid JSON: {exc}") from exc
    if not isinstance(result, dict):
        raise ReportError("the stored result is not a JSON object")
    return result


def build_report(order: dict, result: dict, *, base_url: str) -> Report:
    """The report of a completed order. Raises ReportError when the result is unusable."""
    raw_workflows = result.get("workflows")
    if not isinstance(raw_workflows, list) or not raw_workflows:
        raise ReportError("the result has no workflows")
    for index, item in enumerate(raw_workflows, start=1):
        if not isinstance(item, dict) or not _text(item.get("name")):
            raise ReportError(f"workflow {index} has no name")
    tier = get_tier(order["tier"])
    base = base_url.rstrip("/")
    public_id = order["public_id"]
    company = _mapping(result.get("company"))
    raw_consensus = result.get("consensus") or {}
    ordered = sorted(raw_workflows, key=lambda w: _int(w.get("rank"), 10_000))
    stage_of = _stage_names(result.get("roadmap") or {})
    min_votes = _int(raw_consensus.get("min_votes"), 3)
    workflows = [_workflow(item, rank, _int(raw_consensus.get("samples"), 5) or 5, stage_of,
                           min_votes)
                 for rank, item in enumerate(ordered, start=1)]
    consensus = _consensus(raw_consensus, workflows)
    answers = _mapping(result.get("answers"))
    money = money_math.compute([{**item, "rank": rank} for rank, item in
                                enumerate(ordered, start=1)], answers,
                               _size_key(result, order))
    if money is not None:
        by_rank = {m.rank: m for m in money.workflows}
        workflows = [replace(w, money=by_rank.get(w.rank)) for w in workflows]
    proposal = _mapping(result.get("proposal"))
    summary = _text(proposal.get("executive_summary"))
    domains = sorted({w.domain_label for w in workflows if w.domain_label})
    when = order.get("completed_at") or result.get("generated_at")
    company_name = _text(company.get("name")) or "Your business"
    industry, size = _text(company.get("industry")), _text(company.get("size"))
    facts = [("Prepared for", company_name)]
    facts += [("Industry", industry)] if industry else []
    facts += [("Size", size)] if size else []
    facts += [("Report", f"{tier.label} · {len(workflows)} workflows"),
              ("Order", order["order_number"]), ("Date", date_label(when))]
    return Report(
        order_number=order["order_number"],
        public_id=public_id,
        company_name=company_name,
        industry=industry,
        company_size=size,
        website=_text(company.get("website")),
        tier_label=tier.label,
        workflow_count=len(workflows),
        date_label=date_label(when),
        date_iso=(clock.parse_or_none(when) or clock.now()).date().isoformat(),
        offline=bool(result.get("offline")),
        model=_text(result.get("model")),
        summary_paragraphs=[p.strip() for p in summary.split("\n") if p.strip()],
        recommendations=_texts(proposal.get("recommendations")),
        next_steps=_texts(proposal.get("next_steps")),
        workflows=workflows,
        stages=_stages(result.get("roadmap") or {}, workflows),
        domains=domains,
        consensus=consensus,
        quality=_quality(result.get("qa") or {}),
        methodology=_methodology(consensus, tier.label, bool(result.get("offline"))),
        report_url=f"{base}/orders/{public_id}/report",
        download_url=f"{base}/orders/{public_id}/download",
        status_url=f"{base}/status/{public_id}",
        facts=facts,
        scorecard=report_parts.scorecard(result.get("readiness")),
        money=money,
        risks=_texts((result.get("research") or {}).get("risks")),
        ai_policy=_texts(proposal.get("ai_policy")),
        chart_value_effort=_value_effort_chart(workflows, money),
        chart_timeline=_timeline_chart(workflows, result.get("roadmap") or {}),
        considered=report_parts.considered(result.get("considered"), order["tier"]),
    )


def _value_effort_chart(workflows: list[Workflow], money: Money | None) -> Markup:
    points = []
    for w in workflows:
        if w.money is not None:
            points.append(charts.Point(w.rank, w.name, w.money.setup_days,
                                       (w.money.value_low + w.money.value_high) / 2))
        elif w.impact is not None:
            points.append(charts.Point(w.rank, w.name, w.rank, w.impact))
    return charts.value_effort(points, money=money is not None,
                               title="Each workflow's expected return a year against the "
                                     "effort to set it up, numbered by priority")


def _timeline_chart(workflows: list[Workflow], roadmap: dict) -> Markup:
    """Each workflow from its stage's first week until it shows results."""
    stages = [s for s in roadmap.get("stages") or [] if isinstance(s, dict)]
    by_name = {w.name.casefold(): w for w in workflows}
    bars: list[charts.Bar] = []
    next_start = 1
    for number, stage in enumerate(stages, start=1):
        span = charts.weeks_of(_text(stage.get("timeframe"))) or (next_start, next_start + 3)
        members = [by_name[n.casefold()] for n in _texts(stage.get("workflow_names"))
                   if n.casefold() in by_name]
        for w in sorted(members, key=lambda w: w.rank):
            length = w.weeks or (span[1] - span[0] + 1)
            bars.append(charts.Bar(w.rank, w.name, number, span[0], span[0] + length - 1))
        next_start = span[1] + 1
    return charts.timeline(bars, title="Roadmap: when each workflow starts and when it "
                                       "should show results, in weeks")


def _size_key(result: dict, order: dict) -> str:
    """The size band's key ("11-50"), from the stored input or the result's label."""
    try:
        key = json.loads(order.get("input_json") or "{}").get("company_size")
    except (ValueError, AttributeError):
        key = None
    if key:
        return str(key)
    label = _text((result.get("company") or {}).get("size"))
    return next((k for k, v in COMPANY_SIZES.items() if v == label), "")


def _workflow(item: dict, rank: int, samples: int, stage_of: dict[str, str],
              min_votes: int = 3) -> Workflow:
    name = _text(item.get("name"))
    ttv = _text(item.get("time_to_value"))
    if not ttv and _int(item.get("time_to_value_weeks")):
        weeks = _int(item.get("time_to_value_weeks"))
        ttv = f"About {weeks} week{'s' if weeks != 1 else ''}"
    impact = item.get("impact")
    votes = item.get("votes")
    return Workflow(
        rank=rank,
        anchor=f"workflow-{rank}",
        name=name,
        domain_label=_text(item.get("domain_label")) or _text(item.get("domain")).replace(
            "_", " ").capitalize(),
        feasibility=FEASIBILITY_LABELS.get(_text(item.get("feasibility")), ""),
        description=_text(item.get("description")),
        problem_solved=_text(item.get("problem_solved")),
        why_it_fits=_text(item.get("why_it_fits")),
        tools=_texts(item.get("tools")),
        implementation_steps=_texts(item.get("implementation_steps")),
        effort=_text(item.get("effort")),
        time_to_value=ttv,
        metric=_text(item.get("metric")),
        roi_estimate=_text(item.get("roi_estimate")),
        roi_assumptions=_texts(item.get("roi_assumptions")),
        impact=impact if isinstance(impact, int) and 1 <= impact <= 5 else None,
        votes=votes if isinstance(votes, int) and votes >= 0 else None,
        exploratory=(not item["agreed"]) if isinstance(item.get("agreed"), bool) else (
            isinstance(votes, int) and votes < min_votes),
        samples=samples,
        perspectives=_texts(item.get("perspectives")),
        also_called=_texts(item.get("also_called")),
        stage=stage_of.get(name.casefold(), ""),
        weeks=_int(item.get("time_to_value_weeks")) or None,
        data_touched=_text(item.get("data_touched")),
        human_review=_text(item.get("human_review")),
        vendor_question=_text(item.get("vendor_question")),
    )


def _stage_names(roadmap: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for stage in roadmap.get("stages") or []:
        if isinstance(stage, dict):
            for name in _texts(stage.get("workflow_names")):
                found.setdefault(name.casefold(), _text(stage.get("name")))
    return found


def _stages(roadmap: dict, workflows: list[Workflow]) -> list[Stage]:
    by_name = {w.name.casefold(): w for w in workflows}
    stages = []
    for number, stage in enumerate((s for s in roadmap.get("stages") or []
                                    if isinstance(s, dict)), start=1):
        members = [by_name[n.casefold()] for n in _texts(stage.get("workflow_names"))
                   if n.casefold() in by_name]
        stages.append(Stage(
            number=number, name=_text(stage.get("name")) or f"Stage {number}",
            timeframe=_text(stage.get("timeframe")), rationale=_text(stage.get("rationale")),
            workflows=[(w.rank, w.anchor, w.name) for w in sorted(members, key=lambda w: w.rank)],
        ))
    return stages


def _consensus(raw: dict, workflows: list[Workflow] | None = None) -> Consensus:
    samples = _int(raw.get("samples"), 5) or 5
    min_votes = _int(raw.get("min_votes"), 3)
    agreed = _int(raw.get("agreed"))
    candidates = _int(raw.get("candidates"))
    confidence = max(0, min(100, _int(raw.get("confidence_percent"))))
    method = _text(raw.get("method")) or "consensus"
    had = bool(raw.get("had_consensus", method == "consensus"))
    shown = workflows or []
    selected = len(shown) or _int(raw.get("selected"))
    # Counted from the workflows themselves, so the summary never says more than they do.
    selected_agreed = (sum(not w.exploratory for w in shown) if shown
                       else _int(raw.get("selected_agreed"), selected))
    exploratory = selected - selected_agreed
    if confidence >= 80 and not exploratory:
        label = "High"
    elif confidence >= 55:
        label = "Moderate"
    else:
        label = "Low"
    agreed_part = (f"{selected_agreed} of the {selected} workflows in this report were "
                   f"proposed independently by at least {min_votes} of the {samples} "
                   f"analysts")
    if exploratory:
        agreed_part += (f"; the other {exploratory} {'is' if exploratory == 1 else 'are'} "
                        "exploratory: proposed by fewer analysts, worth a small trial first")
    summary_line = f"{agreed_part}."
    if had:
        explanation = (
            f"{samples} analysts, each looking at your business from a different angle, "
            f"proposed {candidates} workflows between them; {agreed} were proposed "
            f"independently by at least {min_votes} of the {samples}. {summary_line} "
            f"Our confidence of {confidence}% reflects how strongly the analysts agreed on "
            f"the workflows in this report.")
    else:
        explanation = (
            f"The {samples} analysts proposed {candidates} workflows between them but fewer "
            f"than we need were proposed by at least {min_votes} of them, so we ranked the "
            f"candidates by how feasible they are and how closely they match what you told "
            f"us. {summary_line} Our confidence of {confidence}% is lower for that reason: "
            f"treat the exploratory workflows as options to explore rather than firm "
            f"recommendations.")
    asked = _int(raw.get("analysts_asked"), samples)
    if asked > samples:
        # Some analyses failed and the vote ran on the others (the engine's quorum is 3).
        explanation = (f"We asked {asked} analysts; {samples} answered, and the vote ran on "
                       f"their work. " + explanation)
    method_label = METHOD_LABELS.get(method, method.capitalize())
    if method == "consensus" and samples != 5:
        method_label = f"Consensus of {NUMBER_WORDS.get(samples, str(samples))} analysts"
    return Consensus(method=method, method_label=method_label,
                     had_consensus=had, samples=samples, min_votes=min_votes, agreed=agreed,
                     candidates=candidates, confidence_percent=confidence,
                     confidence_label=label, explanation=explanation, selected=selected,
                     selected_agreed=selected_agreed, summary_line=summary_line)


def _quality(raw: dict) -> Quality:
    score = max(0, min(10, _int(raw.get("score"))))
    pass_score = _int(raw.get("pass_score"), 7) or 7
    attempts = max(1, _int(raw.get("attempts"), 1))
    # The individual checks and their numbers (keyword overlap, flagged text) are internal:
    # they are shown on the admin's order page, never in the customer's report.
    checks: list[Check] = []
    drafts = ("the first draft" if attempts == 1 else
              f"draft {attempts}, after {attempts - 1} revision{'s' if attempts > 2 else ''} "
              "the review asked for")
    explanation = (f"An independent reviewer scored {drafts} {score} out of 10 "
                   f"(a report needs {pass_score} to be sent), alongside automatic checks "
                   f"for relevance to what you told us, invented tools or figures, and "
                   f"completeness. A draft with a claim the reviewer could not support is "
                   f"revised before it reaches you.")
    return Quality(score=score, pass_score=pass_score, passed=bool(raw.get("passed", True)),
                   attempts=attempts, checks=checks, explanation=explanation)


def _methodology(consensus: Consensus, tier_label: str, offline: bool) -> list[str]:
    steps = [
        "We rewrote your answers into a structured brief and researched how businesses in "
        "your industry typically work.",
        f"{consensus.samples} independent analyses followed, each from a different perspective "
        "(operations, customer experience, finance and risk, growth, technology), each "
        "proposing around 25 workflows.",
        f"A workflow counted as agreed when at least {consensus.min_votes} of the "
        f"{consensus.samples} analyses proposed it, matching names by meaning rather than "
        "exact wording.",
        f"From the agreed workflows we selected the {tier_label} tier's number, spread across "
        "at least three business functions, favouring what fits your description, what is "
        "feasible for a business like yours and what moves a measurable number; two "
        "workflows that solve the same problem are never both chosen."
        + (f" Too few were agreed, so {consensus.selected - consensus.selected_agreed} "
           "exploratory workflow(s) proposed by fewer analysts fill the remaining places and "
           "are labelled as such." if consensus.selected > consensus.selected_agreed else ""),
        "A roadmap grouped them into stages, the proposal was written, and a separate review "
        "checked it before release; a draft that scores below the pass mark is revised.",
    ]
    if offline:
        steps.append("This copy was produced by our offline demonstration model, not by "
                     "Claude: the structure is real, the content is illustrative.")
    return steps
