"""Jinja2 for documents made outside a web request: the PDFs and the emails.

Autoescaping is on for .html (and for templates built from strings); .txt templates are
plain text, where there is no markup to escape. Undefined names are errors, so a missing
value fails a test instead of silently printing nothing in a customer's email.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from compass.money import FILTERS as REPORT_FILTERS

# The directory holding the `compass` package (the repository, or site-packages).
ROOT = Path(__file__).resolve().parent.parent
# templates/ and static/ live at the top of the repository. A wheel carries them inside the
# package (compass/_data/, see pyproject's force-include), because an installed package has
# no repository beside it; a checkout or an editable install has no _data/ and uses the
# top level. Never the working directory: the processes may start anywhere.
_SHIPPED = Path(__file__).resolve().parent / "_data"
ASSETS_ROOT = _SHIPPED if (_SHIPPED / "templates").is_dir() else ROOT
TEMPLATES_DIR = ASSETS_ROOT / "templates"
STATIC_DIR = ASSETS_ROOT / "static"


def money(cents: int, currency: str = "usd") -> str:
    """The one way a price or payment is written, on the site, in mail and in PDFs: '$149' for
    whole dollars, '$12.50' otherwise; '149 EUR' for other currencies. Integer cents in."""
    whole, rest = divmod(int(cents), 100)
    amount = f"{whole:,}" if rest == 0 else f"{whole:,}.{rest:02d}"
    return f"${amount}" if currency.lower() == "usd" else f"{amount} {currency.upper()}"


@functools.cache
def environment() -> jinja2.Environment:
    return make_environment(TEMPLATES_DIR)


def make_environment(directory: Path) -> jinja2.Environment:
    """The documents' Jinja2 environment over `directory` (readiness checks other folders)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=jinja2.select_autoescape(("html", "xml"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = money
    env.filters.update(REPORT_FILTERS)
    return env


def render(name: str, **context: object) -> str:
    return environment().get_template(name).render(**context)
