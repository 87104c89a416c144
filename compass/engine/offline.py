"""The offline model: realistic, deterministic answers to every phase, with no network.

Used when no API key is configured (development, tests, demos) and by the local fake
Messages API server. It sees only what the real model would see — the system prompt, the
user text with its tagged data blocks and the output schema, whose title names the phase —
and answers from the content catalogue in `offline_catalog`, steered by the customer's own
words. Every choice is seeded from a hash of the input, so equal requests get equal answers.

How the five samples agree: the catalogue concepts are ranked by relevance to the
customer; the top `CORE_SIZE` form a core that every perspective proposes (each drops at
most one), and every other concept goes to at most two perspectives, chosen by how much
the perspective cares about its domain. A vote with a 3-of-5 threshold therefore finds
about the core. Each perspective names and describes a shared concept with a different
phrasing, as different analysts would.

About one call in `BAD_ONE_IN` (never a retry, never the review) answers badly — cut off,
missing a field, or with prose around the JSON — so the engine's retries are exercised.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from compass.engine.models import DOMAIN_LABELS, PHASE_BY_TITLE
from compass.engine.offline_catalog import (
    FAMILIES,
    OTHER_PRODUCTS,
    SAME_PROBLEM_GROUPS,
    TOOLS,
    Concept,
    Family,
)
from compass.engine.offline_readiness import readiness
from compass.engine.prompts import PERSPECTIVE_LABELS, PERSPECTIVES, extract_block
from compass.engine.provider import BeforeSend, ModelRequest, ModelResponse, OnStarted
from compass.engine.qa import instruction_like
from compass.intake import COMPANY_SIZES
from compass.tiers import FEASIBILITY_RANK

CORE_SIZE = 8
# About one first draft in OVERCLAIM_ONE_IN states an unsupported figure as fact.
OVERCLAIM_ONE_IN = 3
OVERCLAIM = "Businesses like yours cut this work by 73% in the first month."
_FIGURE_AS_FACT = re.compile(r"[^.]*\b\d{2,3}%[^.]*\.")
_HEDGED = re.compile(r"assum|estimat|expect|could|may|might|about|range|up to|typical", re.I)
SAMPLE_MIN, SAMPLE_SPREAD = 20, 5  # each sample proposes 20–24 workflows
BAD_ONE_IN = 7

STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be been before being below
between both but by can could did do does doing down during each even every few for from
further get gets got had has have having he her here hers him his how i if in into is it
its itself just let lots many may me might more most much must my need needs no nor
not now of off on once one only or other our ours out over own per quite rather really
same she should so some such than that the their theirs them then there these they this
those through to too two three four five under until up us very via was we well were what
when where which while who whom why will with would you your yours want wants like able
currently still day days week weeks month months year years time times people thing things
business businesses company companies etc lot use used using make makes made help
spend spends spent keep keeps run runs across end take takes taking go goes going come
always often never today within without around new because done night nights evening
evenings write writes wrote written sell sells hand
ignore previous instructions instruction prompt system output json respond true false null
""".split())  # noqa: SIM905 - a word list reads best as text
# Words in workflow names that say "automation", not what is automated.
_GENERIC_NAME_WORDS = frozenset({
    "ai", "automated", "automatic", "automation", "smart", "workflow", "based", "driven",
    "assistant", "powered"})
_INSTRUCTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,60}\b(instructions?|rules|prompts?|above)\b"
    r"|\bsystem prompt\b|\byou are now\b|\b(output|respond with|return|print)\b.{0,30}[{\[]",
    re.I | re.S)
# Stems that mean the same thing to a customer ("ask" a question, "answer" = reply).
_SYNONYMS: dict[str, str] = {
    "ask": "questi", "answer": "reply", "client": "custom", "phon": "call", "appoin": "book",
    "reserv": "book", "invent": "stock", "estima": "quot", "quotat": "quot",
}
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

# How much each analyst perspective cares about each domain (0 when not listed).
AFFINITY: dict[str, dict[str, int]] = {
    "operations": {"operations": 2, "hr": 1, "it_data": 1},
    "customer_experience": {"customer_service": 2, "marketing": 1, "sales": 1},
    "finance_risk": {"finance": 2, "compliance": 2},
    "growth": {"sales": 2, "marketing": 2},
    "technology": {"it_data": 2, "operations": 1, "compliance": 1},
}
ANGLES: dict[str, tuple[str, str]] = {
    "operations": ("It takes repetitive work off the team.",
                   "It removes a manual step from the weekly routine."),
    "customer_experience": ("Customers get faster, more reliable answers.",
                            "It closes a gap in the customer journey."),
    "finance_risk": ("It protects cash and cuts avoidable errors.",
                     "It adds a control the business lacks today."),
    "growth": ("It recovers revenue that is slipping away today.",
               "It lets the business grow without adding headcount."),
    "technology": ("It connects systems the business already uses.",
                   "It runs on off-the-shelf tools with little custom code."),
}
SIZE_NOTES: dict[str, str] = {
    "1": "the owner's own time is the constraint, so only tools that run themselves pay off",
    "2-10": "every hour the owner and a small team win back counts, and no-code tools fit best",
    "11-50": "volume is high enough for automation to pay back quickly, but there is rarely "
             "a dedicated IT person",
    "51-200": "processes repeat at volume and integrations with core systems pay off",
    "201-1000": "volume justifies integrations, and governance and change management matter",
    "1000+": "automation must fit existing systems, security review and change processes",
}
SIZE_FACTOR: dict[str, float] = {
    "1": 0.5, "2-10": 1, "11-50": 2, "51-200": 4, "201-1000": 8, "1000+": 12,
}
AI_TOOLS = frozenset({"OpenAI API", "Claude API"})
# General-purpose tools that can carry almost any of the simpler ideas.
GLUE_TOOLS_ORDER = ("Zapier", "Make", "Power Automate", "Airtable", "Microsoft 365",
                    "Google Workspace")
GLUE_TOOLS = frozenset(GLUE_TOOLS_ORDER)


# -- text helpers ------------------------------------------------------------------------------

def _hash(*parts: str) -> int:
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@functools.lru_cache(maxsize=65_536)
def _stem(word: str) -> str:
    """Crude but enough: "invoices", "invoicing" and "invoice" meet, so do "no-show(s)"."""
    word = word.replace("-", "")
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        word = word[:-3]
    elif len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    stem = word[:6]
    return _SYNONYMS.get(stem, stem)


def _tokens(text: str, *, parts: bool = True) -> list[str]:
    """Content words; "no-shows" gives "no-shows" and, with `parts`, "shows"."""
    words = []
    for word in _TOKEN.findall(text.lower()):
        words += [word, *word.split("-")] if parts and "-" in word else [word]
    return [w for w in words if len(w) > 1 and w not in STOP_WORDS]


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in _tokens(text)}


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", text) if s.strip()]


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:") + "…"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _weeks(n: int) -> str:
    return f"{n} week" if n == 1 else f"{n} weeks"


def _mentions(text: str, name: str, *, ignore_case: bool = False) -> bool:
    """Whether `text` names the product `name` as a word ("Make", not "make sure")."""
    flags = re.I if ignore_case else 0
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags) is not None


# -- the catalogue, indexed ----------------------------------------------------------------------

CONCEPTS: dict[str, Concept] = {c.key: c for f in FAMILIES for c in f.concepts}
GENERAL = next(f for f in FAMILIES if f.key == "general")
_CONCEPT_STEMS: dict[str, frozenset[str]] = {
    c.key: frozenset(
        _stems(" ".join(c.keywords))
        | {_stem(w) for w in _tokens(" ".join(c.names)) if w not in _GENERIC_NAME_WORDS})
    for c in CONCEPTS.values()
}
_ANCHORS: dict[str, frozenset[str]] = {
    c.key: frozenset(_stem(k) for k in c.keywords[:2])
    for c in CONCEPTS.values()
}
_AUDIENCE_STEMS: dict[str, frozenset[str]] = {
    c.key: frozenset(map(_stem, c.audience)) for c in CONCEPTS.values()
}
_FAMILY_STEMS: dict[str, frozenset[str]] = {f.key: frozenset(map(_stem, f.match)) for f in FAMILIES}
_BY_NAME: dict[str, str] = {n.lower(): c.key for c in CONCEPTS.values() for n in c.names}
_KNOWN_PRODUCTS: tuple[str, ...] = tuple(
    re.sub(r"[^a-z0-9]+", "", p.lower()) for p in (*TOOLS, *OTHER_PRODUCTS))


def concept_of(name: str) -> str | None:
    """The catalogue concept a workflow name phrasing belongs to, or None."""
    return _BY_NAME.get(name.strip().lower())


def is_known_product(name: str) -> bool:
    """True for a product in the catalogue (or a longer name of one, e.g. "Zapier Tables")."""
    key = re.sub(r"[^a-z0-9]+", "", name.lower())
    return bool(key) and any(
        key == known or (len(known) >= 5 and key.startswith(known))
        or (len(key) >= 5 and known.startswith(key))
        for known in _KNOWN_PRODUCTS)


# -- the customer, as the offline model understands them -----------------------------------------

@dataclass(frozen=True)
class Customer:
    company: str
    industry: str
    size: str
    website: str
    text: str  # description and pain point, without sentences that read as instructions
    pain: str
    weights: dict[str, int]  # word stem -> 2 when in the pain point, else 1
    surface: dict[str, str]  # word stem -> the customer's own word
    family: Family
    seed: str

    @property
    def size_label(self) -> str:
        return COMPANY_SIZES.get(self.size, self.size or "unknown size")


def _data_only(text: str) -> str:
    return " ".join(s for s in _sentences(text)
                    if not _INSTRUCTION.search(s) and not instruction_like(s))


def _instructions(user_text: str) -> list[str]:
    """Sentences of the form addressed to an AI, quoted (the rewrite flags them)."""
    form = extract_block(user_text, "customer_input") or {}
    found: list[str] = []
    for key in ("company_name", "industry", "prompt", "pain_point"):
        for sentence in _sentences(str(form.get(key) or "")):
            if (_INSTRUCTION.search(sentence) or instruction_like(sentence)) \
                    and sentence not in found:
                found.append(sentence)
    return [_clip(f"“{s}”", 600) for s in found][:6]


def _customer(user_text: str) -> Customer:
    form = extract_block(user_text, "customer_input") or {}
    brief = extract_block(user_text, "brief") or {}
    field = {k: str(form.get(k) or "").strip() for k in (
        "company_name", "industry", "company_size", "company_website", "prompt", "pain_point")}
    prompt, pain = _data_only(field["prompt"]), _data_only(field["pain_point"])
    weights: dict[str, int] = {}
    surface: dict[str, str] = {}
    for text, weight in ((field["industry"], 1), (prompt, 1),
                         (" ".join(map(str, brief.get("keywords", []))), 1), (pain, 2)):
        for word in _tokens(text):
            stem = _stem(word)
            weights[stem] = max(weights.get(stem, 0), weight)
            surface.setdefault(stem, word)
    return Customer(
        company=field["company_name"] or "The company",
        industry=field["industry"] or "small business",
        size=field["company_size"], website=field["company_website"],
        text=" ".join(t for t in (prompt, pain) if t), pain=pain,
        weights=weights, surface=surface,
        # "IT" is a stop word everywhere but in an industry's name.
        family=_family_of(re.sub(r"\bIT\b", "information technology", field["industry"]),
                          f"{field['company_name']} {prompt} {pain}"),
        seed=json.dumps(form, sort_keys=True, ensure_ascii=False),
    )


def _family_of(industry: str, text: str) -> Family:
    industry_stems, text_words = _stems(industry), [_stem(w) for w in _tokens(text)]
    best, best_score = GENERAL, 0
    for family in FAMILIES:
        stems = _FAMILY_STEMS[family.key]
        score = 3 * len(industry_stems & stems) + sum(1 for w in text_words if w in stems)
        if score > best_score:
            best, best_score = family, score
    return best if best_score >= 3 else GENERAL


def _hits(concept: Concept, customer: Customer) -> float:
    """How strongly the customer's words point at a concept.

    The first two keywords are its anchors: "invoice" makes invoice chasing relevant,
    "late" and "chasing" alone (late cancellations, chasing patients) only a little.
    """
    anchors = _ANCHORS[concept.key]
    hits = sum(customer.weights.get(s, 0) * (2 if s in anchors else 1)
               for s in _CONCEPT_STEMS[concept.key])
    return hits if anchors & customer.weights.keys() else hits / 2


def _matched_words(concept: Concept, customer: Customer, limit: int = 3) -> list[str]:
    stems = sorted((s for s in _CONCEPT_STEMS[concept.key] if s in customer.weights),
                   key=lambda s: (-customer.weights[s], s))
    words: list[str] = []
    for word in (customer.surface[s] for s in stems):
        if not any(word in w or w in word for w in words):  # not "no-shows" and "shows"
            words.append(word)
    return words[:limit]


def _relevance(concept: Concept, customer: Customer) -> float:
    own_family = 4.0 if concept.family == customer.family.key else 0.0
    return 1.5 * _hits(concept, customer) + own_family + 0.3 * concept.impact


def _suits(concept: Concept, customer: Customer) -> bool:
    return not concept.audience or bool(_AUDIENCE_STEMS[concept.key] & customer.weights.keys())


def _ranked(customer: Customer) -> list[Concept]:
    """The concepts that fit this customer, most relevant first."""
    pool = list(customer.family.concepts)
    if customer.family is GENERAL:
        # No industry match: borrow the industry ideas the customer's words point to.
        pool += sorted((c for c in CONCEPTS.values()
                        if c.family != "general" and _hits(c, customer) >= 2),
                       key=lambda c: (-_hits(c, customer), c.key))[:12]
    else:
        pool += GENERAL.concepts
    relevance = {c.key: _relevance(c, customer) for c in pool}
    return sorted((c for c in pool if _suits(c, customer)),
                  key=lambda c: (-relevance[c.key], c.key))


def _core(ranked: list[Concept]) -> list[Concept]:
    """The ideas every analyst would see: the most relevant, spread over domains."""
    core: list[Concept] = []
    for concept in ranked:
        if sum(c.domain == concept.domain for c in core) < 2:
            core.append(concept)
        if len(core) == CORE_SIZE:
            break
    # Starter-tier customers need simple ideas the analysts agree on.
    missing = 4 - sum(c.feasibility == "simple" for c in core)
    if missing > 0:
        spare = [c for c in ranked if c.feasibility == "simple" and c not in core][:missing]
        removable = [c for c in reversed(core) if c.feasibility != "simple"][:len(spare)]
        core = [c for c in core if c not in removable] + spare
    return core


def _allocation(customer: Customer, ranked: list[Concept]) -> dict[str, list[Concept]]:
    """Which concepts each perspective proposes: the core minus one, plus its own picks."""
    core = _core(ranked)
    offset = _hash(customer.seed, "core") % len(core)
    chosen = {p: [c for c in core if c is not core[(3 * i + offset) % len(core)]]
              for i, p in enumerate(PERSPECTIVES)}
    target = {p: SAMPLE_MIN + _hash(customer.seed, p, "size") % SAMPLE_SPREAD
              for p in PERSPECTIVES}
    rest = [c for c in ranked if c not in core]
    for concept in rest:  # at most two perspectives each, so no extra 3-of-5 agreement
        prefer = sorted(PERSPECTIVES, key=lambda p: (-AFFINITY[p].get(concept.domain, 0),
                                                     _hash(concept.key, p)))
        for p in [p for p in prefer if len(chosen[p]) < target[p]][:2]:
            chosen[p].append(concept)
    for p in PERSPECTIVES:  # a small pool: top up to the minimum with third copies
        for concept in rest:
            if len(chosen[p]) >= SAMPLE_MIN:
                break
            if concept not in chosen[p]:
                chosen[p].append(concept)
    return chosen


# -- phases --------------------------------------------------------------------------------------

def _rewrite(user_text: str) -> dict:
    customer = _customer(user_text)
    sentences = _sentences(customer.text)
    summary = f"{customer.company} ({customer.industry}, {customer.size_label.lower()})."
    if sentences:
        summary += f" In their own words: “{_clip(' '.join(sentences[:2]), 600)}”"
    if customer.website:
        summary += f" Website: {customer.website}."
    problem = customer.pain or (sentences[0] if sentences else
                                f"Find where AI automation can save time in "
                                f"{customer.company}'s {customer.industry} work.")
    ranked = _ranked(customer)
    cues = re.compile(r"\b(want|need|would like|hope|goal|reduce|cut|save|stop|automate|"
                      r"faster|less|more|grow|free up|improve)\b", re.I)
    goals = [_clip(s, 300) for s in sentences if cues.search(s)][:3]
    goals += [f"A measurable improvement in {_lower_first(c.metric)}" for c in ranked[:2]]
    return {
        "company_summary": _clip(summary, 2500),
        "industry": _clip(customer.industry[:1].upper() + customer.industry[1:], 200),
        "company_size": customer.size_label,
        "core_problem": _clip(problem, 2500),
        "goals": goals[:6],
        "constraints": _constraints(customer),
        "keywords": _keywords(customer, ranked),
        "flagged_instructions": _instructions(user_text),
    }


def _constraints(customer: Customer) -> list[str]:
    small = customer.size in ("1", "2-10")
    found = [
        "No dedicated IT staff: tools must be no-code and quick to learn." if small else
        "Changes must fit existing systems and the people who run them.",
        "Limited budget: prefer monthly subscriptions over projects." if small else
        "New vendors need a data protection and security review.",
    ]
    if customer.family.key in ("healthcare", "professional", "education"):
        found.append(customer.family.risks[0])
    if re.search(r"\b(budget|afford|cheap|cost)", customer.text, re.I):
        found.append("The customer mentions cost: favour tools with a free tier or trial.")
    return found[:6]


def _keywords(customer: Customer, ranked: list[Concept]) -> list[str]:
    """The customer's own words, those the best-fitting ideas are about first."""
    relevant = {_stem(k) for c in ranked[:10] for k in c.keywords}
    # Not numbers ("600", "24-room") or adverbs ("constantly"): no recommendation touches them.
    words = [w for w in _tokens(customer.text, parts=False)
             if len(w) > 2 and not w[0].isdigit() and not (len(w) > 5 and w.endswith("ly"))]
    pain = set(_tokens(customer.pain, parts=False))

    def order(word: str) -> tuple[bool, int, int]:
        return _stem(word) not in relevant, -(words.count(word) + 2 * (word in pain)), \
            words.index(word)

    picked: dict[str, str] = {}  # stem -> word
    for word in (sorted(set(words), key=order) + _tokens(customer.industry)
                 + ["automation", "workflows", "efficiency"]):
        if len(word) <= 60:
            picked.setdefault(_stem(word), word)
    return list(picked.values())[:12]


def _research(user_text: str) -> dict:
    customer = _customer(user_text)
    family, ranked = customer.family, _ranked(customer)
    # The core's tools first (those get selected), then one tool for as many other ideas
    # as fit, so the samples can keep to tools research listed.
    core = _core(ranked)
    wanted = [(c, t) for c in core for t in c.tools] + [(c, c.tools[0]) for c in ranked] + [
        (c, t) for c in ranked for t in c.tools[1:]]
    tools: dict[str, dict] = {}
    for concept, name in wanted:
        if len(tools) < 24 and name not in tools:
            category, use = TOOLS[name]
            tools[name] = {"name": name, "category": category,
                           "use": f"{use[:1].upper()}{use[1:]}; here for "
                                  f"{_lower_first(concept.names[0])}."}
    if not GLUE_TOOLS & tools.keys():  # something to connect the ideas research left out
        category, use = TOOLS["Zapier"]
        tools["Zapier"] = {"name": "Zapier", "category": category,
                           "use": f"{use[:1].upper()}{use[1:]}."}
    context = (f"{family.context} {customer.company} is {customer.size_label.lower()}: "
               f"{SIZE_NOTES.get(customer.size, SIZE_NOTES['11-50'])}.")
    processes = list(family.processes)
    risks = list(family.risks)
    if family is not GENERAL:
        processes += GENERAL.processes[:2]
        risks += GENERAL.risks[:1]
    return {
        "industry_context": _clip(context, 2500),
        "key_processes": processes[:12],
        "opportunities": [_clip(f"{c.names[0]}, because {_lower_first(c.problem)}", 600)
                          for c in ranked[:8]],
        "tools": list(tools.values()),
        "risks": risks[:8],
    }


def _readiness(user_text: str) -> dict:
    return readiness(extract_block(user_text, "customer_input") or {})


def _sample(user_text: str) -> dict:
    customer = _customer(user_text)
    perspective = (extract_block(user_text, "perspective") or {}).get("key", "operations")
    if perspective not in PERSPECTIVES:
        perspective = "operations"
    research_tools = {t.get("name") for t in (extract_block(user_text, "research") or {})
                      .get("tools", [])}
    ranked = _ranked(customer)
    relevance = {c.key: _relevance(c, customer) for c in ranked}
    index = PERSPECTIVES.index(perspective)
    concepts = _allocation(customer, ranked)[perspective]

    def order(c: Concept) -> tuple[float, str]:
        jitter = _hash(customer.seed, perspective, c.key) % 100 / 50
        return -(relevance[c.key] + 2 * AFFINITY[perspective].get(c.domain, 0) + jitter), c.key

    ideas = [_idea(c, index, perspective, customer, research_tools)
             for c in sorted(concepts, key=order)]
    return {"perspective": PERSPECTIVE_LABELS[perspective], "workflows": ideas}


def _idea(concept: Concept, index: int, perspective: str, customer: Customer,
          research_tools: set[str]) -> dict:
    turn = _hash(concept.key) + index  # neighbouring perspectives pick different phrasings
    nudge = _hash(customer.seed, perspective, concept.key, "nudge")
    affinity = AFFINITY[perspective].get(concept.domain, 0)
    # Analysts rate ideas in their own field a little higher, others a little lower.
    impact = concept.impact + (1 if affinity == 2 and nudge % 2 else 0) \
        - (1 if affinity == 0 and nudge % 3 == 0 else 0)
    problem = concept.problem
    words = _matched_words(concept, customer)
    if words:
        problem += f" The brief mentions {_join(words)}."
    problem += " " + ANGLES[perspective][nudge % 2]
    # Keep to the tools research listed, as the prompt asks: the idea's own, else the glue.
    tools = [t for t in concept.tools if t in research_tools] or [
        t for t in GLUE_TOOLS_ORDER if t in research_tools][:1] or list(concept.tools[:1])
    return {
        "name": concept.names[turn % len(concept.names)],
        "domain": concept.domain,
        "description": concept.descriptions[turn % len(concept.descriptions)],
        "problem_solved": _clip(problem, 600),
        "tools": tools,
        "feasibility": concept.feasibility,
        "impact": max(1, min(5, impact)),
        "metric": concept.metric,
        "time_to_value_weeks": max(1, concept.weeks + nudge % 3 - 1),
    }


def _selected(user_text: str) -> list[dict]:
    return [w for w in extract_block(user_text, "selected_workflows") or []
            if isinstance(w, dict) and w.get("name")]


def _clustering(user_text: str) -> dict:
    """Candidates grouped by the catalogue idea they phrase; anything else alone. As a real
    model would, it also keeps two phrasings of one idea from one analyst together."""
    candidates = [c for c in extract_block(user_text, "candidates") or [] if isinstance(c, dict)]
    groups: dict[str, dict] = {}
    for candidate in candidates:
        name, key = str(candidate.get("name", "")), str(candidate.get("id", ""))
        concept = concept_of(name) or f"own:{key}"
        group = groups.setdefault(concept, {"concept": _clip(name, 200), "ids": []})
        if len(group["ids"]) < 12:
            group["ids"].append(key)
        else:
            groups[f"own:{key}"] = {"concept": _clip(name, 200), "ids": [key]}
    return {"groups": list(groups.values())[:200]}


def _grouper(user_text: str) -> dict:
    workflows = _selected(user_text)

    def bucket(w: dict) -> int:
        rank = FEASIBILITY_RANK.get(str(w.get("feasibility")), 1)
        weeks = int(w.get("time_to_value_weeks") or 4)
        return 0 if rank == 0 and weeks <= 4 else 1 if rank <= 1 and weeks <= 8 else 2

    groups = [[w for w in workflows if bucket(w) == b] for b in range(3)]
    labels = [("Quick wins", "Simple, off-the-shelf set-ups that show results within a month "
               "and build the team's confidence."),
              ("Foundations", "Workflows that need some configuration or integration; they "
               "build on the habits and data of the quick wins."),
              ("Scale and integrate", "The larger projects: custom integration or data work "
               "that pays off once the basics run smoothly.")]
    stages = [(labels[b], g) for b, g in enumerate(groups) if g]
    if len(stages) == 1 and len(workflows) > 1:  # one kind of work: split into two waves
        group = sorted(stages[0][1], key=lambda w: int(w.get("time_to_value_weeks") or 4))
        half = (len(group) + 1) // 2
        stages = [(("First wave", "The fastest of these to show results go first."),
                   group[:half]),
                  (("Second wave", "Started once the first wave runs without supervision."),
                   group[half:])]
    answer, start = [], 1
    for (name, rationale), group in stages:
        end = start - 1 + max(int(w.get("time_to_value_weeks") or 4) for w in group)
        end = max(end, start + 1)
        answer.append({"name": name, "timeframe": f"Weeks {start}–{end}",
                       "workflow_names": [w["name"] for w in group][:8],
                       "rationale": rationale})
        start = end + 1
    return {"stages": answer or [{"name": "Quick wins", "timeframe": "Weeks 1–4",
                                  "workflow_names": ["No workflow selected"],
                                  "rationale": "Nothing was selected."}]}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _proposal(user_text: str) -> dict:
    customer = _customer(user_text)
    workflows = _selected(user_text)[:8]
    block = extract_block(user_text, "reviewer_feedback")
    block = dict(block) if isinstance(block, dict) else {"feedback": block}
    # A customer's revision notes (and the draft they revise) are not a reviewer's findings:
    # they strike no tools, but the summary answers them, as the real model would.
    customer_notes = str(block.pop("customer_revision_request", "") or "")
    block.pop("previous_proposal", None)
    feedback = "\n".join(_strings(block))
    flagged: list[str] = []

    def usable_tools(w: dict) -> list[str]:
        tools = [str(t) for t in w.get("tools") or []]
        kept = [t for t in tools if not _mentions(feedback, t)]
        flagged.extend(t for t in tools if t not in kept and t not in flagged)
        return kept or ["Zapier"]

    tools_of = {w["name"]: usable_tools(w) for w in workflows}
    plans = [_plan(w, tools_of[w["name"]], customer) for w in workflows]
    if plans and not feedback and not customer_notes and \
            _hash(customer.seed, "overclaim") % OVERCLAIM_ONE_IN == 0:
        # A first draft sometimes overstates, as models do; the reviewer has to catch it.
        plans[0]["why_it_fits"] = _clip(f"{plans[0]['why_it_fits']} {OVERCLAIM}", 1500)
    quickest_first = sorted(workflows, key=lambda w: (
        FEASIBILITY_RANK.get(str(w.get("feasibility")), 1), int(w.get("time_to_value_weeks") or 4)))
    first = [w["name"] for w in quickest_first[:2]]
    domains = sorted({DOMAIN_LABELS.get(str(w.get("domain")), "Operations").lower()
                      for w in workflows})
    tools = list(dict.fromkeys(t for w in quickest_first for t in tools_of[w["name"]]))
    quickest = min((int(w.get("time_to_value_weeks") or 4) for w in workflows), default=4)
    problem = customer.pain or (_sentences(customer.text) or [""])[0]
    summary = [f"This report is for {customer.company} ({customer.industry}, "
               f"{customer.size_label.lower()})."
               + (f" In your own words, the main problem is: “{_clip(problem, 300)}”"
                  if problem else "")]
    if workflows:
        summary.append(
            f"We recommend starting with {_join([f'“{n}”' for n in first])}. Together the "
            f"{len(workflows)} workflows in this report cover {_join(domains)}, and the "
            f"first can show results in about {_weeks(quickest)} using tools such as "
            f"{_join(tools[:3])}.")
        metrics = [_lower_first(str(w.get("metric"))) for w in quickest_first[:3]]
        summary.append(
            f"They target {_join(metrics)}. "
            "Every figure here is an estimate built on stated assumptions: measure the "
            "starting point before you begin so the improvement can be proven.")
    if customer_notes:
        summary.append(f"This revised edition answers your request: “{_clip(customer_notes, 500)}” "
                       "The plans below have been rewritten with it in mind.")
    recommendations = [
        "Start with the quick wins in the first roadmap stage: they pay back fastest and "
        "build the team's confidence for the larger steps.",
        "Give each workflow one named owner and measure its metric for two weeks before "
        "switching it on.",
        "Keep a person approving anything the AI sends to customers until it has been "
        "right for a month.",
        customer.family.risks[0],
        "Prefer the AI features of tools you already pay for before adding subscriptions."
        if customer.size in ("1", "2-10") else
        "Involve IT and security early: check each vendor's data protection terms and "
        "single sign-on.",
    ]
    if flagged:
        recommendations.append(
            f"{_join(flagged)} could not be verified in review, so these plans do not rely "
            f"on {'it' if len(flagged) == 1 else 'them'}.")
    next_steps = [
        f"This week: choose an owner for “{first[0]}” and start measuring "
        f"{_lower_first(str(workflows[0].get('metric')))}." if workflows else
        "This week: choose one process to automate first and name its owner.",
        f"Book trials or demos of {_join(tools[:3] or ['the tools above'])} and check each "
        "vendor's data protection terms.",
        "Collect 10–20 real examples (emails, documents, requests) the first workflows will "
        "handle, to configure and test them.",
        "In two weeks: review the pilot with the team and decide what to switch on fully.",
    ]
    return {
        "executive_summary": "\n\n".join(_clip(p, 1300) for p in summary),
        "workflows": plans or [_plan({"name": "No workflow selected"}, ["Zapier"], customer)],
        "recommendations": [_clip(r, 600) for r in recommendations],
        "next_steps": [_clip(s, 600) for s in next_steps],
        "ai_policy": [_clip(p, 600) for p in _policy(customer)],
    }


def _plan(w: dict, tools: list[str], customer: Customer) -> dict:
    name = str(w["name"])
    feasibility = str(w.get("feasibility") or "moderate")
    weeks = int(w.get("time_to_value_weeks") or 4)
    metric = str(w.get("metric") or "time spent on this work")
    description = str(w.get("description") or name)
    concept = CONCEPTS.get(concept_of(name) or "")
    words = _matched_words(concept, customer) if concept else []
    fits = f"{description} {concept.problem if concept else w.get('problem_solved') or ''}"
    fits += (f" For {customer.company} this answers what you wrote about {_join(words)}."
             if words else f" It suits a {customer.industry} business of "
                           f"{customer.size_label.lower()}.")
    existing = [t for t in tools if _mentions(customer.text, t)]
    new = [t for t in tools if t not in existing]
    where = f"{_join(existing)}, which you already use" if existing else "your current data"
    setup = (f"Set up {_join(new[:3])} with a test account and connect "
             f"{'it' if len(new) == 1 else 'them'} to {where}." if new else
             f"Turn on the features this needs in {where}.")
    ai = bool(AI_TOOLS & set(tools)) or " AI" in f" {description}"
    steps = [
        f"Measure the starting point: record {_lower_first(metric)} for two weeks and note "
        "who does this work today and how long it takes.",
        setup,
        f"Configure the workflow in {tools[0]}: {description}",
        "Write the AI instructions with 10–20 real examples from your own records, and decide "
        "which outputs a person must approve." if ai else
        "Agree the rules and message templates with the people who do this work today.",
        "Pilot it for two weeks on a small share of the work, with one person checking every "
        "output before it reaches a customer.",
        {"simple": "Switch it on for all of the work and show the team how to handle "
                   "exceptions in a 30-minute session.",
         "advanced": "Fix what the pilot shows, document the integration and its monitoring, "
                     "and roll out in stages."}.get(
            feasibility, "Fix what the pilot shows, train the team in a 30-minute session "
                         "and switch it on for all of the work."),
        f"Review {_lower_first(metric)} monthly against the starting point and adjust.",
    ]
    effort = {
        "simple": f"Low: one staff member for 2–4 days of set-up in {tools[0]}, no code, then "
                  "about an hour a week reviewing results.",
        "advanced": "High: a developer or integration partner for 4–8 weeks, a process owner "
                    "for testing, and clean historical data.",
    }.get(feasibility, f"Medium: a process owner plus 1–3 weeks of configuration in "
                       f"{_join(tools[:2])}, ideally with the vendor's onboarding help.")
    return {
        "name": name,
        "why_it_fits": _clip(fits, 2500),
        "implementation_steps": [_clip(s, 600) for s in steps],
        "effort": effort,
        "time_to_value": f"About {_weeks(weeks)}",
        "metric": _clip(metric, 200),
        "roi_estimate": _roi(str(w.get("domain")), int(w.get("impact") or 3), customer.size),
        **_money_inputs(w, feasibility, concept, customer),
        **_governance(w, tools, customer),
        "roi_assumptions": [
            f"Assumption, not from your form: the figure is scaled from typical businesses of "
            f"{customer.size_label.lower()}; replace it with your own numbers after measuring.",
            f"Assumption: the team uses the workflow fully within {_weeks(weeks + 2)} and a "
            "person still reviews the exceptions.",
        ],
    }


def _hours(impact: int, size: str) -> tuple[int, int]:
    low = max(1, round(impact * SIZE_FACTOR.get(size, 2) / 2))
    return low, max(low + 1, round(low * 2))


def _roi(domain: str, impact: int, size: str) -> str:
    # Always time saved: a revenue claim ("more won deals") is a different unit that the
    # money section cannot add up, so it is named but not counted.
    low, high = _hours(impact, size)
    extra = {"sales": ", plus any extra sales it wins (not counted)",
             "marketing": ", plus any repeat business it brings (not counted)"}
    return f"{low}–{high} staff hours a week{extra.get(domain, '')}"


# Monthly subscription a workflow adds, by complexity, for a team of up to ten; larger
# teams pay for more seats.
TOOL_COST = {"simple": (20, 60), "moderate": (50, 200), "advanced": (200, 800)}
SETUP_DAYS = {"simple": 3, "moderate": 10, "advanced": 30}
SEATS = {"1": 1, "2-10": 1, "11-50": 2, "51-200": 4, "201-1000": 8, "1000+": 12}


def _money_inputs(w: dict, feasibility: str, concept: Concept | None,
                  customer: Customer) -> dict:
    low, high = TOOL_COST.get(feasibility, TOOL_COST["moderate"])
    seats = SEATS.get(customer.size, 2)
    pain_stems = _stems(customer.pain)
    stems = (_CONCEPT_STEMS[concept.key] if concept else
             _stems(f"{w.get('name')} {w.get('description')}"))
    overlap = len(stems & pain_stems)
    share = 0 if not overlap else min(40, 10 + 10 * overlap)
    hours_low, hours_high = _hours(int(w.get("impact") or 3), customer.size)
    return {
        "tool_cost_per_month_usd": {"low": low * seats, "high": high * seats},
        "setup_days": SETUP_DAYS.get(feasibility, 10),
        "main_pain_share_percent": share,
        "hours_saved_per_week": {"low": hours_low, "high": hours_high},
    }


DATA_TOUCHED = {
    "customer_service": "Customers' names, contact details and message history",
    "sales": "Leads' and customers' contact details, quotes and deal notes",
    "marketing": "Customer email lists, preferences and purchase history",
    "operations": "Orders, schedules, job records and supplier details",
    "finance": "Invoices, payment records and customers' billing details",
    "hr": "Staff and applicants' personal data, CVs and contracts",
    "it_data": "Records copied between your systems, including customer data",
    "compliance": "Regulated records, audit evidence and the people they concern",
}
HUMAN_REVIEW = {
    "customer_service": "A person approves replies on new kinds of request, and every "
                        "complaint, refund or sensitive case goes to a person.",
    "sales": "A person checks every quote and offer before it is sent.",
    "marketing": "A person approves each campaign before it goes out.",
    "operations": "A person checks exceptions the workflow flags and spot-checks a sample "
                  "each week.",
    "finance": "A person approves every payment, credit and write-off; the AI only drafts.",
    "hr": "Every decision about a person (hiring, pay, discipline) stays with a manager.",
    "it_data": "A person reviews failed or unusual transfers before they are retried.",
    "compliance": "A responsible person signs off every output before it is relied on.",
}


def _governance(w: dict, tools: list[str], customer: Customer) -> dict:
    domain = str(w.get("domain") or "operations")
    touched = DATA_TOUCHED.get(domain, DATA_TOUCHED["operations"])
    if customer.family.key == "healthcare":
        touched += ", which for a practice includes health information"
    vendor = tools[0] if tools else "each vendor"
    return {
        "data_touched": touched + ".",
        "human_review": HUMAN_REVIEW.get(domain, HUMAN_REVIEW["operations"]),
        "vendor_question": f"Ask {vendor}: is our data used to train your models, where is "
                           "it stored, and will you sign a data processing agreement?",
    }


def _policy(customer: Customer) -> list[str]:
    sensitive = customer.family.risks[0]
    return [
        f"Only approved tools: the AI tools in this report, set up on {customer.company}'s "
        "own business accounts, not personal ones.",
        "Never paste passwords, bank details or anything a customer told you in confidence "
        "into an AI tool that is not on the approved list.",
        sensitive,
        "A person approves anything AI writes before it reaches a customer, until the "
        "workflow has been right for a month; after that, spot-check a sample each week.",
        "Every workflow has a named owner who watches its results and can switch it off.",
        "Mistakes are reported to the owner the same day and corrected with the customer.",
    ]


def _fit(workflow: dict, plan: dict, customer: Customer) -> tuple[float, list[str]]:
    """How well one workflow fits the customer (1, ½ or 0) and the customer's words it uses.

    An idea the model knows is judged by what it is about: its industry, or the customer
    using its telling words (full) or only its side words (half). Another name is judged
    by the customer's words it repeats: two make a full fit, one half of one.
    """
    text = " ".join(_strings([workflow.get("name"), workflow.get("description"),
                              workflow.get("problem_solved"), plan.get("why_it_fits")]))
    shared = _stems(text) & customer.weights.keys()
    words = [customer.surface[s] for s in sorted(shared)]
    concept = CONCEPTS.get(concept_of(str(workflow.get("name"))) or "")
    if concept is None:
        return (1.0 if len(shared) >= 2 else 0.5 if shared else 0.0), words
    if concept.family == customer.family.key != "general" or _hits(concept, customer) >= 3 or (
            _ANCHORS[concept.key] & customer.weights.keys()):
        return 1.0, words
    return (0.5 if _hits(concept, customer) else 0.0), words


def _review(user_text: str) -> dict:
    customer = _customer(user_text)
    report = extract_block(user_text, "report") or {}
    workflows = [w for w in report.get("workflows") or [] if isinstance(w, dict)]
    proposal = report.get("proposal") or {}
    plans = {str(p.get("name")): p for p in proposal.get("workflows") or []
             if isinstance(p, dict)}
    placed = {n for s in (report.get("roadmap") or {}).get("stages") or []
              for n in s.get("workflow_names") or []}
    names = [str(w.get("name")) for w in workflows]

    fits = [_fit(w, plans.get(str(w.get("name")), {}), customer) for w in workflows]
    share = sum(f for f, _ in fits) / len(fits) if fits else 0.0
    echoed = sorted({word for _, words in fits for word in words})
    relevant = sum(f == 1 for f, _ in fits)
    relevance = max(1, min(9, round(2 + 7 * share)))

    unsupported = []
    for w in workflows:
        for tool in w.get("tools") or []:
            if not is_known_product(str(tool)) and not _mentions(customer.text, str(tool),
                                                                 ignore_case=True):
                unsupported.append(f"“{tool}” (in “{w.get('name')}”) is not a product we can "
                                   "verify exists.")
    for name, plan in plans.items():
        for claim in _FIGURE_AS_FACT.findall(str(plan.get("why_it_fits") or "")):
            if not _HEDGED.search(claim) and claim.strip() not in customer.text:
                unsupported.append(f"“{claim.strip()}” (in “{name}”) is a figure presented "
                                   "as fact with no source in the customer's answers.")
        if not any("assum" in str(a).lower() for a in plan.get("roi_assumptions") or []):
            unsupported.append(f"The ROI estimate for “{name}” is presented as fact without "
                               "stated assumptions.")

    issues = [f"No implementation plan for “{n}”." for n in names if n not in plans]
    issues += [f"The proposal plans “{n}”, which is not among the selected workflows."
               for n in plans if n not in names]
    if report.get("roadmap") is not None:
        issues += [f"“{n}” is missing from the roadmap." for n in names if n not in placed]
    summary = str(proposal.get("executive_summary") or "")
    if customer.company.lower() not in summary.lower():
        issues.append("The executive summary does not name the customer's business.")
    keys = [concept_of(n) for n in names]
    for (a, ka), (b, kb) in itertools.combinations(zip(names, keys, strict=True), 2):
        if ka and kb and (ka == kb or frozenset({ka, kb}) in SAME_PROBLEM_GROUPS):
            issues.append(f"“{a}” and “{b}” solve the same problem; one slot is wasted.")
    domains = {w.get("domain") for w in workflows}
    if len(workflows) >= 3 and len(domains) < 3:
        issues.append(f"The workflows cover only {len(domains)} functional area(s).")

    score = relevance - min(3, len(issues))
    if unsupported:
        score = min(score, 6) - (len(unsupported) > 2)
    notes = (f"{relevant} of {len(workflows)} workflows tie directly to what "
             f"{customer.company} described")
    notes += f" (for example {_join(echoed[:5])})." if echoed else "."
    if share < 0.7:
        notes += " Several recommendations are generic and would fit any business."
    return {
        "relevance_score": relevance,
        "relevance_notes": _clip(notes, 2500),
        "unsupported_claims": [_clip(u, 600) for u in unsupported][:20],
        "issues": [_clip(i, 600) for i in issues][:20],
        "score": max(1, min(10, score)),
    }


PHASES: dict[str, Callable[[str], dict]] = {
    "rewrite": _rewrite, "research": _research, "readiness": _readiness, "sample": _sample,
    "clustering": _clustering, "grouper": _grouper, "proposal": _proposal, "review": _review,
}


# -- the entry points ----------------------------------------------------------------------------

def _spoil(answer: dict, text: str, choice: int) -> tuple[str, str]:
    """A realistic bad answer: cut off, a required field left out, or prose around JSON."""
    kind = choice % 3
    if kind == 0:
        return text[: len(text) * (40 + choice % 40) // 100], "max_tokens"
    if kind == 1:
        keys = list(answer)
        dropped = keys[choice % len(keys)]
        return json.dumps({k: v for k, v in answer.items() if k != dropped},
                          ensure_ascii=False), "end_turn"
    return f"Here is the analysis you asked for:\n\n{text}\n\nLet me know if you need more.", \
        "end_turn"


def respond(system: str, user_text: str, schema: dict) -> tuple[str, str]:
    """(text, stop_reason) the offline model answers to this request."""
    title = str(schema.get("title", ""))
    phase = PHASE_BY_TITLE.get(title)
    if phase is None:
        raise ValueError(f"the offline model cannot answer a schema titled {title!r}")
    answer = PHASES[phase](user_text)
    text = json.dumps(answer, ensure_ascii=False)
    if phase != "review" and extract_block(user_text, "retry") is None:
        roll = _hash(title, system, user_text)
        if roll % BAD_ONE_IN == 0:
            return _spoil(answer, text, roll // BAD_ONE_IN)
    return text, "end_turn"


def _token_estimate(text: str) -> int:
    return max(1, len(text) // 4)


class OfflineProvider:
    """The offline model behind the `ModelProvider` interface."""

    name = "offline"
    offline = True

    async def complete(self, request: ModelRequest, *, on_started: OnStarted | None = None,
                       before_send: BeforeSend | None = None) -> ModelResponse:
        if before_send is not None:
            before_send()
        if on_started is not None:
            on_started()
        started = time.perf_counter()
        user_text = request.user_text()
        text, stop_reason = respond(request.system, user_text, request.schema)
        return ModelResponse(
            text=text, stop_reason=stop_reason, model=request.model,
            input_tokens=_token_estimate(request.system + user_text),
            output_tokens=_token_estimate(text),
            latency_ms=round((time.perf_counter() - started) * 1000),
        )

    async def aclose(self) -> None:
        return None
