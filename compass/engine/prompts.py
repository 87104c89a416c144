"""Builds each phase's request from the prompt files and the data it works on.

Customer text and earlier phases' output travel as JSON inside named tags
(`<customer_input>…</customer_input>`). `<`, `>` and `&` are escaped as JSON unicode
escapes inside a block, so no customer text can close a tag or open a new one; the
system prompt tells the model that tagged content is data, never instructions.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import replace
from importlib import resources
from typing import Any

import anthropic

from compass.engine.models import PHASE_MODELS
from compass.engine.provider import ModelRequest
from compass.tiers import Tier

PERSPECTIVES: tuple[str, ...] = (
    "operations", "customer_experience", "finance_risk", "growth", "technology",
)
PERSPECTIVE_LABELS: dict[str, str] = {
    "operations": "Operations", "customer_experience": "Customer experience",
    "finance_risk": "Finance & risk", "growth": "Growth", "technology": "Technology",
}
SAMPLE_SIZE = 25

# -- token budgets ---------------------------------------------------------------------------
# `max_tokens` is the hard limit on thinking plus answer: thinking tokens come out of it
# (platform.claude.com/docs/build-with-claude/extended-thinking, read 2026-12-06). Opus 5.5
# always thinks; Sonnet 5.5 and Haiku 5.5 think adaptively, more as effort rises. So every
# call's budget is the longest answer its phase needs plus what the model may think at the
# tier's effort. The model guide warns that Opus 5.5 thinks more per turn than Opus 5 at
# the same effort, hence its factor. Budgets only cap a call: unused tokens cost nothing,
# so the allowances are generous; a call stopped by `max_tokens` anyway is retried with a
# larger budget (`larger_budget`), never the same one.
ANSWER_TOKENS: dict[str, int] = {
    "rewrite": 2_000, "research": 4_000, "readiness": 3_000, "grouper": 3_000,
    "review": 3_000, "clustering": 6_000,
}  # sample and proposal: the tier's max_output_tokens
THINKING_ALLOWANCE: dict[str, int] = {
    "low": 2_000, "medium": 6_000, "high": 12_000, "xhigh": 24_000, "max": 32_000,
}
MODEL_THINKING_FACTOR: dict[str, float] = {"claude-opus-5-5": 1.5}
# No call needs more (the models allow 128K output); past this a retry gives up instead.
MAX_TOKENS_CEILING = 64_000


def max_tokens_for(phase: str, tier: Tier, model: str) -> int:
    """A phase's first budget: its answer plus the thinking the tier's effort may use."""
    answer = ANSWER_TOKENS.get(phase, tier.max_output_tokens)
    thinking = THINKING_ALLOWANCE[tier.effort] * MODEL_THINKING_FACTOR.get(model, 1.0)
    return min(MAX_TOKENS_CEILING, answer + round(thinking))


def larger_budget(current: int, tokens_left: int) -> int | None:
    """The budget for a retry of a call stopped by `max_tokens`: double, bounded by the
    ceiling and by what is left of the tier's token budget. None: nothing larger fits."""
    bigger = min(MAX_TOKENS_CEILING, current * 2, tokens_left)
    return bigger if bigger > current else None



@functools.cache
def prompt_text(name: str) -> str:
    return resources.files("compass.engine").joinpath(f"prompts/{name}.md").read_text()


@functools.cache
def perspective_lens(key: str) -> str:
    sections = re.split(r"^## ", prompt_text("perspectives"), flags=re.M)
    for section in sections:
        title, _, body = section.partition("\n")
        if title.strip() == key:
            return body.strip()
    raise KeyError(f"no perspective {key!r} in prompts/perspectives.md")


@functools.cache
def phase_schema(phase: str) -> dict:
    """The structured-output JSON schema of a phase, in the form the API accepts."""
    return anthropic.transform_schema(PHASE_MODELS[phase])


def data_block(name: str, value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<{name}>\n{text}\n</{name}>\n"


def extract_block(text: str, name: str) -> Any | None:
    """The value of the first `<name>` block in `text`, or None. Inverse of `data_block`."""
    match = re.search(rf"<{name}>\n(.*?)\n</{name}>", text, flags=re.S)
    return json.loads(match.group(1)) if match else None


def _request(phase: str, tier: Tier, model: str, context: str, prompt: str, *,
             max_tokens: int, cache_prefix: bool = False,
             perspective: str | None = None) -> ModelRequest:
    return ModelRequest(
        phase=phase, model=model, effort=tier.effort,
        system=prompt_text("system") + "\n" + prompt_text(phase),
        shared_context=context, prompt=prompt, schema=phase_schema(phase),
        max_tokens=max_tokens, cache_prefix=cache_prefix, perspective=perspective,
    )


def retry_note(problems: list[str]) -> str:
    """Appended to a request whose previous answer failed the deterministic checks."""
    return "\n" + data_block("retry", {"previous_answer_problems": problems}) + (
        "Your previous answer to this request was rejected for the problems above. "
        "Answer again with one complete JSON object that fixes them; keep it concise.\n"
    )


def rewrite_request(tier: Tier, model: str, customer: dict) -> ModelRequest:
    return _request("rewrite", tier, model, data_block("customer_input", customer),
                    "Write the brief for this customer.\n",
                    max_tokens=max_tokens_for("rewrite", tier, model))


def research_request(tier: Tier, model: str, customer: dict, brief: dict) -> ModelRequest:
    context = data_block("customer_input", customer) + data_block("brief", brief)
    return _request("research", tier, model, context,
                    "Research this customer's industry.\n",
                    max_tokens=max_tokens_for("research", tier, model))


def readiness_request(tier: Tier, model: str, customer: dict, brief: dict) -> ModelRequest:
    context = data_block("customer_input", customer) + data_block("brief", brief)
    return _request("readiness", tier, model, context,
                    "Score this business's readiness for AI automation.\n",
                    max_tokens=max_tokens_for("readiness", tier, model))


def sample_context(customer: dict, brief: dict, research: dict) -> str:
    # Identical for the five samples, byte for byte: this is the cached prefix.
    return (data_block("customer_input", customer) + data_block("brief", brief)
            + data_block("research", research))


def sample_request(tier: Tier, model: str, context: str, perspective: str) -> ModelRequest:
    prompt = (
        data_block("perspective", {"key": perspective, "label": PERSPECTIVE_LABELS[perspective]})
        + perspective_lens(perspective)
        + f"\nPropose about {SAMPLE_SIZE} workflows from this perspective.\n"
    )
    return _request("sample", tier, model, context, prompt,
                    max_tokens=max_tokens_for("sample", tier, model),
                    cache_prefix=True, perspective=perspective)


# What the roadmap needs to know of each workflow: ordering depends on these, not on tools
# or problem statements, and every token sent is billed.
ROADMAP_FIELDS = ("name", "domain", "description", "feasibility", "impact",
                  "time_to_value_weeks")


# The clustering call is bookkeeping, not judgement: the cheapest model, low effort.
CLUSTERING_MODEL = "claude-haiku-5-5"


def clustering_model(tier_model: str) -> str:
    """The cheaper of the tier's model and CLUSTERING_MODEL."""
    from compass.pricing import price_for

    return min((tier_model, CLUSTERING_MODEL), key=lambda m: price_for(m).output)


def clustering_request(tier: Tier, tier_model: str, candidates: list[dict]) -> ModelRequest:
    """Group every sample's candidate workflows (id, name, description) into concepts."""
    model = clustering_model(tier_model)
    request = _request("clustering", tier, model, data_block("candidates", candidates),
                       "Group these candidate workflows by the problem they solve.\n",
                       max_tokens=max_tokens_for("clustering", tier, model))
    return replace(request, effort="low")


def grouper_request(tier: Tier, model: str, brief: dict, selected: list[dict]) -> ModelRequest:
    compact = [{k: w[k] for k in ROADMAP_FIELDS if k in w} for w in selected]
    context = data_block("brief", brief) + data_block("selected_workflows", compact)
    return _request("grouper", tier, model, context,
                    "Arrange these workflows into a roadmap.\n",
                    max_tokens=max_tokens_for("grouper", tier, model))


def proposal_request(tier: Tier, model: str, customer: dict, brief: dict, research: dict,
                     selected: list[dict], feedback: dict | None = None) -> ModelRequest:
    context = (data_block("customer_input", customer) + data_block("brief", brief)
               + data_block("research", research) + data_block("selected_workflows", selected))
    prompt = "Write the proposal for these workflows.\n"
    if feedback:
        prompt += data_block("reviewer_feedback", feedback) + (
            "A reviewer rejected the previous draft for the reasons above. Write a new "
            "proposal that fixes every point.\n"
        )
    return _request("proposal", tier, model, context, prompt,
                    max_tokens=max_tokens_for("proposal", tier, model))


def review_request(tier: Tier, model: str, customer: dict, research: dict,
                   report: dict) -> ModelRequest:
    # The reviewer checks tools against research's list; the rest of research is not needed.
    context = (data_block("customer_input", customer)
               + data_block("research", {"tools": research.get("tools", [])})
               + data_block("report", report))
    return _request("review", tier, model, context, "Review this draft report.\n",
                    max_tokens=max_tokens_for("review", tier, model))
