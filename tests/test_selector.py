"""The selector picks the tier's workflows: feasible, diverse, relevant, agreed."""

from __future__ import annotations

import pytest

from compass.engine.selector import fallback_rank, relevance, select
from compass.engine.voter import Candidate, Cluster
from compass.tiers import FEASIBILITY_RANK, TIERS

PERSPECTIVES = ["operations", "customer_experience", "finance_risk", "growth", "technology"]
CUSTOMER = ("We are a dental clinic. Reception spends hours typing supplier invoices into "
            "Xero and chasing patients who miss appointments.")
KEYWORDS = ["supplier invoices", "missed appointments", "dental clinic"]


def cluster(name: str, domain: str = "operations", feasibility: str = "simple",
            impact: int = 3, votes: int = 3, description: str = "") -> Cluster:
    workflow = {"name": name, "domain": domain, "description": description or name,
                "problem_solved": "Saves staff time.", "tools": ["Zapier"],
                "feasibility": feasibility, "impact": impact, "metric": "hours saved",
                "time_to_value_weeks": 4}
    return Cluster([Candidate(dict(workflow), i, PERSPECTIVES[i]) for i in range(votes)])


def pool() -> list[Cluster]:
    """Twelve simple workflows over four domains, some moderate and advanced ones."""
    return [
        cluster("Stock reorder alerts", "operations", votes=5),
        cluster("Staff rota planning", "operations", votes=4),
        cluster("Supplier invoice capture", "finance", votes=4),
        cluster("Payment reminders", "finance", votes=3),
        cluster("Appointment reminders", "customer_service", votes=5),
        cluster("Website FAQ chatbot", "customer_service", votes=3),
        cluster("Review requests", "marketing", votes=3),
        cluster("Social post drafting", "marketing", votes=2),
        cluster("Cleaning checklist", "operations", votes=2),
        cluster("Expense receipt capture", "finance", votes=2),
        cluster("Call answering bot", "customer_service", votes=1),
        cluster("Newsletter drafting", "marketing", votes=1),
        cluster("Demand forecasting model", "operations", "moderate", votes=5),
        cluster("Custom ERP integration", "it_data", "advanced", votes=5),
    ]


@pytest.mark.parametrize("tier_name, count", [("starter", 3), ("standard", 5), ("premium", 8)])
def test_selects_the_tiers_number_of_workflows(tier_name, count):
    selections = select(pool(), TIERS[tier_name], CUSTOMER, KEYWORDS)
    assert len(selections) == count
    assert len({id(s.cluster) for s in selections}) == count
    assert [s.score for s in selections] == sorted((s.score for s in selections), reverse=True)
    assert all(0 <= s.score <= 1 and s.reasons for s in selections)
    assert all(s.workflow is s.cluster.representative for s in selections)


def test_fewer_candidates_than_the_tier_returns_them_all():
    clusters = pool()[:2]
    assert len(select(clusters, TIERS["premium"], CUSTOMER, KEYWORDS, min_domains=1)) == 2


def test_at_least_three_domains_even_when_one_domain_scores_highest():
    operations = [cluster(f"Operations workflow {n}", "operations", impact=5 - n // 2, votes=5)
                  for n in range(6)]
    finance = cluster("Month-end close checklist", "finance", impact=2, votes=1)
    marketing = cluster("Review requests", "marketing", impact=1, votes=1)
    weaker = cluster("Operations workflow weak", "operations", impact=1, votes=2)
    selections = select([*operations, weaker, finance, marketing], TIERS["standard"], "", [])
    domains = [s.workflow["domain"] for s in selections]
    assert len(set(domains)) >= 3
    assert {finance.representative["name"], marketing.representative["name"]} <= {
        s.workflow["name"] for s in selections}
    # The weakest operations picks made way; the strongest three stayed.
    assert [s.workflow["name"] for s in selections if s.workflow["domain"] == "operations"] == [
        "Operations workflow 0", "Operations workflow 1", "Operations workflow 2"]
    assert any("functional area" in reason for s in selections for reason in s.reasons)
    # Without the rule, the top five would all be operations.
    plain = select([*operations, weaker, finance, marketing], TIERS["standard"], "", [],
                   min_domains=1)
    assert {s.workflow["domain"] for s in plain} == {"operations"}


def test_starter_never_gets_advanced_and_moderate_only_when_relaxed():
    simple_enough = select(pool(), TIERS["starter"], CUSTOMER, KEYWORDS)
    assert {s.workflow["feasibility"] for s in simple_enough} == {"simple"}
    assert not any(s.relaxed for s in simple_enough)
    # The highest-voted workflows are moderate and advanced; they are not chosen.
    chosen = {s.workflow["name"] for s in simple_enough}
    assert not chosen & {"Demand forecasting model", "Custom ERP integration"}

    scarce = [
        cluster("Appointment reminders", "customer_service", "simple", votes=3),
        cluster("Demand forecasting model", "operations", "moderate", votes=2),
        cluster("Invoice capture with review", "finance", "moderate", votes=2),
        cluster("Custom ERP integration", "it_data", "advanced", votes=5),
        cluster("Predictive churn model", "marketing", "advanced", votes=5),
    ]
    relaxed = select(scarce, TIERS["starter"], CUSTOMER, KEYWORDS)
    assert [s.workflow["feasibility"] for s in relaxed] == ["simple", "moderate", "moderate"]
    assert [s.relaxed for s in relaxed] == [False, True, True]
    assert all(any("usual 'simple'" in r for r in s.reasons) for s in relaxed[1:])


def test_standard_stays_within_moderate():
    selections = select(pool(), TIERS["standard"], CUSTOMER, KEYWORDS)
    limit = FEASIBILITY_RANK[TIERS["standard"].max_feasibility]
    assert all(FEASIBILITY_RANK[s.workflow["feasibility"]] <= limit for s in selections)


def test_relevance_prefers_workflows_in_the_customers_words():
    invoices = cluster("Supplier invoice data extraction", "finance",
                       description="Reads supplier invoices and posts them to Xero.")
    social = cluster("Social media content calendar", "marketing",
                     description="Drafts Instagram posts every week.")
    assert relevance(invoices.representative, CUSTOMER, KEYWORDS) > 0.3
    assert relevance(social.representative, CUSTOMER, KEYWORDS) < 0.1
    assert relevance(social.representative, "", []) == 0.0
    # Equal in everything else, the relevant one ranks first.
    twins = [cluster("Social media content calendar", "marketing", votes=3),
             cluster("Supplier invoice data extraction", "finance", votes=3)]
    selections = select(twins, TIERS["starter"], CUSTOMER, KEYWORDS, min_domains=1)
    assert selections[0].workflow["name"] == "Supplier invoice data extraction"
    assert any("invoice" in reason for reason in selections[0].reasons)


def test_fallback_rank_puts_simple_relevant_first_and_uses_votes_to_break_ties():
    clusters = [
        cluster("Custom data warehouse", "it_data", "advanced", votes=2),
        cluster("Missed appointment reminders", "customer_service", "simple", votes=1),
        cluster("Social media calendar", "marketing", "simple", votes=1),
        cluster("Supplier invoice capture", "finance", "moderate", votes=1),
        cluster("Social media calendar", "marketing", "simple", votes=2),
    ]
    ranked = fallback_rank(clusters, CUSTOMER, KEYWORDS)
    names = [c.representative["name"] for c in ranked]
    assert names[0] == "Missed appointment reminders"
    assert names[-1] == "Custom data warehouse"
    assert names.index("Supplier invoice capture") < names.index("Custom data warehouse")
    social = [c for c in ranked if c.representative["name"] == "Social media calendar"]
    assert [c.votes for c in social] == [2, 1]
    assert sorted(map(id, ranked)) == sorted(map(id, clusters))


def test_selection_is_deterministic_and_never_repeats_a_cluster():
    clusters = pool()
    first = select([*clusters, clusters[0]], TIERS["premium"], CUSTOMER, KEYWORDS)
    second = select(list(reversed(clusters)), TIERS["premium"], CUSTOMER, KEYWORDS)
    assert [s.workflow["name"] for s in first] == [s.workflow["name"] for s in second]
    assert len({id(s.cluster) for s in first}) == len(first)


def test_a_second_opinion_puts_the_customers_request_before_simplicity():
    clusters = [
        cluster("Stock reorder alerts", "operations", votes=5),
        cluster("Staff rota planning", "operations", votes=5),
        cluster("Review requests", "marketing", votes=5),
        cluster("Social post drafting", "marketing", votes=4),
        cluster("Website FAQ chatbot", "customer_service", votes=4),
        cluster("Supplier invoice capture into Xero", "finance", "moderate", votes=3,
                description="Reads supplier invoices and types them into Xero."),
        cluster("Custom ERP integration", "it_data", "advanced", votes=5),
    ]
    usual = select(clusters, TIERS["starter"], CUSTOMER, KEYWORDS)
    assert all(s.workflow["feasibility"] == "simple" for s in usual)
    focused = select(clusters, TIERS["starter"], CUSTOMER, KEYWORDS, focus_on_relevance=True)
    names = [s.workflow["name"] for s in focused]
    assert "Supplier invoice capture into Xero" in names
    assert "Custom ERP integration" not in names  # never two levels above the tier
    relaxed = next(s for s in focused if s.relaxed)
    assert "addresses what the customer asked for" in relaxed.reasons[-1]
