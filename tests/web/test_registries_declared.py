"""Patient tabs and dashboard cards are declared in full in one module each
(mesocare/web/patient_tabs.py, mesocare/web/dashboard.py): the page shows exactly the declared
list, in its order, for each role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from mesocare.web.dashboard import DASHBOARD_CARDS
from mesocare.web.patient_tabs import PATIENT_TABS

pytestmark = pytest.mark.django_db

ROLES = ("admin", "practitioner", "reception", "auditor")


@pytest.mark.parametrize("role", ROLES)
def test_the_patient_page_shows_the_declared_tabs_in_order(clinic, web, role):
    patient = clinic.patient
    html = web(role).get(reverse("web:patient-detail", args=[patient.pk])).content.decode()
    nav = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', html, re.S)
    assert nav is not None
    shown = re.findall(r'<a href="([^"]+)"', nav.group(1))
    actor = clinic.actor(role)
    declared = [
        reverse(tab.url_name, kwargs={"patient_id": patient.pk})
        for tab in PATIENT_TABS
        if actor.can(tab.perm)
    ]
    assert shown == declared
    assert len(declared) >= 3


@pytest.mark.parametrize("role", ROLES)
def test_the_dashboard_shows_the_declared_cards_in_order(clinic, web, role):
    response = web(role).get(reverse("web:dashboard"))
    actor = clinic.actor(role)
    declared = [c.key for c in DASHBOARD_CARDS if c.perm is None or actor.can(c.perm)]
    assert [card.key for card in response.context["cards"]] == declared
    assert declared


def test_every_declared_tab_and_card_is_unique_and_its_view_exists():
    assert len({t.key for t in PATIENT_TABS}) == len(PATIENT_TABS)
    assert len({c.key for c in DASHBOARD_CARDS}) == len(DASHBOARD_CARDS)
    for tab in PATIENT_TABS:
        reverse(tab.url_name, kwargs={"patient_id": 1})  # NoReverseMatch fails the test
