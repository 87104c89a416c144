"""Chooses the workflows a tier's report presents, from the voter's clusters.

Each cluster's representative is scored on four things: how many analysts proposed it,
how closely it matches the customer's own words, its impact, and how well its
feasibility fits the tier. The top `tier.workflow_count` are taken, limited to what the
tier's customer can build, then swapped until at least three functional domains appear.
Two workflows that solve the same problem (a website FAQ chatbot and ticket deflection)
are never both chosen: the weaker one gives its slot to the next best distinct idea.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from compass.engine import qa
from compass.engine.models import DOMAIN_LABELS
from compass.engine.prompts import PERSPECTIVE_LABELS
from compass.engine.voter import Cluster, PairScorer, concepts
from compass.tiers import FEASIBILITY_RANK, Tier

# Score weights (they sum to 1, so a score is 0..1).
CONSENSUS_WEIGHT = 0.35
RELEVANCE_WEIGHT = 0.30
IMPACT_WEIGHT = 0.20
FIT_WEIGHT = 0.15
DEFAULT_WEIGHTS = (CONSENSUS_WEIGHT, RELEVANCE_WEIGHT, IMPACT_WEIGHT, FIT_WEIGHT)
# After the reviewer found the report off the customer's point: relevance leads, and a
# workflow one feasibility level above the tier may win if it is what they asked for.
RELEVANCE_FOCUS_WEIGHTS = (0.15, 0.75, 0.05, 0.05)
RELAXED_PENALTY = 0.10
# Fallback ranking: simpler and closer to the customer's words first, votes break ties.
FALLBACK_FEASIBILITY_WEIGHT = 0.45
FALLBACK_RELEVANCE_WEIGHT = 0.45
FALLBACK_VOTES_WEIGHT = 0.10
NAME_BOOST = 2.0  # a concept in the workflow's name says more than one in its description
MATCHED_SHOWN = 4
MATCH_REASON_FROM = 0.1  # below this relevance, what matched is incidental ("hours")
# Same problem: the closest two phrasings (name and description), then what problem they
# say they solve and which tools they use, both weighted by rarity among the candidates.
SAME_NAME_WEIGHT = 0.6
SAME_PROBLEM_WEIGHT = 0.25
SAME_TOOLS_WEIGHT = 0.15
SAME_PROBLEM = 0.5


class _Relevance:
    """How much of a workflow's vocabulary the customer used, and how many of the brief's
    keywords it touches. Concepts common to every candidate count less (IDF)."""

    def __init__(self, customer_text: str, keywords: Sequence[str], corpus: Sequence[dict] = ()):
        self.keywords = {k: set(concepts(k)) for k in keywords if concepts(k)}
        self.customer = set(concepts(customer_text)).union(*self.keywords.values())
        df = Counter(c for w in corpus for c in set(self._weights(w)))
        self.idf = {c: math.log((1 + len(corpus)) / (1 + n)) + 1 for c, n in df.items()}

    @staticmethod
    def _weights(workflow: dict) -> dict[str, float]:
        body = " ".join(str(workflow.get(k, "")) for k in ("description", "problem_solved",
                                                              "metric"))
        weights = dict.fromkeys(concepts(body), 1.0)
        weights.update(dict.fromkeys(concepts(str(workflow.get("name", ""))), NAME_BOOST))
        return weights

    def __call__(self, workflow: dict) -> tuple[float, list[str]]:
        """The score, and what matched: the brief's keywords, else the customer's terms."""
        weights = {c: w * self.idf.get(c, 1.0) for c, w in self._weights(workflow).items()}
        total = sum(weights.values())
        matched = sorted((c for c in weights if c in self.customer), key=lambda c: -weights[c])
        coverage = sum(weights[c] for c in matched) / total if total else 0.0
        if not self.keywords:
            return coverage, matched
        hits = [k for k, wanted in self.keywords.items() if wanted & weights.keys()]
        return 0.5 * coverage + 0.5 * len(hits) / len(self.keywords), hits or matched


def _rarity(bags: Sequence[set[str]]) -> dict[str, float]:
    """log(N/df): a term every candidate shares ("saves time", Zapier) weighs nothing."""
    df = Counter(term for bag in bags for term in bag)
    return {term: math.log((1 + len(bags)) / (1 + n)) for term, n in df.items()}


class _SameProblem:
    """0..1: how likely two clusters are one problem solved twice."""

    def __init__(self, clusters: Sequence[Cluster]):
        workflows = [m.workflow for c in clusters for m in c.members]
        self.index = {id(w): n for n, w in enumerate(workflows)}
        self.pair = PairScorer(workflows)
        self.problem_idf = _rarity([set(self._problem(w)) for w in workflows])
        self.tools_idf = _rarity([self._tools(c) for c in clusters])
        self.cache: dict[tuple[int, int], float] = {}

    @staticmethod
    def _problem(workflow: dict) -> tuple[str, ...]:
        return concepts(str(workflow.get("problem_solved", "")))

    @staticmethod
    def _tools(cluster: Cluster) -> set[str]:
        return {str(t).lower() for m in cluster.members for t in m.workflow.get("tools", [])}

    def _cosine(self, a: dict, b: dict) -> float:
        va = {c: self.problem_idf.get(c, 0.0) for c in self._problem(a)}
        vb = {c: self.problem_idf.get(c, 0.0) for c in self._problem(b)}
        norms = math.sqrt(sum(v * v for v in va.values()) * sum(v * v for v in vb.values()))
        return sum(v * vb.get(c, 0.0) for c, v in va.items()) / norms if norms else 0.0

    def __call__(self, a: Cluster, b: Cluster) -> float:
        key = (id(a), id(b)) if id(a) < id(b) else (id(b), id(a))
        if key not in self.cache:
            pairs = [(x.workflow, y.workflow) for x in a.members for y in b.members]
            names = max(self.pair(self.index[id(x)], self.index[id(y)]) for x, y in pairs)
            problem = max(self._cosine(x, y) for x, y in pairs)
            ta, tb = self._tools(a), self._tools(b)
            mass = sum(self.tools_idf.get(t, 0.0) for t in ta | tb)
            tools = sum(self.tools_idf.get(t, 0.0) for t in ta & tb) / mass if mass else 0.0
            self.cache[key] = (SAME_NAME_WEIGHT * names + SAME_PROBLEM_WEIGHT * problem
                               + SAME_TOOLS_WEIGHT * tools)
        return self.cache[key]


def same_problem(a: Cluster, b: Cluster, among: Sequence[Cluster] = ()) -> bool:
    """Whether two clusters solve the same problem (rarity taken from `among`)."""
    return _SameProblem(list(among) or [a, b])(a, b) >= SAME_PROBLEM


def relevance(workflow: dict, customer_text: str, keywords: list[str]) -> float:
    """0..1: overlap of the workflow's name, description, problem and metric with the
    customer's own text and the brief's keywords."""
    return _Relevance(customer_text, keywords)(workflow)[0]


def _rank(workflow: dict) -> int:
    return FEASIBILITY_RANK.get(str(workflow.get("feasibility")), 1)


def _samples(clusters: Sequence[Cluster]) -> int:
    return max(1, len({m.sample for c in clusters for m in c.members}))


def _name(cluster: Cluster) -> str:
    return str(cluster.representative.get("name", "")).lower()


def fallback_rank(
    clusters: list[Cluster], customer_text: str, keywords: list[str]
) -> list[Cluster]:
    """Without consensus: simplest and most relevant first, votes as the tie-breaker."""
    score_relevance = _Relevance(customer_text, keywords, [c.representative for c in clusters])
    samples = _samples(clusters)
    top = max(FEASIBILITY_RANK.values())

    def score(cluster: Cluster) -> float:
        workflow = cluster.representative
        return (FALLBACK_FEASIBILITY_WEIGHT * (1 - _rank(workflow) / top)
                + FALLBACK_RELEVANCE_WEIGHT * score_relevance(workflow)[0]
                + FALLBACK_VOTES_WEIGHT * cluster.votes / samples)

    return sorted(clusters, key=lambda c: (-score(c), -c.votes, _name(c)))


@dataclass(eq=False)  # identity: the same cluster is never selected twice
class Selection:
    cluster: Cluster
    workflow: dict
    score: float
    relevance: float
    reasons: list[str] = field(default_factory=list)
    relaxed: bool = False  # above the tier's usual feasibility, because too few fitted
    # Clusters left out because they solve the same problem as this one.
    duplicates: list[Cluster] = field(default_factory=list)

    @property
    def domain(self) -> str:
        return str(self.workflow.get("domain"))


def _score(cluster: Cluster, tier: Tier, samples: int, score_relevance: _Relevance,
           weights: tuple[float, float, float, float] = DEFAULT_WEIGHTS) -> Selection:
    workflow = cluster.representative
    relevance_score, matched = score_relevance(workflow)
    impact = int(workflow.get("impact", 3))
    gap = FEASIBILITY_RANK[tier.max_feasibility] - _rank(workflow)
    # The tier's own level fits best: premium buyers want the ambitious builds.
    fit = 1 - 0.25 * gap if gap >= 0 else 0.0
    consensus_w, relevance_w, impact_w, fit_w = weights
    score = (consensus_w * min(1.0, cluster.votes / samples)
             + relevance_w * relevance_score
             + impact_w * (impact - 1) / 4
             + fit_w * fit)
    perspectives = ", ".join(PERSPECTIVE_LABELS.get(p, p) for p in cluster.perspectives)
    reasons = [f"Proposed by {cluster.votes} of {samples} analysts ({perspectives})"]
    if matched and relevance_score >= MATCH_REASON_FROM:
        reasons.append(f"Matches the customer's brief: {', '.join(matched[:MATCHED_SHOWN])}")
    reasons.append(f"Impact {impact}/5, feasibility {workflow.get('feasibility')}")
    return Selection(cluster, workflow, score, relevance_score, reasons, relaxed=gap < 0)


def _order(selection: Selection) -> tuple:
    return (selection.relaxed, -selection.score, _name(selection.cluster))


def _distinct(pool: list[Selection], count: int, same: _SameProblem) -> list[Selection]:
    """The best `count` of `pool` (already in order), skipping any that solves the same
    problem as one already taken; the skipped one is recorded on the one that won."""
    chosen: list[Selection] = []
    for selection in pool:
        if len(chosen) == count:
            break
        twin = next((c for c in chosen if same(c.cluster, selection.cluster) >= SAME_PROBLEM),
                    None)
        if twin is None:
            chosen.append(selection)
        elif selection.cluster not in twin.duplicates:
            twin.duplicates.append(selection.cluster)
    return chosen


def _diversify(chosen: list[Selection], pool: list[Selection], min_domains: int,
               same: _SameProblem | None = None) -> None:
    """Swap the weakest pick of a crowded domain for the best pick of a missing one."""
    while len({s.domain for s in chosen}) < min(min_domains, len(chosen)):
        present = Counter(s.domain for s in chosen)
        crowded = [s for s in chosen if present[s.domain] > 1]
        out = max(crowded, key=_order) if crowded else None
        newcomers = sorted(
            (s for s in pool if s.domain not in present and s not in chosen
             and not (same and any(same(c.cluster, s.cluster) >= SAME_PROBLEM
                                   for c in chosen if c is not out))),
            key=_order)
        if not newcomers or out is None:
            return
        newcomer = newcomers[0]
        label = DOMAIN_LABELS.get(newcomer.domain, newcomer.domain)
        newcomer.reasons.append(f"Chosen to cover a further functional area ({label})")
        chosen[chosen.index(out)] = newcomer


def select(
    clusters: list[Cluster],
    tier: Tier,
    customer_text: str,
    keywords: list[str],
    *,
    min_domains: int = 3,
    focus_on_relevance: bool = False,
    pain: str = "",
) -> list[Selection]:
    """The tier's workflows, best first: feasible for the tier, ≥ min_domains domains.

    `focus_on_relevance` is the second opinion after a review found the report generic.
    `pain` is the customer's pain point: some pick must address the first pain it names.
    """
    clusters = list({id(c): c for c in clusters}.values())
    score_relevance = _Relevance(customer_text, keywords, [c.representative for c in clusters])
    samples = _samples(clusters)
    weights = RELEVANCE_FOCUS_WEIGHTS if focus_on_relevance else DEFAULT_WEIGHTS
    scored = [_score(c, tier, samples, score_relevance, weights) for c in clusters]
    limit = FEASIBILITY_RANK[tier.max_feasibility]
    if focus_on_relevance:
        return _select_for_relevance(scored, tier, limit, min_domains, _SameProblem(clusters),
                                     pain)
    pool = [s for s in scored if _rank(s.workflow) <= limit]
    if len(pool) < tier.workflow_count:
        pool = [s for s in scored if _rank(s.workflow) <= limit + 1]
        for selection in pool:
            if selection.relaxed:
                selection.reasons.append(
                    f"Above the {tier.label} tier's usual '{tier.max_feasibility}' builds: "
                    f"too few {tier.max_feasibility} workflows were proposed")
    pool.sort(key=_order)
    same = _SameProblem(clusters)
    chosen = _distinct(pool, tier.workflow_count, same)
    _diversify(chosen, pool, min_domains, same)
    _address_pain(chosen, pool, pain, same)
    return sorted(chosen, key=_order)


def _address_pain(chosen: list[Selection], pool: list[Selection], pain: str,
                  same: _SameProblem) -> None:
    """When no pick addresses the customer's first-named pain, the best candidate that does
    takes the place of the weakest pick (one from a crowded domain when there is one)."""
    if not pain or not chosen:
        return
    first = qa.first_pain(pain)
    if any(qa.addresses(s.workflow, first) for s in chosen):
        return
    present = Counter(s.domain for s in chosen)
    crowded = [s for s in chosen if present[s.domain] > 1]
    out = max(crowded or chosen, key=_order)
    for candidate in pool:
        if candidate in chosen or not qa.addresses(candidate.workflow, first):
            continue
        if any(same(c.cluster, candidate.cluster) >= SAME_PROBLEM for c in chosen
               if c is not out):
            continue
        candidate.reasons.append("Chosen because it addresses the first problem you named")
        chosen[chosen.index(out)] = candidate
        return


def _select_for_relevance(scored: list[Selection], tier: Tier, limit: int,
                          min_domains: int, same: _SameProblem,
                          pain: str = "") -> list[Selection]:
    pool = [s for s in scored if _rank(s.workflow) <= limit + 1]
    for selection in pool:
        if selection.relaxed:
            selection.score -= RELAXED_PENALTY
            selection.reasons.append(
                f"Above the {tier.label} tier's usual '{tier.max_feasibility}' builds, chosen "
                "because it addresses what the customer asked for")

    def order(selection: Selection) -> tuple:
        return (-selection.score, _name(selection.cluster))

    pool.sort(key=order)
    chosen = _distinct(pool, tier.workflow_count, same)
    _diversify(chosen, pool, min_domains, same)
    _address_pain(chosen, pool, pain, same)
    return sorted(chosen, key=order)
