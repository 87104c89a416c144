"""The one money format: the same words on the site, in mail and in PDFs."""

import pytest

from compass import templating
from compass.web.common import templates


@pytest.mark.parametrize(("cents", "currency", "written"), [
    (14900, "usd", "$149"),
    (1250, "usd", "$12.50"),
    (5, "usd", "$0.05"),
    (178800, "USD", "$1,788"),
    (14900, "eur", "149 EUR"),
    (14950, "eur", "149.50 EUR"),
])
def test_money_is_written_one_way(cents: int, currency: str, written: str) -> None:
    assert templating.money(cents, currency) == written


def test_site_and_documents_share_the_filter() -> None:
    assert templates.env.filters["money"] is templating.environment().filters["money"]
    assert "dollars" not in templates.env.filters
