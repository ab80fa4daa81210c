"""Issue 18, bug 6: Italian. A plan's "Active" status is "Attivo" (it read "Principio attivo",
the product role), and body zones are translated. Web/service tests: server-side gettext."""

from __future__ import annotations

import pytest
from django.utils import translation

from mesocare.catalog.choices import ProductRole
from mesocare.plans.choices import PlanStatus
from mesocare.web.labels import zone_name, zone_names


def test_active_means_different_things_and_each_has_its_translation() -> None:
    with translation.override("it"):
        assert str(PlanStatus.ACTIVE.label) == "Attivo"
        assert str(ProductRole.ACTIVE.label) == "Principio attivo"
    with translation.override("en"):
        assert str(PlanStatus.ACTIVE.label) == "Active"


@pytest.mark.django_db
def test_every_body_zone_has_an_italian_name() -> None:
    with translation.override("en"):
        english = zone_names()
    with translation.override("it"):
        italian = zone_names()
        assert zone_name("thigh_posterior_l") == "Coscia, posteriore, sinistra"
    untranslated = sorted(code for code in english if italian[code] == english[code])
    assert untranslated == ["glabella"]  # the same word in both languages
