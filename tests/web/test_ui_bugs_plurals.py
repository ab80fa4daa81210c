"""Issue 18, No raw text: proper plural forms instead of "(s)" (service and template tests)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from mesocare.scheduling.services.booking import Conflicts


@pytest.mark.parametrize(
    ("n", "english", "italian"),
    [(1, "1 conflict.", "1 conflitto."), (2, "2 conflicts.", "2 conflitti.")],
)
def test_booking_conflicts_are_counted_with_plural_forms(
    n: int, english: str, italian: str
) -> None:
    conflicts = Conflicts()
    conflicts.items.extend({"index": i, "reason": "room"} for i in range(n))
    with translation.override("en"):
        assert conflicts.error().message.endswith(english)
    with translation.override("it"):
        assert conflicts.error().message.endswith(italian)


@pytest.mark.parametrize(("days", "text"), [(1, "1 day off"), (3, "3 days off")])
def test_the_proposal_deviation_has_a_plural_form(days: int, text: str) -> None:
    template = Template(
        "{% load i18n %}{% blocktranslate count d=days %}{{ d }} day off the target interval in "
        "total{% plural %}{{ d }} days off the target interval in total{% endblocktranslate %}"
    )
    with translation.override("en"):
        assert template.render(Context({"days": days})).startswith(text)
    from django.template.loader import get_template

    source = get_template("web/scheduling/_proposals.html").template.source
    assert "day(s)" not in source
