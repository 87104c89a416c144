"""The customer's answers on the order form, validated.

The same model validates the web form, `compass generate --input` files and what the
engine is given, so a limit is stated once.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

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


class OrderInput(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    company_name: Text = Field(min_length=1, max_length=200)
    contact_name: Text = Field(min_length=1, max_length=120)
    email: Text = Field(min_length=3, max_length=254)
    company_website: Text = Field(default="", max_length=300)
    industry: Text = Field(min_length=2, max_length=100)
    company_size: Literal["1", "2-10", "11-50", "51-200", "201-1000", "1000+"]
    prompt: Text = Field(min_length=20, max_length=4000)
    pain_point: Text = Field(default="", max_length=2000)

    @field_validator("email")
    @classmethod
    def _normalise_email(cls, value: str) -> str:
        return normalise_email(value)

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

    @field_validator("company_name", "contact_name", "industry", "prompt", "pain_point")
    @classmethod
    def _no_control_characters(cls, value: str) -> str:
        if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value):
            raise ValueError("Remove the invisible control characters from this text")
        return value

    @property
    def company_size_label(self) -> str:
        return COMPANY_SIZES[self.company_size]
