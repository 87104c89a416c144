"""Grouping by the model when there is one: one call on the cheapest model, structured
output, checked deterministically, in the ledger; the lexicon voter when it fails."""

from __future__ import annotations

import json
from dataclasses import replace

from compass import store
from compass.engine.offline import OfflineProvider
from compass.engine.provider import ModelRequest, ModelResponse
from compass.engine.voter import candidate_id, grouped_vote
from tests.factories import anthropic, example, run
from tests.fakes.messages_api import running_server

PERSPECTIVES = ["operations", "customer_experience", "finance_risk", "growth", "technology"]


def test_a_real_model_groups_the_candidates_on_the_cheapest_model(db):
    with running_server() as server:
        result = run(example("saas-company"), "premium", db=db, provider=anthropic(server))
        bodies = [r.body for r in server.requests]
    grouping = result["consensus"]["grouping"]
    assert grouping["method"] == "model" and grouping["model"] == "claude-haiku-5-5"
    calls = [c for c in store.ai_calls.for_run(db, "run-1") if c["phase"] == "clustering"]
    assert [(c["model"], c["status"]) for c in calls] == [("claude-haiku-5-5", "ok")]
    sent = [b for b in bodies if b["output_config"]["format"]["schema"]["title"] == "Clustering"]
    assert [b["model"] for b in sent] == ["claude-haiku-5-5"]
    assert sent[0]["output_config"].get("effort", "low") == "low"
    assert result["consensus"]["agreed"] >= 8


class Online(OfflineProvider):
    """The offline model's content behind a provider that says it is a real one, with its
    clustering answers replaced by `clustering`."""

    name = "test"
    offline = False

    def __init__(self, clustering):
        self.clustering = clustering

    async def complete(self, request: ModelRequest, **kwargs) -> ModelResponse:
        response = await super().complete(request, **kwargs)
        if request.phase != "clustering":
            return response
        candidates = json.loads(request.shared_context.split("\n", 1)[1].rsplit("\n</", 1)[0])
        return replace(response, text=json.dumps(self.clustering(candidates)),
                       stop_reason="end_turn")


def test_an_invalid_grouping_falls_back_to_the_lexicon_and_is_recorded(db):
    def drops_one(candidates):  # every answer leaves a candidate out
        return {"groups": [{"concept": c["name"], "ids": [c["id"]]} for c in candidates[1:]]}

    result = run(example("dental-clinic"), "standard", db=db, provider=Online(drops_one))
    grouping = result["consensus"]["grouping"]
    assert grouping["method"] == "lexicon" and "clustering call failed" in grouping["fallback"]
    calls = [c for c in store.ai_calls.for_run(db, "run-1") if c["phase"] == "clustering"]
    assert len(calls) == 3 and all(c["status"] == "invalid" for c in calls)
    assert "placed in no group" in calls[0]["error"]
    assert result["consensus"]["agreed"] >= 5  # the lexicon found the agreement instead


def test_a_grouping_that_lumps_unrelated_ideas_is_not_trusted(db):
    def lumps(candidates):  # ten at a time, whatever they are
        return {"groups": [{"concept": "Everything", "ids": [c["id"] for c in
                                                            candidates[n:n + 10]]}
                           for n in range(0, len(candidates), 10)]}

    result = run(example("dental-clinic"), "standard", db=db, provider=Online(lumps))
    grouping = result["consensus"]["grouping"]
    assert grouping["method"] == "lexicon" and "share nothing" in grouping["fallback"]


def test_grouped_vote_counts_samples_and_splits_what_the_lexicon_knows_is_apart():
    def wf(name, description):
        return {"name": name, "description": description, "domain": "operations",
                "problem_solved": "", "tools": ["Zapier"], "feasibility": "simple",
                "impact": 3}

    samples = [[wf("Email triage", "Sorts incoming email by topic."),
                wf("Fleet fuel card audit", "Checks fuel card spend.")],
               [wf("Inbox sorting", "Sorts and routes incoming email.")],
               [wf("Automated email routing", "Routes each email to the right person.")]]
    groups = [[candidate_id(0, 0), candidate_id(1, 0), candidate_id(2, 0), candidate_id(0, 1)]]
    consensus, split = grouped_vote(samples, PERSPECTIVES[:3], groups, min_votes=3)
    assert split == ["Fleet fuel card audit"]
    assert [c.votes for c in consensus.clusters] == [3, 1]
