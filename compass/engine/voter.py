"""Self-consistency voting: which workflows do at least 3 of the 5 analyst samples agree on.

Analysts word the same idea differently ("AI email triage", "Automated inbox
classification with AI"), so workflows are matched by meaning, not by name:

1. Text becomes a bag of *concepts*: lower-cased words, filler dropped ("AI-powered",
   "automated", "system"), synonyms mapped to one concept by a compact lexicon ("inbox",
   "mail" → email; "classification", "sorting" → triage), other words lightly stemmed.
2. Two workflows score 0..1: mostly what their names say (overlap of the two names'
   concepts, weighted Dice, and how much of each name the other's name or description
   says), then the cosine of their whole texts (TF-IDF), then whether the domain agrees. Within
   one vote, concepts are weighted by rarity across all 125 workflows, so a word every
   workflow of this business shares ("patient") says less than a rare one ("refill").
3. Average-linkage clustering merges the most similar groups first while the average
   similarity stays above THRESHOLD, and never puts two workflows of one sample in a
   cluster, so an analyst who wrote the same idea twice still votes once.

Deterministic, pure Python, about 10 ms for 5 × 25 workflows. bench/voting.py measures it
against exact name matching on paraphrased synthetic samples.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from compass.tiers import FEASIBILITY_RANK

# Weights of the three signals, and the average similarity a cluster must keep. Chosen by
# sweeping them on bench/voting.py's development industries: F1 is flat for thresholds
# 0.34-0.40 and text weights 0.25-0.35; 0.38 is the precision-leaning end of that plateau.
# Workflows whose names share no concept are never linked, whatever their descriptions.
NAME_WEIGHT = 0.6
TEXT_WEIGHT = 0.3
DOMAIN_WEIGHT = 0.1
THRESHOLD = 0.38
# Share of the name signal taken by cross-coverage (how much of one name the other's name or
# description says) rather than name-to-name overlap: "Speed-to-lead autoresponder" shares
# no concept with "Web enquiry follow-up sequence", but each one's description says the
# other's name. 0.7 was chosen on the dev set only (recall +4-8 points, precision flat).
CROSS_WEIGHT = 0.7
MAX_TOOLS = 6

_FILLER = """
a an and the for of to in on by via from into with using use at as or per our your their its
it is are be all every each any more less than this that so up out off over new based driven
ai artificial intelligence automated automate automatic automatically automation auto smart
intelligent powered enabled system tool workflow solution platform engine genai generative llm
gpt ml machine_learning digital online assistant copilot helper handle handling manage
management process processing improve improved better faster instant quick real_time service
"""
STOPWORDS = frozenset(_FILLER.split())

# concept: surface forms. "_" joins a phrase; a surface under two concepts maps to both.
# Forms are written singular with -ise spelling; plurals and -ize are folded automatically.
LEXICON = """
email: email mail inbox mailbox message messaging communication comms
sms: sms text texting whatsapp
call: call phone telephone voicemail receptionist
chatbot: chatbot bot chat live_chat virtual_assistant virtual_agent voice_agent concierge faq
chatbot: self_service helpdesk_bot deflection deflect self_serve
question: question enquiry inquiry query faq q_and_a
request: request ask invite invitation solicit
reply: reply respond response responder answer answering autoreply autoresponder
triage: triage classify classification classifier categorise categorisation category sort
triage: sorting routing tag tagging label labelling prioritise prioritisation priority
route: route routing dispatch route_planning route_planner delivery_route
schedule: schedule scheduling scheduler booking reservation dispatch calendar roster rostering
schedule: rota timetable timetabling
appointment: appointment booking reservation visit slot
invoice: invoice invoicing bill billing accounts_payable
payment: payment pay paid receivable accounts_receivable dunning rent debt_collection
payment: rent_collection payment_collection ar
collect: collect collection gather gathering
overdue: overdue late unpaid arrears outstanding
extract: extract extraction capture parse parsing ocr scan scanning data_entry keying digitise
reminder: reminder remind follow_up followup nudge chase chasing chaser dunning recall
notify: notify notification alert update warning
status: status eta tracking_update where_is_my_order wismo
order: where_is_my_order wismo
monitor: monitor monitoring track tracking watch
lead: lead prospect lead_generation enquiry inquiry
score: score scoring qualify qualification prioritise prioritisation ranking rank
quote: quote quotation quoting estimate estimating estimation proposal
price: price pricing rate markdown
optimise: optimise optimisation optimal dynamic efficient
review: review rating testimonial reputation feedback survey nps
analytics: analysis analyse analytics insight sentiment trend conversation_intelligence
report: report reporting dashboard kpi scorecard business_intelligence bi diary log
summary: summary summarise summarisation note minute minutes recap transcript transcription
summary: transcribe scribe digest
draft: draft drafting write writer writing generate generation generator compose create
draft: creation author authoring builder prepare preparation prep assemble assembly
content: content copy copywriting post caption description blog article
social: social social_media instagram facebook linkedin tiktok
newsletter: newsletter announcement bulletin
onboarding: onboarding onboard welcome induction
intake: intake registration register form questionnaire
employee: employee staff new_hire new_starter new_joiner workforce personnel
customer: customer client consumer shopper account
inventory: inventory stock stocktake stock_level par_level
reorder: reorder reordering replenish replenishment restock
purchase: purchase purchasing procurement po purchase_order buying supplier_order
forecast: forecast forecasting predict prediction predictive projection demand
fleet: fleet vehicle truck van lorry
maintenance: maintenance repair servicing breakdown upkeep
delivery: delivery shipment shipping parcel consignment courier
freight: freight carrier haulage transport
pod: proof_of_delivery pod delivery_note
customs: customs declaration export import border tariff
load: load pallet consolidation
audit: audit auditing check checking verify verification scrubbing discrepancy overcharge
audit: anomaly contract_review
ticket: ticket helpdesk help_desk support_request support_queue queue case
support: support customer_service customer_support service_desk
bug: bug crash issue error
reconcile: reconcile reconciliation reconciling transaction_matching rec
match: match matching reconcile
bank: bank transaction ledger bank_feed statement
expense: expense receipt expense_report expense_claim
claim: claim
insurance: insurance insurer
payroll: payroll salary wage pay_run
timesheet: timesheet time_entry time_tracking time_capture billable_hour billable_time
contract: contract agreement clause contract_review
document: document documentation paperwork file filing pdf
knowledge: knowledge knowledge_base kb handbook manual wiki intranet policy help_centre help_center
sop: sop standard_operating_procedure work_instruction procedure process_documentation
recruit: recruit recruiting recruitment hiring hire candidate applicant cv resume talent
screen: screen screening shortlist shortlisting filter filtering vet vetting referencing
screen: background_check
winback: churn retention retain winback win_back reactivation reactivate lapsed dormant
winback: inactive reengagement reactivation recall
risk: risk risky at_risk
legal: legal law lawyer case_law precedent statute legislation
research: research lookup search
conflict: conflict conflict_of_interest
engagement_letter: engagement_letter letter_of_engagement
tax: tax vat tax_return
close: month_end period_close close closing
prescription: prescription script medication refill repeat_prescription
waitlist: waitlist waiting_list cancellation backfill
clinical: clinical medical consultation soap
product: product catalogue catalog sku item merchandise
cart: cart basket checkout abandon abandoned abandonment
return: return refund rma exchange
recommend: recommend recommendation suggestion cross_sell upsell
order: order ordering
menu: menu recipe dish food ingredient
cost: cost costing margin profitability profit
price: revenue_management yield_management
roster: roster rostering rota shift shift_planning
technician: technician crew engineer tradesperson tradesman installer field_service
job: job work_order
quote: bid tender
material: material takeoff take_off quantity bill_of_materials bom
safety: safety health_and_safety hse rams risk_assessment method_statement toolbox_talk
subcontractor: subcontractor subbie contractor
supplier: supplier vendor
property: property home house real_estate
tenant: tenant renter tenancy letting rental rent
viewing: viewing showing open_house
valuation: valuation valuing appraisal avm comparable
buyer: buyer purchaser
machine: machine equipment asset plant
failure: failure breakdown downtime
quality: quality qc defect
vision: vision camera computer_vision visual
production: production manufacturing shop_floor
energy: energy power electricity gas utility
conversion: conversion convert trial free_trial activation
release: release changelog release_note
grade: grade grading marking mark assessment essay homework assignment
enrol: enrolment enrollment admission
lesson: lesson curriculum course teaching
attendance: attendance absence absent
timetable: timetable timetabling class_schedule
student: student pupil learner
"""


@functools.lru_cache(maxsize=16384)
def _fold(word: str) -> str:
    """Spelling and plural folding: -ize → -ise, plurals → singular."""
    word = word.replace("iz", "is").replace("yz", "ys")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_SUFFIXES = ("ations", "ation", "ings", "ing", "ers", "er", "ed", "ions", "ion", "es", "s", "e")


def _stem(word: str) -> str:
    """Light suffix stripping for words the lexicon does not know."""
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


Lookup = dict[tuple[str, ...], tuple[str, ...]]


def _parse_lexicon(text: str) -> tuple[Lookup, Lookup]:
    """(single words, phrases) → concepts. Filler phrases map to no concept."""
    table: dict[tuple[str, ...], set[str]] = defaultdict(set)
    stems: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for line in text.strip().splitlines():
        concept, _, surfaces = line.partition(":")
        for surface in surfaces.split():
            words = tuple(_fold(w) for w in surface.split("_"))
            table[words].add(concept)
            if len(words) == 1:
                stems[(_stem(words[0]),)].add(concept)
    # Stems catch other inflections ("prioritising"), but never override a listed form:
    # "customs" must not become "customer".
    for key, value in stems.items():
        table.setdefault(key, value)
    for filler in STOPWORDS:
        if "_" in filler:
            table[tuple(filler.split("_"))] = set()
    singles: Lookup = {key: tuple(sorted(v)) for key, v in table.items() if len(key) == 1}
    phrases: Lookup = {key: tuple(sorted(v)) for key, v in table.items() if len(key) > 1}
    return singles, phrases


_WORDS, _PHRASES = _parse_lexicon(LEXICON)
_PHRASE_STARTS = frozenset(key[0] for key in _PHRASES)
_LONGEST = max(len(key) for key in _PHRASES)
_STOP = frozenset(_fold(word) for word in STOPWORDS)
_WORD = re.compile(r"[a-z0-9]+")
# "e-mail", "re-order", "no-show" are one word; "pre-visit intake" and "post-service
# review" are about the intake and the review; "auto-reconcile" is "reconcile" (auto is
# filler: gluing it on made "autoreconcil", a word no other analyst writes).
_PREFIXES = re.compile(r"\b(e|re|auto|no|pre|post)-(?=[a-z])")


def _join_prefix(match: re.Match[str]) -> str:
    return "" if match.group(1) in ("pre", "post", "auto") else match.group(1)


@functools.lru_cache(maxsize=16384)
def _word_concepts(word: str) -> tuple[str, ...]:
    """A folded word's concepts: () for filler, its stem when the lexicon does not know it."""
    if word in _STOP or word.isdigit() or len(word) < 2:
        return ()
    stem = _stem(word)
    return _WORDS.get((word,)) or _WORDS.get((stem,)) or (stem,)


def _phrase_at(words: list[str], i: int) -> tuple[int, tuple[str, ...]] | None:
    if words[i] in _PHRASE_STARTS:
        for size in range(min(_LONGEST, len(words) - i), 1, -1):
            found = _PHRASES.get(tuple(words[i : i + size]))
            if found is not None:
                return size, found
    return None


@functools.lru_cache(maxsize=8192)
def concepts(text: str) -> tuple[str, ...]:
    """The text as concepts, in order: synonyms merged, filler dropped, other words stemmed."""
    text = _PREFIXES.sub(_join_prefix, text.lower().replace("&", " and "))
    words = [_fold(w) for w in _WORD.findall(text)]
    out: list[str] = []
    i = 0
    while i < len(words):
        phrase = _phrase_at(words, i)
        if phrase:
            size, found = phrase
            out.extend(found)
            i += size
        else:
            out.extend(_word_concepts(words[i]))
            i += 1
    return tuple(out)


@dataclass(frozen=True)
class _Features:
    name: frozenset[str]
    text: Counter[str]
    domain: str


def _features(workflow: dict) -> _Features:
    name = concepts(str(workflow.get("name", "")))
    body = " ".join(str(workflow.get(key, "")) for key in ("description", "problem_solved"))
    return _Features(frozenset(name), Counter(name + concepts(body)), str(workflow.get("domain")))


class _Scorer:
    """Pair similarity with concept weights taken from the whole set of workflows."""

    def __init__(self, features: Sequence[_Features], weighted: bool = True):
        self.features = features
        count = len(features)
        name_df = Counter(c for f in features for c in f.name)
        text_df = Counter(c for f in features for c in f.text)
        self.name_idf = {c: self._idf(count, df) if weighted else 1.0 for c, df in name_df.items()}
        self.text_idf = {c: self._idf(count, df) if weighted else 1.0 for c, df in text_df.items()}
        self.name_mass = [sum(self.name_idf[c] for c in f.name) for f in features]
        self.text_vec = [
            {c: tf * self.text_idf[c] for c, tf in f.text.items()} for f in features
        ]
        self.text_norm = [math.sqrt(sum(v * v for v in vec.values())) for vec in self.text_vec]

    @staticmethod
    def _idf(count: int, df: int) -> float:
        return math.log((1 + count) / (1 + df)) + 1

    def cover(self, i: int, j: int) -> float:
        """How much of i's name (by weight) j's name or description also says."""
        a, b = self.features[i], self.features[j]
        mass = self.name_mass[i]
        return sum(self.name_idf[c] for c in a.name if c in b.text) / mass if mass else 0.0

    def score(self, i: int, j: int) -> float:
        a, b = self.features[i], self.features[j]
        mass = self.name_mass[i] + self.name_mass[j]
        name = 2 * sum(self.name_idf[c] for c in a.name & b.name) / mass if mass else 0.0
        cross = 0.5 * (self.cover(i, j) + self.cover(j, i))
        name = (1 - CROSS_WEIGHT) * name + CROSS_WEIGHT * cross
        small, large = sorted((self.text_vec[i], self.text_vec[j]), key=len)
        dot = sum(v * large.get(c, 0.0) for c, v in small.items())
        norms = self.text_norm[i] * self.text_norm[j]
        text = dot / norms if norms else 0.0
        domain = 1.0 if a.domain == b.domain else 0.0
        return NAME_WEIGHT * name + TEXT_WEIGHT * text + DOMAIN_WEIGHT * domain


class PairScorer:
    """The voter's pair similarity over a fixed set of workflows, concepts weighted by
    rarity among them (for callers outside the vote, such as the selector)."""

    def __init__(self, workflows: Sequence[dict]):
        self._scorer = _Scorer([_features(w) for w in workflows])

    def __call__(self, i: int, j: int) -> float:
        return self._scorer.score(i, j)


def similarity(a: dict, b: dict) -> float:
    """0..1: how likely two workflow ideas are the same workflow (concepts weighted equally)."""
    return _Scorer([_features(a), _features(b)], weighted=False).score(0, 1)


@dataclass
class Candidate:
    workflow: dict
    sample: int
    perspective: str


def _median_rounded(values: Iterable[int]) -> int:
    return math.floor(statistics.median(values) + 0.5)


@dataclass
class Cluster:
    members: list[Candidate]

    @property
    def votes(self) -> int:
        return len({m.sample for m in self.members})

    @property
    def perspectives(self) -> list[str]:
        return list(dict.fromkeys(m.perspective for m in self.members))

    @property
    def names(self) -> list[str]:
        """Every distinct phrasing, in sample order."""
        distinct: dict[str, str] = {}
        for member in self.members:
            name = str(member.workflow.get("name", ""))
            distinct.setdefault(name.lower(), name)
        return list(distinct.values())

    @property
    def mean_impact(self) -> float:
        return statistics.fmean(int(m.workflow.get("impact", 3)) for m in self.members)

    @functools.cached_property
    def representative(self) -> dict:
        """The member closest to the others, with the members' median impact and feasibility
        and their tools by popularity: an analyst's own wording, the group's judgement."""
        workflows = [m.workflow for m in self.members]
        best = dict(workflows[0])
        if len(workflows) > 1:
            scorer = _Scorer([_features(w) for w in workflows], weighted=False)
            closeness = [
                sum(scorer.score(i, j) for j in range(len(workflows)) if j != i)
                for i in range(len(workflows))
            ]
            best = dict(workflows[closeness.index(max(closeness))])
        best["impact"] = _median_rounded(int(w.get("impact", 3)) for w in workflows)
        ranks = sorted(FEASIBILITY_RANK.get(w.get("feasibility") or "", 1) for w in workflows)
        # Upper median: when the analysts split, assume the harder build.
        best["feasibility"] = next(
            name for name, rank in FEASIBILITY_RANK.items() if rank == ranks[len(ranks) // 2]
        )
        tools = Counter(t for w in workflows for t in dict.fromkeys(w.get("tools", [])))
        best["tools"] = [tool for tool, _ in tools.most_common(MAX_TOOLS)]
        return best


@dataclass
class Consensus:
    clusters: list[Cluster]
    min_votes: int
    samples: int
    # How the clusters were formed: {"method": "lexicon" | "model", ...}.
    grouping: dict = field(default_factory=lambda: {"method": "lexicon"})

    @property
    def agreed(self) -> list[Cluster]:
        return [c for c in self.clusters if c.votes >= self.min_votes]

    @property
    def had_consensus(self) -> bool:
        return bool(self.agreed)

    @property
    def strength(self) -> float:
        """Mean share of samples behind each agreed workflow; 0 without consensus."""
        agreed = self.agreed
        if not agreed or not self.samples:
            return 0.0
        return statistics.fmean(c.votes / self.samples for c in agreed)


def _candidates(samples: list[list[dict]], perspectives: list[str]) -> list[Candidate]:
    return [
        Candidate(workflow, index, perspectives[index] if index < len(perspectives) else "")
        for index, sample in enumerate(samples)
        for workflow in sample
    ]


def _consensus(groups: list[list[Candidate]], min_votes: int, samples: int) -> Consensus:
    clusters = [Cluster(sorted(g, key=lambda m: m.sample)) for g in groups]
    clusters.sort(key=lambda c: (-c.votes, -c.mean_impact, c.representative["name"].lower()))
    return Consensus(clusters, min_votes, samples)


def _pairs(candidates: list[Candidate], scorer: _Scorer) -> dict[int, dict[int, float]]:
    """Similarity of every cross-sample pair whose names share a concept, or where one's
    name concept appears in the other's description (the others are never linked: a
    description alone is too weak a sign of the same workflow)."""
    by_concept: dict[str, list[int]] = defaultdict(list)
    for index, feature in enumerate(scorer.features):
        for concept in feature.name:
            by_concept[concept].append(index)
    near: dict[int, dict[int, float]] = defaultdict(dict)
    # A pair is also scored when one's name concept appears in the other's description.
    by_text: dict[str, list[int]] = defaultdict(list)
    for index, feature in enumerate(scorer.features):
        for concept in feature.text:
            by_text[concept].append(index)
    for i, feature in enumerate(scorer.features):
        for concept in feature.name:
            for j in by_text.get(concept, ()):
                if candidates[i].sample != candidates[j].sample and j not in near[i]:
                    near[i][j] = near[j][i] = scorer.score(i, j)
    for indices in by_concept.values():
        for n, i in enumerate(indices):
            for j in indices[n + 1 :]:
                if candidates[i].sample != candidates[j].sample and j not in near[i]:
                    near[i][j] = near[j][i] = scorer.score(i, j)
    return near


def _one_per_sample(
    members: list[int], samples: list[int], near: dict[int, dict[int, float]]
) -> tuple[list[int], list[int]]:
    """Keep, for each sample, the member closest to the other samples' members."""
    def closeness(i: int) -> float:
        return sum(near[i].get(j, 0.0) for j in members if samples[j] != samples[i])

    best: dict[int, int] = {}
    for i in sorted(members, key=lambda i: (-closeness(i), i)):
        best.setdefault(samples[i], i)
    kept = sorted(best.values())
    return kept, [i for i in members if i not in kept]


def _link(candidates: list[Candidate], scorer: _Scorer, threshold: float,
          min_votes: int = 3) -> list[list[int]]:
    """Average-linkage clustering; a cluster holds at most one workflow per sample.

    When the best pair of clusters has a sample in common (an analyst wrote the idea
    twice), they merge anyway if that gains votes, and the extra phrasing leaves as a
    cluster of its own. Such a merge must raise the sum of squared cluster sizes, as every
    plain merge does, so the loop always ends."""
    samples = [c.sample for c in candidates]
    near = _pairs(candidates, scorer)
    clusters: dict[int, list[int]] = {i: [i] for i in range(len(candidates))}
    home = list(range(len(candidates)))
    heap = [(-score, i, j) for i in near for j, score in near[i].items()
            if i < j and score >= threshold]
    heapq.heapify(heap)

    def link(key: int) -> None:
        members = clusters[key]
        totals: dict[int, float] = defaultdict(float)
        for i in members:
            for j, score in near[i].items():
                if home[j] != key:
                    totals[home[j]] += score
        for other, total in totals.items():
            average = total / (len(members) * len(clusters[other]))
            if average >= threshold:
                heapq.heappush(heap, (-average, min(key, other), max(key, other)))

    next_key = len(candidates)
    while heap:
        _, a, b = heapq.heappop(heap)
        # A pair's average only changes when one side changes, which retires its key.
        if a not in clusters or b not in clusters:
            continue
        kept, ejected = _one_per_sample(clusters[a] + clusters[b], samples, near)
        if ejected:
            pairs = [(i, j) for n, i in enumerate(kept) for j in kept[n + 1 :]]
            cohesion = sum(near[i].get(j, 0.0) for i, j in pairs) / len(pairs)
            gain = len(kept) ** 2 + len(ejected) - len(clusters[a]) ** 2 - len(clusters[b]) ** 2
            if cohesion < threshold or gain <= 0:
                continue
        del clusters[a], clusters[b]
        keys = []
        for members in [kept, *([i] for i in ejected)]:
            clusters[next_key] = members
            for i in members:
                home[i] = next_key
            keys.append(next_key)
            next_key += 1
        for key in keys:
            link(key)
    return list(clusters.values())


def vote(
    samples: list[list[dict]],
    perspectives: list[str],
    *,
    min_votes: int = 3,
    threshold: float = THRESHOLD,
) -> Consensus:
    """Group the samples' workflows by meaning and count the samples behind each group."""
    candidates = _candidates(samples, perspectives)
    scorer = _Scorer([_features(c.workflow) for c in candidates])
    groups = _link(candidates, scorer, threshold, min_votes)
    return _consensus([[candidates[i] for i in g] for g in groups], min_votes, len(samples))


# Where the lexicon is confident two workflows are different: a group may not hold a
# member whose best similarity to the rest of its group is below this.
CONFIDENT_APART = 0.12


def candidate_id(sample: int, index: int) -> str:
    """How a sample's workflow is named to the clustering model: "s2-14"."""
    return f"s{sample}-{index}"


def grouped_vote(samples: list[list[dict]], perspectives: list[str],
                 groups: list[list[str]], *, min_votes: int = 3) -> tuple[Consensus, list[str]]:
    """The consensus of a grouping made elsewhere (the model's), checked against the
    lexicon: a member the lexicon is confident has nothing in common with the rest of its
    group (mean similarity below CONFIDENT_APART) leaves it as a group of its own, and so do
    the extra members when one sample has more than two in a group (no analyst proposes an
    idea three times). Returns the consensus and the names split off."""
    candidates = _candidates(samples, perspectives)
    ids = [candidate_id(s, n) for s, sample in enumerate(samples) for n in range(len(sample))]
    index = {name: i for i, name in enumerate(ids)}
    scorer = _Scorer([_features(c.workflow) for c in candidates])
    clusters: list[list[int]] = []
    split: list[str] = []
    for group in groups:
        members = [index[i] for i in group]
        alone = [i for i in members if len(members) > 1 and statistics.fmean(
            scorer.score(i, j) for j in members if j != i) < CONFIDENT_APART]
        split += [str(candidates[i].workflow.get("name", "")) for i in alone]
        clusters += [[i] for i in alone]
        kept = [i for i in members if i not in alone]
        per_sample: Counter[int] = Counter()
        for i in list(kept):
            per_sample[candidates[i].sample] += 1
            if per_sample[candidates[i].sample] > 2:
                kept.remove(i)
                split.append(str(candidates[i].workflow.get("name", "")))
                clusters.append([i])
        if kept:
            clusters.append(kept)
    return _consensus([[candidates[i] for i in g] for g in clusters], min_votes,
                      len(samples)), split


def exact_vote(
    samples: list[list[dict]], perspectives: list[str], *, min_votes: int = 3
) -> Consensus:
    """The naive baseline: a vote only when the lower-cased names are identical."""
    groups: list[list[Candidate]] = []
    by_name: dict[str, list[Candidate]] = {}
    for candidate in _candidates(samples, perspectives):
        key = " ".join(str(candidate.workflow.get("name", "")).lower().split())
        group = by_name.get(key)
        if group is not None and all(m.sample != candidate.sample for m in group):
            group.append(candidate)
        else:  # a sample repeating its own name stands alone, as in `vote`
            groups.append([candidate])
            by_name.setdefault(key, groups[-1])
    return _consensus(groups, min_votes, len(samples))
