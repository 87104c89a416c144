"""The voter matches workflows by meaning and counts each sample at most once."""

from __future__ import annotations

import pytest

from compass.engine.voter import (
    THRESHOLD,
    Candidate,
    Cluster,
    concepts,
    exact_vote,
    similarity,
    vote,
)

PERSPECTIVES = ["operations", "customer_experience", "finance_risk", "growth", "technology"]


def wf(name: str, description: str = "", domain: str = "operations", **extra) -> dict:
    return {"name": name, "domain": domain, "description": description or name,
            "problem_solved": "Staff spend hours on this every week.", "tools": ["Zapier"],
            "feasibility": "simple", "impact": 3, "metric": "hours saved",
            "time_to_value_weeks": 4, **extra}


# Each group: one workflow as five analysts might name and describe it.
EMAIL_TRIAGE = [
    wf("AI email triage", "Tags each incoming email by topic and urgency and routes it.",
       "customer_service"),
    wf("Automated inbox classification with AI",
       "Classifies messages in the shared inbox and flags the urgent ones.", "customer_service"),
    wf("Smart mailbox sorting and prioritisation",
       "Sorts customer emails into queues so urgent ones are answered first.",
       "customer_service"),
    wf("Categorise and route incoming customer emails",
       "Reads new mail, assigns a category and sends it to the right person.",
       "customer_service"),
    wf("Email categorization assistant", "Labels every message that arrives by type.",
       "customer_service"),
]
INVOICE_CAPTURE = [
    wf("AI invoice data extraction", "Pulls supplier, amount and due date out of PDF invoices.",
       "finance"),
    wf("Supplier bill capture and coding", "Reads supplier bills and codes them to the ledger.",
       "finance"),
    wf("OCR for incoming invoices", "Scans invoices and posts them to the accounting system.",
       "finance"),
    wf("Automated accounts payable data entry",
       "Removes manual typing of supplier invoices into Xero.", "finance"),
    wf("Invoice parsing into QuickBooks", "Parses emailed invoices and creates draft bills.",
       "finance"),
]
APPOINTMENT_REMINDERS = [
    wf("Automated appointment reminders", "Texts patients 48 hours before their appointment.",
       "customer_service"),
    wf("SMS appointment reminder texts", "Sends reminder texts so fewer patients miss visits.",
       "customer_service"),
    wf("Appointment confirmation and reminder sequence",
       "Reminds patients of upcoming appointments and lets them confirm.", "customer_service"),
    wf("Patient appointment reminder messages", "Reminder messages before each booking.",
       "customer_service"),
    wf("No-show reduction with reminder texts", "Cuts missed appointments with SMS reminders.",
       "customer_service"),
]
ONLINE_BOOKING = [
    wf("Online appointment booking", "Patients book and move appointments on the website.",
       "customer_service"),
    wf("24/7 self-service scheduling", "Lets patients schedule visits at any hour online.",
       "customer_service"),
    wf("AI booking assistant", "A chat assistant that books appointments into the diary.",
       "customer_service"),
]
LEAD_SCORING = [
    wf("AI lead scoring", "Scores new leads so sales calls the best first.", "sales"),
    wf("Lead qualification and prioritisation", "Qualifies inbound leads and ranks them.",
       "sales"),
    wf("Predictive lead ranking", "Ranks prospects by likelihood to buy.", "sales"),
]
SOCIAL_POSTS = [
    wf("Social media post generator", "Drafts Instagram and Facebook posts each week.",
       "marketing"),
    wf("AI content calendar for social channels", "Plans and writes social posts.",
       "marketing"),
    wf("Automated social media posting", "Schedules AI-written posts to social media.",
       "marketing"),
]


def by_name(consensus) -> dict[str, Cluster]:
    return {name: cluster for cluster in consensus.clusters for name in cluster.names}


def test_email_triage_paraphrases_match_and_invoice_extraction_does_not():
    triage, inbox = EMAIL_TRIAGE[0], EMAIL_TRIAGE[1]
    assert similarity(triage, inbox) >= THRESHOLD
    assert similarity(triage, INVOICE_CAPTURE[0]) < THRESHOLD
    assert similarity(triage, inbox) > similarity(triage, INVOICE_CAPTURE[0])
    assert set(concepts("AI email triage")) == set(
        concepts("Automated inbox classification with AI"))


@pytest.mark.parametrize("group", [EMAIL_TRIAGE, INVOICE_CAPTURE, APPOINTMENT_REMINDERS],
                         ids=["email_triage", "invoice_capture", "appointment_reminders"])
def test_five_paraphrases_form_one_cluster_with_five_votes(group):
    # Every sample also proposes the other two groups, so the paraphrases must find each
    # other among distractors.
    others = [g for g in (EMAIL_TRIAGE, INVOICE_CAPTURE, APPOINTMENT_REMINDERS) if g is not group]
    samples = [[group[i], others[0][i], others[1][i]] for i in range(5)]
    consensus = vote(samples, PERSPECTIVES)
    cluster = by_name(consensus)[group[0]["name"]]
    assert sorted(cluster.names) == sorted(w["name"] for w in group)
    assert cluster.votes == 5
    assert cluster.perspectives == PERSPECTIVES
    assert len(consensus.clusters) == 3


def test_near_neighbours_stay_apart():
    # Reminders vs online booking, lead scoring vs social posts: related words, different
    # work. Three samples propose one of each pair and two the other; merging the pairs
    # would wrongly make five-vote workflows.
    samples = [[APPOINTMENT_REMINDERS[i], LEAD_SCORING[i]] for i in range(3)]
    samples += [[ONLINE_BOOKING[i], SOCIAL_POSTS[i]] for i in range(2)]
    consensus = vote(samples, PERSPECTIVES)
    assert [c.votes for c in consensus.clusters] == [3, 3, 2, 2]
    for group in (APPOINTMENT_REMINDERS[:3], LEAD_SCORING, ONLINE_BOOKING[:2], SOCIAL_POSTS[:2]):
        cluster = by_name(consensus)[group[0]["name"]]
        assert sorted(cluster.names) == sorted(w["name"] for w in group)


def test_a_sample_proposing_the_same_idea_twice_votes_once():
    samples = [
        [EMAIL_TRIAGE[0], EMAIL_TRIAGE[2]],  # the same analyst, two phrasings
        [EMAIL_TRIAGE[1]],
        [EMAIL_TRIAGE[3]],
        [INVOICE_CAPTURE[0]],
        [INVOICE_CAPTURE[1]],
    ]
    consensus = vote(samples, PERSPECTIVES)
    triage = [c for c in consensus.clusters if c.members[0].workflow in EMAIL_TRIAGE]
    assert sorted(len(c.members) for c in triage) == [1, 3]
    for cluster in consensus.clusters:
        samples_in = [m.sample for m in cluster.members]
        assert len(samples_in) == len(set(samples_in))
    assert sum(len(c.members) for c in consensus.clusters) == 6
    assert [c.votes for c in consensus.agreed] == [3]


def test_votes_count_distinct_samples():
    cluster = Cluster([Candidate(EMAIL_TRIAGE[0], 0, "operations"),
                       Candidate(EMAIL_TRIAGE[1], 0, "operations"),
                       Candidate(EMAIL_TRIAGE[2], 3, "growth")])
    assert cluster.votes == 2
    assert cluster.perspectives == ["operations", "growth"]


def test_agreed_needs_three_of_five_samples():
    samples = [
        [EMAIL_TRIAGE[0], INVOICE_CAPTURE[0]],
        [EMAIL_TRIAGE[1], INVOICE_CAPTURE[1]],
        [EMAIL_TRIAGE[2]],
        [SOCIAL_POSTS[0]],
        [LEAD_SCORING[0]],
    ]
    consensus = vote(samples, PERSPECTIVES)
    assert consensus.had_consensus
    assert [c.votes for c in consensus.agreed] == [3]
    assert consensus.agreed[0].members[0].workflow is EMAIL_TRIAGE[0]
    assert consensus.strength == pytest.approx(3 / 5)
    # Invoice capture has two votes: a cluster, but not agreed.
    assert by_name(consensus)[INVOICE_CAPTURE[0]["name"]].votes == 2
    assert [c.votes for c in consensus.clusters] == [3, 2, 1, 1]
    assert vote(samples, PERSPECTIVES, min_votes=2).agreed[1].votes == 2


def test_no_consensus_when_every_sample_differs():
    samples = [[EMAIL_TRIAGE[0]], [INVOICE_CAPTURE[0]], [APPOINTMENT_REMINDERS[0]],
               [LEAD_SCORING[0]], [SOCIAL_POSTS[0]]]
    consensus = vote(samples, PERSPECTIVES)
    assert not consensus.had_consensus
    assert consensus.agreed == []
    assert consensus.strength == 0.0
    assert len(consensus.clusters) == 5


def test_exact_name_matching_misses_what_meaning_finds():
    samples = [[EMAIL_TRIAGE[i], INVOICE_CAPTURE[i]] for i in range(5)]
    assert not exact_vote(samples, PERSPECTIVES).had_consensus
    meaning = vote(samples, PERSPECTIVES)
    assert [c.votes for c in meaning.agreed] == [5, 5]
    # Identical names do agree under the baseline, and a repeat in one sample counts once.
    same = [[wf("Email triage")], [wf("email  TRIAGE")], [wf("Email triage"), wf("Email triage")]]
    assert [c.votes for c in exact_vote(same, PERSPECTIVES).clusters] == [3, 1]


def test_representative_is_a_real_member_with_the_groups_judgement():
    members = [
        wf("Shared mailbox helper for the front desk", impact=2, feasibility="simple",
           tools=["Gmail", "Zapier"]),
        wf("Automated inbox classification", "Classifies incoming email by topic.", impact=4,
           feasibility="moderate", tools=["Gmail", "Make"]),
        wf("Email triage and routing", "Classifies incoming email and routes it.", impact=5,
           feasibility="moderate",
           tools=["Outlook", "Gmail", "Make", "Zapier", "Front", "Slack", "Teams"]),
    ]
    cluster = Cluster([Candidate(w, i, PERSPECTIVES[i]) for i, w in enumerate(members)])
    representative = cluster.representative
    # The odd phrasing is not the face of the group, though it comes first.
    assert representative["name"] in cluster.names[1:]
    assert representative["description"] in [w["description"] for w in members]
    assert representative["impact"] == 4
    assert representative["feasibility"] == "moderate"
    assert representative["tools"][:3] == ["Gmail", "Zapier", "Make"]
    assert len(representative["tools"]) == 6
    assert members[0]["tools"] == ["Gmail", "Zapier"]  # members are not modified


def test_clusters_sorted_by_votes_then_impact():
    samples = [
        [wf("Stock level alerts", impact=2), wf("Payroll export", impact=5)],
        [wf("Low stock alerts", impact=2), wf("Payroll export automation", impact=5)],
        [wf("Inventory alerts", impact=2)],
        [wf("Fleet telematics dashboard", impact=4)],
        [wf("Carbon footprint report", impact=1)],
    ]
    clusters = vote(samples, PERSPECTIVES).clusters
    assert [(c.votes, round(c.mean_impact)) for c in clusters] == [(3, 2), (2, 5), (1, 4), (1, 1)]


def test_vote_is_deterministic():
    # How fast it is belongs to bench/voting.py (`timing`), not to a test on a shared machine.
    objects = ["invoice", "appointment", "lead", "stock", "review", "payroll", "ticket"]
    actions = ["reminders", "extraction", "scoring", "forecasting"]
    names = [f"{o} {a}" for o in objects for a in actions][:25]
    samples = [[wf(f"{prefix} {name}", f"The {name} step, without manual work.")
                for name in names]
               for prefix in ("AI", "Automated", "Smart", "AI-powered", "Intelligent")]
    first, again = vote(samples, PERSPECTIVES), vote(samples, PERSPECTIVES)
    assert [c.names for c in first.clusters] == [c.names for c in again.clusters]
    assert [c.votes for c in first.clusters] == [5] * 25


def test_auto_prefix_is_filler_not_glued_to_the_next_word():
    # "Auto-reconcile" once became "autoreconcil", a word no other analyst writes.
    assert concepts("Auto-reconcile bank transactions") == concepts("reconcile bank transactions")
    assert "reconcile" in concepts("Auto-reconcile")
    assert concepts("auto-reply drafts") == concepts("reply drafts")
    # The other prefixes still make one word.
    assert concepts("e-mail triage") == concepts("email triage")
    assert concepts("re-order stock") == concepts("reorder stock")


def test_held_out_set_is_big_enough_and_kept_apart_from_dev():
    from bench.voting import DATA, parse
    from bench.voting_heldout import HELD_OUT_DATA

    held_out, dev = parse(HELD_OUT_DATA), parse(DATA)
    industries = [name for name in held_out if name != "generic"]
    concepts_ = [c for group in held_out.values() for c in group]
    assert len(industries) >= 12 and not set(industries) & set(dev)
    assert len(concepts_) >= 40
    assert all(len(c.names) == 5 and c.descriptions for c in concepts_)
    dev_names = {n.lower() for group in dev.values() for c in group for n in c.names}
    assert not dev_names & {n.lower() for c in concepts_ for n in c.names}


def test_names_explained_by_each_others_descriptions_link():
    # No concept in common between the names; each description says the other's name.
    autoresponder = wf("Speed-to-lead autoresponder",
                       "Replies to every new web enquiry within minutes and follows up.", "sales")
    sequence = wf("Web enquiry follow-up sequence",
                  "New enquiries get an immediate reply and a short series of follow-ups.",
                  "sales")
    assert similarity(autoresponder, sequence) >= THRESHOLD
    ar = wf("AR follow-up bot", "Chases customers whose invoices are overdue.", "finance")
    chasing = wf("Automated invoice chasing", "Sends reminders for unpaid invoices.", "finance")
    assert similarity(ar, chasing) >= THRESHOLD
