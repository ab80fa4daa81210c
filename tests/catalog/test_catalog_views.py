"""Catalog browser: indications → protocols with citations and evidence; copy and edit."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mesocare.catalog.models import Protocol

pytestmark = pytest.mark.django_db


def signed_in(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def default(code: str = "cellulite_cocktail_nappage") -> Protocol:
    return Protocol.objects.get(organization__isnull=True, code=code)


def test_the_catalog_lists_indications_protocols_and_evidence(clinic: Any) -> None:
    page = signed_in(clinic, "reception").get("/catalog")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Cellulite" in html and default().name in html
    assert "evidence-practice" in html and "sources" in html


def test_a_protocol_page_shows_citations_and_rules(clinic: Any) -> None:
    protocol = default()
    page = signed_in(clinic).get(f"/catalog/protocols/{protocol.pk}")
    html = page.content.decode()
    assert protocol.citations[0]["url"] in html
    assert "moderate: 6" in html
    assert "Copy to my clinic" in html


def test_copy_then_edit_saves_a_new_version(clinic: Any) -> None:
    client = signed_in(clinic)
    response = client.post(f"/catalog/protocols/{default().pk}/copy")
    copy = Protocol.objects.get(organization=clinic.org)
    assert response["Location"] == f"/catalog/protocols/{copy.pk}/edit"
    form = client.get(response["Location"])
    assert form.status_code == 200
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(
        name="House cellulite", is_active="on", reason="our mix",
        sessions_by_band='{"mild": 5, "moderate": 7, "severe": 9}',
    )  # fmt: skip
    saved = client.post(response["Location"], data)
    assert saved.status_code == 302, saved.context["form"].errors if saved.context else ""
    copy.refresh_from_db()
    assert (copy.version, copy.name, copy.sessions_by_band["mild"]) == (2, "House cellulite", 5)


def test_a_bad_rule_is_shown_beside_the_form(clinic: Any) -> None:
    client = signed_in(clinic)
    client.post(f"/catalog/protocols/{default().pk}/copy")
    copy = Protocol.objects.get(organization=clinic.org)
    form = client.get(f"/catalog/protocols/{copy.pk}/edit")
    data = {k: v for k, v in form.context["form"].initial.items() if v is not None}
    data.update(sessions_by_band='{"gigantic": 3}', is_active="on")
    response = client.post(f"/catalog/protocols/{copy.pk}/edit", data)
    assert response.status_code == 200
    assert b"has no band" in response.content


def test_defaults_cannot_be_edited_in_the_ui(clinic: Any) -> None:
    response = signed_in(clinic).get(f"/catalog/protocols/{default().pk}/edit")
    assert response.status_code == 302


def test_reception_cannot_copy(clinic: Any) -> None:
    response = signed_in(clinic, "reception").post(f"/catalog/protocols/{default().pk}/copy")
    assert response.status_code == 403


def test_catalog_pages_are_bounded_in_queries(
    clinic: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(clinic)
    with django_assert_max_num_queries(15):
        assert client.get("/catalog").status_code == 200
    with django_assert_max_num_queries(15):
        assert client.get(f"/catalog/protocols/{default().pk}").status_code == 200
