"""The offline model's readiness scorecard, worked out from the customer's own answers.

Deterministic rules, one per dimension. An unanswered question counts as what a typical
business of the customer's size would answer (so it cannot lower the score) and lowers
that dimension's confidence instead; the evidence says which it was.
"""

from __future__ import annotations

import re

from compass.engine.offline_catalog import OTHER_PRODUCTS, TOOLS
from compass.engine.qa import instruction_like
from compass.intake import AI_COMFORT, BUDGETS, COMPANY_SIZES, DATA_LOCATIONS, TIMELINES

QUESTIONS = {
    "systems_in_use": "which systems and tools you use",
    "data_location": "where your data lives",
    "ai_comfort": "how comfortable your team is with AI tools",
    "tool_budget": "your budget for tools",
    "timeline": "how soon you want results",
    "pain_hours_per_week": "the hours a week your main pain takes",
    "pain_people": "how many people it involves",
    "pain_cost_per_hour": "what an hour of their time costs",
}
_REGULATED = re.compile(
    r"\b(health|dental|dentist|medical|clinic|patient|pharma|care|legal|law|solicitor|"
    r"attorney|account|tax|financ|bank|insur|school|educat|child|payroll)", re.I)
_REPEATABLE = re.compile(
    r"\b(every (day|week|morning)|each (day|week|order|client|customer)|daily|weekly|by hand|"
    r"manual(ly)?|re-?typ\w*|copy(ing)?|spreadsheets?|chas\w+|remind\w*|follow[- ]?ups?)\b", re.I)
_DATA_SCORE = {"paper": 1, "spreadsheets": 2, "mixed": 2, "own_systems": 3, "cloud_apps": 4}
_COMFORT_SCORE = {"none": 1, "curious": 2, "some": 3, "daily": 4}
_TIMELINE_DELTA = {"month": 1, "quarter": 1, "half_year": 0, "exploring": -1}
_BUDGET_DELTA = {"under_100": 0, "100_500": 0, "500_2000": 1, "2000_10000": 1, "over_10000": 1}
_KNOWN = {re.sub(r"[^a-z0-9]+", "", p.lower()) for p in (*TOOLS, *OTHER_PRODUCTS)}
_KNOWN |= {"quickbooks", "xero", "shopify", "dentrix", "salesforce", "hubspot", "slack",
           "microsoft365", "office365", "googleworkspace", "gmail", "outlook", "excel",
           "sage", "zoho", "mailchimp", "square", "stripe", "notion", "airtable", "zapier"}

LIMITS = {
    "strategy": ("There is no stated goal, owner or date for AI yet, so tools get tried "
                 "and dropped.", "The goal is clear; what is missing is a measured starting "
                 "point to prove the gain against."),
    "data": ("The information the workflows need is on paper or scattered, so an AI tool "
             "cannot reach it.", "Data sits in several places; each workflow needs one "
             "place it can read from and write to."),
    "technology": ("Few systems that connect to anything: every workflow would start with "
                   "a new tool.", "The systems exist; the work is connecting them without "
                   "custom code."),
    "people": ("The team has little hands-on experience with AI tools, so adoption is the "
               "main risk.", "Some people use AI already; the rest need examples from "
               "their own work."),
    "process": ("The work is not yet written down or measured, so it is hard to automate or "
                "to prove a gain.", "The work repeats; writing down the steps and the "
                "exceptions is what remains."),
    "governance": ("No rules yet for what data AI tools may see or who approves what they "
                   "send.", "Some rules exist; they need to cover AI tools explicitly."),
}
FIRST_FIX = {
    "strategy": ("Name one owner and one measurable goal for the first workflow, with a date.",
                 "Measure the main pain for two weeks before the first tool is switched on."),
    "data": ("Move the records the first workflow needs into one shared, cloud-based place "
             "(a spreadsheet or the system you already pay for).",
             "Pick the single system each workflow reads from, and clean its contact and "
             "customer fields."),
    "technology": ("List the systems you use and check which have built-in AI features or "
                   "integrations before buying anything.",
                   "Connect the two systems the first workflow needs with an integration "
                   "tool such as Zapier or Make."),
    "people": ("Give two volunteers an hour a week for a month to try AI tools on their own "
               "tasks and show the team.",
               "Share what works: a short weekly show-and-tell of real prompts and results."),
    "process": ("Write down the steps of the main pain as they happen today, with who does "
                "what and how long it takes.",
                "List the exceptions the workflow must hand back to a person."),
    "governance": ("Adopt the short AI-use policy in this report: what data may go into AI "
                   "tools, and who approves what they send.",
                   "Add AI tools to your vendor checks: data protection terms, where data is "
                   "stored, and training on your data."),
}


def _typical(size: str) -> int:
    return 2 if size in ("", "1", "2-10") else 3


def _items(text: str) -> list[str]:
    parts = re.split(r"[,;/\n]|\band\b|\+", text)
    return [p.strip() for p in parts if len(p.strip()) > 1]


def _number(value: object) -> float | None:
    try:
        return float(value) if value not in (None, "") else None  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _dimension(name: str, score: int, evidence: list[str], confidence: str) -> dict:
    score = max(1, min(5, score))
    level = 0 if score <= 2 else 1
    return {"dimension": name, "score": score, "evidence": evidence[:4],
            "limits": LIMITS[name][level], "first_fix": FIRST_FIX[name][level],
            "confidence": confidence}


def _confidence(answered: int, of: int) -> str:
    return "high" if answered == of else "medium" if answered else "low"


def readiness(form: dict) -> dict:
    """The Readiness phase's answer for the customer's form (`customer_input`)."""
    def text(key: str) -> str:
        return str(form.get(key) or "").strip()

    size = text("company_size")
    size_label = COMPANY_SIZES.get(size, "your size").lower()
    typical = _typical(size)
    assumed = f"not answered, so scored as typical for a business of {size_label}."
    # Text addressed to an AI is not the customer's description: never quoted back.
    pain, prompt = (" ".join(p for p in re.split(r"(?<=[.!?])\s+", text(key))
                             if p and not instruction_like(p)) for key in ("pain_point", "prompt"))
    hours, people, cost = (_number(form.get(k)) for k in (
        "pain_hours_per_week", "pain_people", "pain_cost_per_hour"))
    timeline, budget = text("timeline"), text("tool_budget")
    location, comfort, systems = text("data_location"), text("ai_comfort"), text("systems_in_use")

    evidence = [f"You name a specific problem: “{pain[:160]}”" if pain else
                "No single pain point is named; the description is the starting point."]
    evidence.append(f"Timeline: {TIMELINES[timeline].lower()}." if timeline in TIMELINES
                    else "Timeline: " + assumed)
    if budget in BUDGETS:
        evidence.append(f"Budget for tools: {BUDGETS[budget].lower()}.")
    if hours is not None:
        evidence.append(f"You know what the pain costs in time: {hours:g} hours a week.")
    strategy = _dimension("strategy", 2 + bool(pain) + _TIMELINE_DELTA.get(timeline, 0)
                          + _BUDGET_DELTA.get(budget, 0) + (hours is not None), evidence,
                          _confidence((timeline in TIMELINES) + (budget in BUDGETS), 2))

    if location in DATA_LOCATIONS:
        data = _dimension("data", _DATA_SCORE[location],
                          [f"Your data lives: {DATA_LOCATIONS[location].lower()}."], "high")
    else:
        data = _dimension("data", typical, ["Where your data lives: " + assumed], "low")

    named = _items(systems)
    known = [s for s in named if re.sub(r"[^a-z0-9]+", "", s.lower()) in _KNOWN]
    if named:
        score = 2 + (len(named) >= 2) + (len(named) >= 4) + (len(known) >= 2)
        technology = _dimension("technology", score, [
            f"Systems in use: {', '.join(named[:6])}.",
            f"{len(known)} of them are widely used products with integrations."
            if known else "None of them is a product with ready-made AI integrations."], "high")
    else:
        technology = _dimension("technology", typical, ["Systems in use: " + assumed], "low")

    people_evidence = []
    if people is not None:
        people_evidence.append(f"{people:g} people do this work today: they are the ones to "
                               "train first.")
    if comfort in AI_COMFORT:
        people_dim = _dimension("people", _COMFORT_SCORE[comfort],
                                [f"The team and AI tools: {AI_COMFORT[comfort].lower()}.",
                                 *people_evidence], "high")
    else:
        people_dim = _dimension("people", 2, ["Comfort with AI tools: " + assumed,
                                              *people_evidence], "low")

    repeatable = sorted({m.group(0).lower() for m in _REPEATABLE.finditer(f"{prompt} {pain}")})
    process_evidence = [f"The work you describe repeats ({', '.join(repeatable[:4])})."
                        if repeatable else "The description does not say how often the work "
                                           "repeats."]
    if hours is not None:
        process_evidence.append(f"It is measured: {hours:g} hours a week"
                                + (f" at ${cost:,.0f} an hour." if cost is not None else "."))
    else:
        process_evidence.append("Hours spent on it: " + assumed)
    process = _dimension("process", 2 + bool(repeatable) + (hours is not None),
                         process_evidence,
                         _confidence((hours is not None) + (people is not None), 2))

    regulated = _REGULATED.search(f"{text('industry')} {prompt}")
    governance = _dimension("governance", typical, [
        f"Your work involves regulated or sensitive data ({regulated.group(0).lower()}…): "
        "AI tools need rules before they see it." if regulated else
        "Customer and staff data is personal data: AI tools need rules before they see it.",
        "No question on the form covers governance: scored as typical for a business of "
        f"{size_label}."], "medium")

    dimensions = [strategy, data, technology, people_dim, process, governance]
    unanswered = [QUESTIONS[k] for k in QUESTIONS if form.get(k) in (None, "")]
    best = max(dimensions, key=lambda d: d["score"])
    worst = min(dimensions, key=lambda d: d["score"])
    summary = (f"Strongest on {best['dimension']} ({best['score']} of 5); weakest on "
               f"{worst['dimension']} ({worst['score']} of 5), so start there: "
               f"{worst['first_fix'][:1].lower()}{worst['first_fix'][1:]}")
    if unanswered:
        summary += (f" {len(unanswered)} of {len(QUESTIONS)} readiness questions were left "
                    "empty; those dimensions are scored as typical for your size, with low "
                    "confidence, not marked down.")
    return {"summary": summary[:2500], "dimensions": dimensions,
            "unanswered": [u[:200] for u in unanswered]}
