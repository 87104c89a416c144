"""The order form's and the account page's rules, and the one translation of their errors."""

import pytest
from pydantic import ValidationError

from compass import accounts
from compass.intake import OrderInput, field_errors

VALID = {"company_name": "Bright Smile", "contact_name": "Dana", "email": "dana@example.com",
         "industry": "Dental", "company_size": "11-50",
         "prompt": "Two dental practices with a busy phone line."}


def errors_for(**changes: object) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        OrderInput.model_validate(VALID | changes)
    return field_errors(caught.value)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("email", "", "This is required."),  # not "at least 3 characters"
    ("email", "   ", "This is required."),
    ("email", "a@b", "Enter an email address like name@company.com"),
    ("email", "ab", "Enter an email address like name@company.com"),  # not "3 characters"
    ("company_name", "", "This is required."),
    ("industry", "x", "Please write at least 2 characters."),
    ("prompt", "too short", "Please write at least 20 characters."),
    ("company_name", "x" * 201, "Please keep this under 200 characters."),
    ("company_size", "9", "Choose one of the options."),
    ("pain_people", "2.5", "Enter a whole number, like 3."),
    ("pain_hours_per_week", "lots", "Enter a number, like 12 (or leave it empty)."),
    ("pain_hours_per_week", "0", "Enter a number of at least 0.5."),
    ("pain_cost_per_hour", "5000", "Enter a number no larger than 2,000."),
    ("company_website", "not a site", "Enter a web address like example.com"),
    ("industry", "Dent\x00al", "Remove the invisible control characters from this text"),
])
def test_each_error_reads_as_a_sentence_next_to_its_box(field: str, value: str,
                                                         message: str) -> None:
    assert errors_for(**{field: value}) == {field: message}


def test_the_account_page_uses_the_same_rules_and_words() -> None:
    profile, errors = accounts.validate_profile({
        "name": "", "company_name": "x" * 201, "company_website": "not a site",
        "industry": "Dental", "company_size": "9"})
    assert profile == {}
    assert errors == {"name": "This is required.",
                      "company_name": "Please keep this under 200 characters.",
                      "company_website": "Enter a web address like example.com",
                      "company_size": "Choose one of the options."}
    profile, errors = accounts.validate_profile({
        "name": " Dana ", "company_name": "Bright Smile", "company_website": "bright.example",
        "industry": "Dental", "company_size": "11-50"})
    assert errors == {}
    assert profile == {"name": "Dana", "company_name": "Bright Smile",
                       "company_website": "https://bright.example", "industry": "Dental",
                       "company_size": "11-50"}
