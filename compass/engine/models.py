"""What the model is asked to return in each phase, as pydantic models.

Each model's JSON schema goes to the API as the structured-output format, and the same
model validates the answer, so the schema and the check cannot drift apart. Field limits
here are the deterministic QA "limits" check. The schema's title names the phase, which is
how the offline model and the local Messages API server know what is being asked.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Domain = Literal[
    "customer_service", "sales", "marketing", "operations",
    "finance", "hr", "it_data", "compliance",
]
DOMAINS: tuple[str, ...] = Domain.__args__  # type: ignore[attr-defined]
DOMAIN_LABELS: dict[str, str] = {
    "customer_service": "Customer service", "sales": "Sales", "marketing": "Marketing",
    "operations": "Operations", "finance": "Finance", "hr": "People & HR",
    "it_data": "IT & data", "compliance": "Compliance & risk",
}
Feasibility = Literal["simple", "moderate", "advanced"]

Short = Annotated[str, Field(min_length=1, max_length=200)]
Sentence = Annotated[str, Field(min_length=1, max_length=600)]
Paragraph = Annotated[str, Field(min_length=1, max_length=2500)]


class PhaseModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Brief(PhaseModel):
    """Input rewrite: the customer's form restated as a clear brief."""

    company_summary: Paragraph
    industry: Short
    company_size: Short
    core_problem: Paragraph
    goals: list[Sentence] = Field(min_length=1, max_length=6)
    constraints: list[Sentence] = Field(max_length=6)
    keywords: list[Short] = Field(min_length=3, max_length=15)
    # Text in the form addressed to an AI ("ignore previous instructions…"), quoted: data
    # about the form, never the customer's problem, a goal or a constraint.
    flagged_instructions: list[Sentence] = Field(max_length=6)


class Tool(PhaseModel):
    name: Short
    category: Short
    use: Sentence


class Research(PhaseModel):
    """Research: the industry's processes and the tools that exist for them."""

    industry_context: Paragraph
    key_processes: list[Sentence] = Field(min_length=3, max_length=12)
    opportunities: list[Sentence] = Field(min_length=3, max_length=12)
    tools: list[Tool] = Field(min_length=3, max_length=25)
    risks: list[Sentence] = Field(min_length=1, max_length=8)


Dimension = Literal["strategy", "data", "technology", "people", "process", "governance"]
DIMENSIONS: tuple[str, ...] = Dimension.__args__  # type: ignore[attr-defined]
DIMENSION_LABELS: dict[str, str] = {
    "strategy": "Strategy", "data": "Data", "technology": "Technology",
    "people": "People and skills", "process": "Process", "governance": "Governance",
}


class DimensionScore(PhaseModel):
    dimension: Dimension
    score: int = Field(ge=1, le=5)
    evidence: list[Sentence] = Field(min_length=1, max_length=4)
    limits: Sentence
    first_fix: Sentence
    confidence: Literal["high", "medium", "low"]


class Readiness(PhaseModel):
    """Readiness: the business scored 1–5 on each of six dimensions, from its own answers."""

    summary: Paragraph
    dimensions: list[DimensionScore] = Field(min_length=6, max_length=6)
    unanswered: list[Short] = Field(max_length=10)


class WorkflowIdea(PhaseModel):
    name: Annotated[str, Field(min_length=3, max_length=100)]
    domain: Domain
    description: Paragraph
    problem_solved: Sentence
    tools: list[Short] = Field(min_length=1, max_length=6)
    feasibility: Feasibility
    impact: int = Field(ge=1, le=5)
    metric: Short
    time_to_value_weeks: int = Field(ge=1, le=52)


class Sample(PhaseModel):
    """One self-consistency sample: one analyst's ~25 workflow ideas."""

    perspective: Short
    workflows: list[WorkflowIdea] = Field(min_length=8, max_length=30)


class RoadmapStage(PhaseModel):
    name: Short
    timeframe: Short
    workflow_names: list[Short] = Field(min_length=1, max_length=8)
    rationale: Sentence


class Roadmap(PhaseModel):
    """Grouper: the selected workflows arranged into implementation stages."""

    stages: list[RoadmapStage] = Field(min_length=1, max_length=4)


class Range(PhaseModel):
    low: int = Field(ge=0, le=100_000)
    high: int = Field(ge=0, le=100_000)


class WorkflowPlan(PhaseModel):
    name: Annotated[str, Field(min_length=3, max_length=100)]
    why_it_fits: Paragraph
    implementation_steps: list[Sentence] = Field(min_length=3, max_length=8)
    effort: Sentence
    time_to_value: Short
    metric: Short
    roi_estimate: Sentence
    roi_assumptions: list[Sentence] = Field(min_length=1, max_length=6)
    # The money section's inputs: the report does the arithmetic, not the model.
    tool_cost_per_month_usd: Range
    setup_days: int = Field(ge=1, le=250)
    main_pain_share_percent: int = Field(ge=0, le=90)
    hours_saved_per_week: Range
    # Risks and governance, per workflow.
    data_touched: Sentence
    human_review: Sentence
    vendor_question: Sentence


class Proposal(PhaseModel):
    """Proposal: the executive summary and a plan for each selected workflow."""

    executive_summary: Annotated[str, Field(min_length=1, max_length=4000)]
    workflows: list[WorkflowPlan] = Field(min_length=1, max_length=8)
    recommendations: list[Sentence] = Field(min_length=2, max_length=8)
    next_steps: list[Sentence] = Field(min_length=2, max_length=6)
    ai_policy: list[Sentence] = Field(min_length=3, max_length=8)


class Review(PhaseModel):
    """QA review: relevance to the customer and claims the inputs do not support."""

    relevance_score: int = Field(ge=1, le=10)
    relevance_notes: Paragraph
    unsupported_claims: list[Sentence] = Field(max_length=20)
    issues: list[Sentence] = Field(max_length=20)
    score: int = Field(ge=1, le=10)


class ConceptGroup(PhaseModel):
    concept: Short
    ids: list[Short] = Field(min_length=1, max_length=12)


class Clustering(PhaseModel):
    """Clustering: every candidate workflow of every sample placed in one concept group."""

    groups: list[ConceptGroup] = Field(min_length=1, max_length=200)


PHASE_MODELS: dict[str, type[PhaseModel]] = {
    "rewrite": Brief,
    "research": Research,
    "readiness": Readiness,
    "sample": Sample,
    "clustering": Clustering,
    "grouper": Roadmap,
    "proposal": Proposal,
    "review": Review,
}
PHASE_BY_TITLE: dict[str, str] = {model.__name__: phase for phase, model in PHASE_MODELS.items()}
