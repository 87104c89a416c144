"""The report's assessment sections as display data: the scorecard and the considered list.

Built from the engine's stored result by `compass.report.build_report`. Each builder is
forgiving about what it reads (older results lack these parts) and returns None when a
section has nothing to show, so a report stored before a section existed still renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from compass.engine.models import DIMENSION_LABELS, DIMENSIONS

CONFIDENCE_LABELS = {"high": "High confidence", "medium": "Medium confidence",
                     "low": "Low confidence"}
LEVELS = ((4.2, "Ready to scale"), (3.4, "Ready to start"), (2.6, "Getting ready"),
          (0.0, "Early days"))


def text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def texts(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


@dataclass(frozen=True)
class Dimension:
    key: str
    label: str
    score: int
    evidence: list[str]
    limits: str
    first_fix: str
    confidence: str
    confidence_label: str


@dataclass(frozen=True)
class Scorecard:
    overall: float
    level: str
    summary: str
    dimensions: list[Dimension]
    unanswered: list[str]
    # Labels of the dimensions scored on assumptions rather than on the customer's answers.
    assumed: list[str]

    @property
    def weakest(self) -> Dimension:
        return min(self.dimensions, key=lambda d: (d.score, DIMENSIONS.index(d.key)))


def scorecard(raw: Any) -> Scorecard | None:
    if not isinstance(raw, dict):
        return None
    found: dict[str, Dimension] = {}
    for item in raw.get("dimensions") or []:
        if not isinstance(item, dict) or item.get("dimension") not in DIMENSION_LABELS:
            continue
        score = item.get("score")
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            continue
        confidence = text(item.get("confidence")) or "medium"
        found.setdefault(item["dimension"], Dimension(
            key=item["dimension"], label=DIMENSION_LABELS[item["dimension"]], score=score,
            evidence=texts(item.get("evidence")), limits=text(item.get("limits")),
            first_fix=text(item.get("first_fix")), confidence=confidence,
            confidence_label=CONFIDENCE_LABELS.get(confidence, confidence.capitalize())))
    if not found:
        return None
    dimensions = [found[key] for key in DIMENSIONS if key in found]
    overall = round(sum(d.score for d in dimensions) / len(dimensions), 1)
    level = next(label for floor, label in LEVELS if overall >= floor)
    return Scorecard(overall=overall, level=level, summary=text(raw.get("summary")),
                     dimensions=dimensions, unanswered=texts(raw.get("unanswered")),
                     assumed=[d.label for d in dimensions if d.confidence == "low"])


@dataclass(frozen=True)
class Considered:
    name: str
    domain_label: str
    votes: int
    selected: bool
    why_not: str


# Tiers whose report lists every idea considered (an appendix the starter report leaves out).
CONSIDERED_TIERS = frozenset({"standard", "premium"})


def considered(raw: Any, tier: str) -> list[Considered]:
    if tier not in CONSIDERED_TIERS or not isinstance(raw, list):
        return []
    rows = [Considered(name=text(item.get("name")), domain_label=text(item.get("domain_label")),
                       votes=item["votes"] if isinstance(item.get("votes"), int) else 0,
                       selected=bool(item.get("selected")), why_not=text(item.get("why_not")))
            for item in raw if isinstance(item, dict) and text(item.get("name"))]
    return sorted(rows, key=lambda c: (not c.selected, -c.votes, c.name.casefold()))
