"""The customer's answers on the order form, validated.

The same model validates the web form, `compass generate --input` files and what the
engine is given, so a limit is stated once.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

# The optional readiness questions. Keys are what the form posts and input_json stores;
# labels are what the customer and the report read. An empty answer means "not answered".
DATA_LOCATIONS: dict[str, str] = {
    "paper": "Mostly on paper",
    "spreadsheets": "Spreadsheets and email",
    "cloud_apps": "Cloud apps (CRM, accounting, booking…)",
    "own_systems": "Our own database or on-premise systems",
    "mixed": "A mix of all of these",
}
AI_COMFORT: dict[str, str] = {
    "none": "Nobody uses AI tools yet",
    "curious": "A few people have tried them",
    "some": "Some of us use them every week",
    "daily": "Most of the team uses them daily",
}
BUDGETS: dict[str, str] = {
    "under_100": "Under $100 a month",
    "100_500": "$100–$500 a month",
    "500_2000": "$500–$2,000 a month",
    "2000_10000": "$2,000–$10,000 a month",
    "over_10000": "More than $10,000 a month",
}
# Monthly tool budget in dollars (low, high) for each band: the money section compares
# tool costs with it.
BUDGET_RANGES: dict[str, tuple[int, int | None]] = {
    "under_100": (0, 100), "100_500": (100, 500), "500_2000": (500, 2000),
    "2000_10000": (2000, 10000), "over_10000": (10000, None),
}
TIMELINES: dict[str, str] = {
    "month": "Within a month",
    "quarter": "Within three months",
    "half_year": "Within six months",
    "exploring": "No fixed date: exploring",
}
READINESS_FIELDS: tuple[str, ...] = (
    "systems_in_use", "data_location", "ai_comfort", "tool_budget", "timeline",
    "pain_hours_per_week", "pain_people", "pain_cost_per_hour",
)
VOLUME_FIELDS: tuple[str, ...] = ("pain_hours_per_week", "pain_people", "pain_cost_per_hour")

COMPANY_SIZES: dict[str, str] = {
    "1": "Just me",
    "2-10": "2–10 people",
    "11-50": "11–50 people",
    "51-200": "51–200 people",
    "201-1000": "201–1,000 people",
    "1000+": "More than 1,000 people",
}

EMAIL_HINT = "Enter an email address like name@company.com"


def normalise_email(value: str) -> str:
    """One mailbox, one spelling: the address as email-validator normalises it, lower-cased
    (customers, sign-in links and rate limits are keyed by it). ValueError when it is not
    a plain address: no NUL or control characters, commas, semicolons, comments, quoted
    local parts, display names or group syntax — things that turn one mailbox into many
    keys, or one header into several recipients. Syntax only: no DNS lookups here.
    """
    value = (value or "").strip()
    if not value or len(value) > 254:
        raise ValueError(EMAIL_HINT)
    try:
        checked = validate_email(value, check_deliverability=False, allow_smtputf8=False,
                                 allow_quoted_local=False, allow_display_name=False,
                                 allow_domain_literal=False)
    except EmailNotValidError as exc:
        raise ValueError(EMAIL_HINT) from exc
    return checked.normalized.lower()

Text = Annotated[str, StringConstraints(strip_whitespace=True)]


def _reject_control_characters(value: str) -> str:
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
        raise ValueError("Remove the invisible control characters from this text")
    return value


class BusinessProfile(BaseModel):
    """Who the customer is: the order form's first fields and the account page's profile."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    company_name: Text = Field(min_length=1, max_length=200)
    contact_name: Text = Field(min_length=1, max_length=120)
    company_website: Text = Field(default="", max_length=300)
    industry: Text = Field(min_length=2, max_length=100)
    company_size: Literal["1", "2-10", "11-50", "51-200", "201-1000", "1000+"]

    @field_validator("company_website")
    @classmethod
    def _normalise_website(cls, value: str) -> str:
        if not value:
            return ""
        if not re.match(r"^https?://", value, re.I):
            value = "https://" + value
        if not re.match(r"^https?://[\w.-]+\.[a-z]{2,}(?::\d+)?(?:/\S*)?$", value, re.I):
            raise ValueError("Enter a web address like example.com")
        return value

    @field_validator("company_name", "contact_name", "industry")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        return _reject_control_characters(value)


class OrderInput(BusinessProfile):
    email: Text = Field(min_length=3, max_length=254)
    prompt: Text = Field(min_length=20, max_length=4000)
    pain_point: Text = Field(default="", max_length=2000)

    # Readiness (all optional). Empty choices and numbers arrive as "" from the form.
    systems_in_use: Text = Field(default="", max_length=500)
    data_location: Literal["", "paper", "spreadsheets", "cloud_apps", "own_systems",
                           "mixed"] = ""
    ai_comfort: Literal["", "none", "curious", "some", "daily"] = ""
    tool_budget: Literal["", "under_100", "100_500", "500_2000", "2000_10000",
                         "over_10000"] = ""
    timeline: Literal["", "month", "quarter", "half_year", "exploring"] = ""
    pain_hours_per_week: float | None = Field(default=None, ge=0.5, le=2000)
    pain_people: int | None = Field(default=None, ge=1, le=10000)
    pain_cost_per_hour: float | None = Field(default=None, ge=1, le=2000)

    @field_validator("email")
    @classmethod
    def _normalise_email(cls, value: str) -> str:
        return normalise_email(value)

    @field_validator(*VOLUME_FIELDS, mode="before")
    @classmethod
    def _blank_is_unanswered(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().replace(",", "").removeprefix("$").strip()
            return value or None
        return value

    @field_validator("prompt", "pain_point", "systems_in_use")
    @classmethod
    def _no_control_characters_in_answers(cls, value: str) -> str:
        return _reject_control_characters(value)

    @property
    def company_size_label(self) -> str:
        return COMPANY_SIZES[self.company_size]

    @property
    def has_volumes(self) -> bool:
        """Hours and an hourly cost: enough to work out the money from the customer's numbers."""
        return self.pain_hours_per_week is not None and self.pain_cost_per_hour is not None

    def for_engine(self) -> dict[str, object]:
        """What the model sees: no contact details, no unanswered optional questions."""
        data = self.model_dump(exclude={"email", "contact_name"})
        return {k: v for k, v in data.items()
                if k not in READINESS_FIELDS or v not in ("", None)}

    def readiness_answers(self, *, labels: bool = True) -> dict[str, object]:
        """The readiness questions the customer answered: labels, or the stored keys."""
        choices = {"data_location": DATA_LOCATIONS, "ai_comfort": AI_COMFORT,
                   "tool_budget": BUDGETS, "timeline": TIMELINES} if labels else {}
        answers: dict[str, object] = {}
        for name in READINESS_FIELDS:
            value = getattr(self, name)
            if value in ("", None):
                continue
            answers[name] = choices[name][value] if name in choices else value
        return answers


def field_errors(exc: ValidationError) -> dict[str, str]:
    """One plain message per field, in the words a customer reads next to the box: the one
    translation of pydantic's errors, for the order form and the account page alike."""
    messages: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "form"
        if field in messages:
            continue
        kind, ctx = error["type"], error.get("ctx") or {}
        blank = not str(error.get("input") or "").strip()
        if kind == "missing" or (kind == "string_too_short" and blank):
            messages[field] = "This is required."
        elif field == "email":
            messages[field] = EMAIL_HINT  # "at least 3 characters" says nothing of an address
        elif kind == "string_too_short":
            messages[field] = f"Please write at least {ctx['min_length']} characters."
        elif kind == "string_too_long":
            messages[field] = f"Please keep this under {ctx['max_length']} characters."
        elif kind == "literal_error":
            messages[field] = "Choose one of the options."
        elif kind in ("int_parsing", "int_from_float") and _is_number(error.get("input")):
            messages[field] = "Enter a whole number, like 3."
        elif kind in ("float_parsing", "int_parsing", "float_type", "int_type"):
            messages[field] = "Enter a number, like 12 (or leave it empty)."
        elif kind in ("greater_than_equal", "greater_than"):
            messages[field] = f"Enter a number of at least {_limit(ctx)}."
        elif kind in ("less_than_equal", "less_than"):
            messages[field] = f"Enter a number no larger than {_limit(ctx)}."
        elif kind == "value_error":
            messages[field] = str(error["msg"]).removeprefix("Value error, ")
        else:
            messages[field] = "Please check this answer."
    return messages


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _limit(ctx: dict) -> str:
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), "")
    return f"{limit:,g}" if isinstance(limit, int | float) else str(limit)
