"""A patient's tax code (e.g. the Italian codice fiscale) is kept as printed on tax
documents, refused with a field message when malformed, and carried onto invoices."""

from __future__ import annotations

from typing import Any

from mesocare.patients.models import Patient

CF = "RSSGLI80A41F205X"  # the pattern of a codice fiscale: 6 letters, 2 digits, …


def test_the_api_keeps_a_tax_code_in_capitals_without_spaces(clinic: Any) -> None:
    api = clinic.api("reception")
    r = api.patch(f"patients/{clinic.patient.pk}", {"tax_code": "rssgli 80a41 f205x"})
    assert r.status_code == 200, r.content
    assert r.json()["tax_code"] == CF
    assert Patient.objects.get(pk=clinic.patient.pk).tax_code == CF


def test_a_malformed_tax_code_is_a_422_on_the_field_and_changes_nothing(clinic: Any) -> None:
    r = clinic.api("reception").patch(f"patients/{clinic.patient.pk}", {"tax_code": "RSS-GLI"})
    assert r.status_code == 422
    assert [e["field"] for e in r.json()["errors"]] == ["tax_code"]
    assert Patient.objects.get(pk=clinic.patient.pk).tax_code == ""


def test_the_staff_form_records_the_tax_code(clinic: Any, client: Any) -> None:
    client.force_login(clinic.user("reception"))
    page = client.get(f"/patients/{clinic.patient.pk}/edit")
    assert page.status_code == 200 and 'name="tax_code"' in page.content.decode()
    form = {
        "given_name": clinic.patient.given_name,
        "family_name": clinic.patient.family_name,
        "birth_date": clinic.patient.birth_date.isoformat(),
        "sex_at_birth": clinic.patient.sex_at_birth,
        "preferred_channel": "email",
        "tax_code": CF.lower(),
    }
    response = client.post(f"/patients/{clinic.patient.pk}/edit", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Patient.objects.get(pk=clinic.patient.pk).tax_code == CF
