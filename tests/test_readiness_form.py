"""The order form's optional readiness questions: validated, stored, prefilled, never lost."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from compass.intake import OrderInput
from tests.factories import paid_order
from tests.fakes.customers import Dispatched, sign_in
from tests.fakes.web_app import VALID_ORDER, db_of, place_order, web_client

READINESS = {
    "systems_in_use": "Dentrix, Google Workspace, QuickBooks",
    "data_location": "cloud_apps",
    "ai_comfort": "curious",
    "tool_budget": "100_500",
    "timeline": "quarter",
    "pain_hours_per_week": "12.5",
    "pain_people": "3",
    "pain_cost_per_hour": "$38",
}


@pytest.fixture(autouse=True)
def queue():
    with Dispatched() as dispatched:
        yield dispatched


def test_the_form_asks_the_readiness_questions_all_optional():
    with web_client() as (client, _):
        html = client.get("/order/new").text
    for name in READINESS:
        assert f'name="{name}"' in html
    section = html.split('class="readiness"')[1].split("</fieldset>")[0]
    assert "required" not in section
    assert section.count("(optional)") >= len(READINESS)


def test_an_order_without_readiness_answers_is_taken_as_before():
    with web_client() as (client, _):
        response = place_order(client)
        stored = json.loads(db_of(client)["orders"].get(1)["input_json"])
    assert response.status_code == 303
    assert stored["pain_hours_per_week"] is None and stored["data_location"] == ""


def test_readiness_answers_are_stored_with_the_order_as_clean_values():
    with web_client() as (client, _):
        response = place_order(client, **READINESS)
        stored = json.loads(db_of(client)["orders"].get(1)["input_json"])
        view = db_of(client).execute(
            "SELECT data_location, pain_hours_per_week, pain_cost_per_hour "
            "FROM order_readiness").fetchall()
    assert response.status_code == 303
    assert stored["systems_in_use"] == READINESS["systems_in_use"]
    assert stored["pain_hours_per_week"] == 12.5 and stored["pain_people"] == 3
    assert stored["pain_cost_per_hour"] == 38.0  # "$38" is understood
    assert view == [("cloud_apps", 12.5, 38.0)]


@pytest.mark.parametrize(("field", "value", "message"), [
    ("pain_hours_per_week", "a lot", "Enter a number, like 12"),
    ("pain_hours_per_week", "0", "at least 0.5"),
    ("pain_people", "2.5", "whole number"),
    ("pain_people", "-1", "at least 1"),
    ("pain_cost_per_hour", "99999", "no larger than 2,000"),
    ("data_location", "the cloud", "Choose one of the options."),
    ("systems_in_use", "x" * 501, "under 500 characters"),
])
def test_bad_readiness_answers_get_a_clear_message_and_nothing_is_lost(field, value, message):
    with web_client() as (client, _):
        response = place_order(client, **(READINESS | {field: value}))
        orders = db_of(client)["orders"].count
    assert response.status_code == 422 and orders == 0
    html = response.text
    error = html.split(f'id="{field}-error">')[1].split("</p>")[0]
    assert message in error
    assert f'<a href="#{field}">' in html  # the summary links to the box
    # Every other answer comes back as typed.
    assert 'value="12.5"' in html or field == "pain_hours_per_week"
    assert 'value="cloud_apps" selected' in html or field == "data_location"
    assert 'value="quarter" selected' in html
    assert "Dentrix, Google Workspace, QuickBooks" in html or field == "systems_in_use"
    assert 'value="Dana Ortiz"' in html


def test_a_returning_customer_finds_their_readiness_answers_prefilled(data_dir):
    with web_client() as (client, _):
        paid_order(db_of(client), email="dana@brightsmile.example", **READINESS)
        sign_in(client, data_dir, "dana@brightsmile.example")
        form = client.get("/order/new?again=1").text
    assert 'value="12.5"' in form and 'value="3"' in form and 'value="38"' in form
    assert 'value="cloud_apps" selected' in form and 'value="100_500" selected' in form
    assert "Dentrix, Google Workspace, QuickBooks</textarea>" in form


def test_the_cli_and_engine_share_the_same_validation():
    answers = OrderInput.model_validate(VALID_ORDER | READINESS).readiness_answers()
    assert answers["data_location"] == "Cloud apps (CRM, accounting, booking…)"
    assert answers["pain_hours_per_week"] == 12.5
    with pytest.raises(ValidationError):
        OrderInput.model_validate(VALID_ORDER | {"ai_comfort": "expert"})
    assert not OrderInput.model_validate(VALID_ORDER).has_volumes
