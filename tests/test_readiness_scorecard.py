"""The readiness scorecard: a phase of its own, checked, recorded, and shown first."""

from __future__ import annotations

import json

import pytest

from compass import store
from compass.engine import prompts, qa
from compass.engine.models import DIMENSIONS
from compass.engine.offline import respond
from compass.engine.offline_readiness import readiness
from compass.report import build_report
from compass.templating import render
from compass.tiers import get_tier
from tests.factories import anthropic, example, run
from tests.fakes.messages_api import running_server

ANSWERS = {
    "systems_in_use": "Dentrix, Google Workspace, QuickBooks, Mailchimp",
    "data_location": "cloud_apps", "ai_comfort": "some", "tool_budget": "500_2000",
    "timeline": "month", "pain_hours_per_week": 20, "pain_people": 3,
    "pain_cost_per_hour": 35,
}
ORDER = {"order_number": "ORD-2026-000123", "public_id": "pub123", "tier": "standard",
         "completed_at": "2026-12-01T10:00:00Z"}


def scores(card: dict) -> dict[str, tuple[int, str]]:
    return {d["dimension"]: (d["score"], d["confidence"]) for d in card["dimensions"]}


def form(**answers) -> dict:
    return example("dental-clinic").model_copy(update=answers).for_engine()


def test_the_offline_scorecard_follows_the_answers_deterministically():
    answered = readiness(form(**ANSWERS))
    assert readiness(form(**ANSWERS)) == answered
    found = scores(answered)
    assert list(found) == list(DIMENSIONS)
    assert found["data"] == (4, "high")  # cloud apps
    assert found["people"] == (3, "high")  # some use AI weekly
    assert found["technology"][1] == "high"
    assert answered["unanswered"] == []
    paper = scores(readiness(form(**ANSWERS | {"data_location": "paper",
                                               "ai_comfort": "none"})))
    assert paper["data"] == (1, "high") and paper["people"] == (1, "high")


def test_a_missing_answer_lowers_confidence_not_the_score():
    blank = readiness(form())
    found = scores(blank)
    assert len(blank["unanswered"]) == 8
    for dimension in ("data", "technology", "people"):
        assert found[dimension][1] == "low"
    # Unanswered counts as typical for the size band (11–50 people): not the bottom.
    assert found["data"][0] == found["technology"][0] == 3
    assert all(score >= 2 for score, _ in found.values())
    # Answering badly can score lower than not answering at all.
    assert scores(readiness(form(data_location="paper")))["data"][0] < found["data"][0]
    assert "typical" in " ".join(d["evidence"][0] for d in blank["dimensions"][1:3])
    assert "not marked down" in blank["summary"]


def test_the_phase_is_schema_checked_and_rejects_a_scorecard_missing_a_dimension():
    request = prompts.readiness_request(get_tier("starter"), "m", form(**ANSWERS),
                                        {"keywords": []})
    assert request.schema["title"] == "Readiness"
    text, stop = respond(request.system, request.user_text(), request.schema)
    answer = json.loads(text) if stop == "end_turn" and text.startswith("{") else readiness(
        form(**ANSWERS))
    assert qa.check_answer("readiness", json.dumps(answer), "end_turn").ok
    answer["dimensions"][5] = dict(answer["dimensions"][0])
    checked = qa.check_answer("readiness", json.dumps(answer), "end_turn")
    assert not checked.ok and any("governance" in p for p in checked.problems)


def test_the_engine_runs_the_phase_records_it_and_the_report_opens_with_it(db):
    result = run(example("dental-clinic").model_copy(update=ANSWERS), "standard", db=db)
    assert scores(result["readiness"]) == scores(readiness(form(**ANSWERS)))
    assert result["answers"]["pain_hours_per_week"] == 20
    assert result["answers"]["data_location"] == "cloud_apps"
    phases = [c["phase"] for c in store.ai_calls.for_run(db, "run-1")]
    assert "readiness" in phases
    report = build_report(ORDER, result, base_url="http://x")
    html = render("report/_content.html", report=report)
    assert html.index('id="readiness"') < html.index('id="summary"')
    assert "People and skills" in html and "First fix:" in html
    assert "What this rests on" not in html  # everything was answered


def test_without_answers_the_report_says_what_the_scores_rest_on(db):
    result = run(example("dental-clinic"), "starter", db=db)
    html = render("report/_content.html",
                  report=build_report(ORDER | {"tier": "starter"}, result, base_url="http://x"))
    assert "What this rests on" in html
    assert "lowers our confidence in a score, never" in html


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_local_messages_api_answers_the_readiness_phase(db):
    with running_server() as server:
        result = run(example("logistics-firm").model_copy(update=ANSWERS), "starter",
                     provider=anthropic(server), db=db)
    assert scores(result["readiness"])["data"] == (4, "high")
    calls = [c for c in store.ai_calls.for_run(db, "run-1") if c["phase"] == "readiness"]
    assert calls and calls[-1]["status"] == "ok" and calls[-1]["provider"] == "anthropic"
