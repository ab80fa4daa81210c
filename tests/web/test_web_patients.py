"""Patient pages: search, register, edit, the patient page and its records."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Ingredient
from mesocare.patients.models import Allergy, Condition, Consent, Medication, Patient, Weight

pytestmark = pytest.mark.django_db

NEW = {
    "given_name": "Zoë",
    "family_name": "Müller-Brandt",
    "birth_date": "1988-02-29",
    "sex_at_birth": "female",
    "email": "zoe@example.org",
    "phone": "+39 347 000 1111",
    "preferred_channel": "sms",
}


def _many_patients(clinic: Any, n: int) -> None:
    Patient.objects.bulk_create(
        Patient(
            organization=clinic.org,
            given_name=f"Name{i:02d}",
            family_name=f"Family{i:02d}",
            given_norm=f"name{i:02d}",
            family_norm=f"family{i:02d}",
            birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=i),
            sex_at_birth="male",
        )
        for i in range(n)
    )


# ----------------------------------------------------------------- search


def test_search_partial_lists_matching_patients_with_links(
    web: Callable[[str], Any], clinic: Any
) -> None:
    response = web("reception").get("/patients/search", {"q": "ROSS"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rossi, Giulia" in html
    assert f'href="/patients/{clinic.patient.pk}"' in html
    assert "<html" not in html  # a partial, not a page


def test_search_partial_is_accent_insensitive_and_limited_to_ten(
    web: Callable[[str], Any], clinic: Any
) -> None:
    _many_patients(clinic, 15)
    html = web("admin").get("/patients/search", {"q": "famíly"}, HTTP_HX_REQUEST="true")
    assert html.content.decode().count('href="/patients/') == 10


def test_search_partial_does_not_show_other_organizations(
    web: Callable[[str], Any], other_clinic: Any
) -> None:
    name = other_clinic.patient.family_name
    html = web("admin").get("/patients/search", {"q": name}, HTTP_HX_REQUEST="true")
    assert f'href="/patients/{other_clinic.patient.pk}"' not in html.content.decode()
    assert "No patient matches." in html.content.decode()


def test_search_without_javascript_lands_on_the_patient_list(web: Callable[[str], Any]) -> None:
    response = web("admin").get("/patients/search", {"q": "rossi"})
    assert response.status_code == 302
    assert response["Location"] == "/patients?q=rossi"
    assert "Rossi, Giulia" in web("admin").get("/patients", {"q": "rossi"}).content.decode()


def test_search_by_birth_date_and_phone_on_the_list(web: Callable[[str], Any], clinic: Any) -> None:
    client = web("admin")
    for q in ("17/05/1990", "1990-05-17", "+39 333 12"):
        assert "Rossi, Giulia" in client.get("/patients", {"q": q}).content.decode(), q


def test_patient_list_paginates_by_25_with_bounded_queries(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    _many_patients(clinic, 60)
    client = web("admin")
    with django_assert_max_num_queries(10):
        first = client.get("/patients")
    assert first.content.decode().count('href="/patients/') >= 25
    last = client.get("/patients", {"page": 3}).content.decode()
    assert "Page 3 of 3" in last
    assert last.count("<tr><td><a href=") == 11  # 61 patients: 25 + 25 + 11


# ----------------------------------------------------------------- register / edit


def test_registering_a_patient_redirects_to_the_patient_page(
    web: Callable[[str], Any], clinic: Any
) -> None:
    response = web("reception").post("/patients/new", NEW)
    patient = Patient.objects.get(family_name="Müller-Brandt")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}"
    assert patient.organization_id == clinic.org.pk
    assert AuditEvent.objects.filter(action="create", object_id=str(patient.pk)).exists()


def test_register_form_shows_the_message_beside_the_field_and_stores_nothing(
    web: Callable[[str], Any],
) -> None:
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    response = web("admin").post("/patients/new", {**NEW, "birth_date": future, "email": "x"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_email_error"' in html
    assert not Patient.objects.filter(family_name="Müller-Brandt").exists()
    # the service's rule (birth date in the future) also lands beside its field
    response = web("admin").post("/patients/new", {**NEW, "birth_date": future})
    html = response.content.decode()
    assert 'id="id_birth_date_error"' in html
    assert "future" in html
    assert not Patient.objects.filter(family_name="Müller-Brandt").exists()


def test_editing_demographics_and_pregnancy_status_with_its_date(
    web: Callable[[str], Any], clinic: Any
) -> None:
    data = {
        **NEW,
        "given_name": "Giulia",
        "family_name": "Rossi-Bianchi",
        "birth_date": "1990-05-17",
        "pregnancy_status": "pregnant",
        "pregnancy_status_on": "2024-03-01",
        "breastfeeding": "no",
    }
    response = web("practitioner").post(f"/patients/{clinic.patient.pk}/edit", data)
    assert response.status_code == 302
    patient = Patient.objects.get(pk=clinic.patient.pk)
    assert patient.family_name == "Rossi-Bianchi"
    assert patient.pregnancy_status == "pregnant"
    assert patient.pregnancy_status_on == dt.date(2024, 3, 1)
    assert patient.breastfeeding is False
    assert patient.breastfeeding_on == clinic.today()


def test_reception_records_intake_without_seeing_the_recorded_value(
    web: Callable[[str], Any], clinic: Any
) -> None:
    Patient.objects.filter(pk=clinic.patient.pk).update(pregnancy_status="pregnant")
    client = web("reception")
    form = client.get(f"/patients/{clinic.patient.pk}/edit").content.decode()
    assert 'value="pregnant" selected' not in form
    base = {**NEW, "given_name": "Giulia", "family_name": "Rossi", "birth_date": "1990-05-17"}
    # blank intake fields leave the recorded values alone
    client.post(f"/patients/{clinic.patient.pk}/edit", base)
    assert Patient.objects.get(pk=clinic.patient.pk).pregnancy_status == "pregnant"
    client.post(f"/patients/{clinic.patient.pk}/edit", {**base, "pregnancy_status": "not_pregnant"})
    assert Patient.objects.get(pk=clinic.patient.pk).pregnancy_status == "not_pregnant"


# ----------------------------------------------------------------- patient page


def _header(html: str) -> str:
    start = html.index('class="card patient-header"')
    return html[start : html.index("</section>", start)]


def test_opening_the_patient_page_is_an_audited_web_read(
    web: Callable[[str], Any], clinic: Any
) -> None:
    web("reception").get(f"/patients/{clinic.patient.pk}")
    event = AuditEvent.objects.get(action="read", patient_id=clinic.patient.pk)
    assert event.channel == "web"
    assert event.actor_id == clinic.user("reception").pk


def test_patient_header_shows_age_allergies_and_flags_the_role_may_see(
    web: Callable[[str], Any], clinic: Any
) -> None:
    p = clinic.patient
    Allergy.objects.create(organization=clinic.org, patient=p, substance="Lidocaine")
    Medication.objects.create(
        organization=clinic.org, patient=p, name="Warfarin", drug_class="anticoagulant"
    )
    Condition.objects.create(organization=clinic.org, patient=p, code="keloid_scarring")
    Patient.objects.filter(pk=p.pk).update(pregnancy_status="pregnant")
    age = p.age_on(dt.date.today())
    practitioner = _header(web("practitioner").get(f"/patients/{p.pk}").content.decode())
    assert "Allergy: Lidocaine" in practitioner
    assert "Pregnant" in practitioner
    assert "Anticoagulant" in practitioner
    assert "Keloid scarring" in practitioner
    assert f"{age} years" in practitioner
    page = web("reception").get(f"/patients/{p.pk}").content.decode()
    reception = _header(page)
    assert "Allergy: Lidocaine" in reception  # allergies are visible to every role
    assert "Pregnant" not in reception
    assert "Anticoagulant" not in reception
    assert "Keloid" not in reception
    assert "Warfarin" not in page


def test_patient_tabs_follow_the_role(web: Callable[[str], Any], clinic: Any) -> None:
    url = f"/patients/{clinic.patient.pk}"
    assert f'href="{url}/audit"' in web("auditor").get(url).content.decode()
    assert f'href="{url}/audit"' not in web("practitioner").get(url).content.decode()
    assert f'href="{url}/allergies"' in web("reception").get(url).content.decode()


def test_patient_detail_queries_are_bounded(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    p = clinic.patient
    for i in range(8):
        Allergy.objects.create(organization=clinic.org, patient=p, substance=f"S{i}")
        Medication.objects.create(
            organization=clinic.org, patient=p, name=f"M{i}", drug_class="anticoagulant"
        )
        Condition.objects.create(organization=clinic.org, patient=p, code="diabetes")
        Weight.objects.create(
            organization=clinic.org, patient=p, kg=60 + i, measured_on=dt.date(2024, 1, 1 + i)
        )
        Consent.objects.create(
            organization=clinic.org,
            patient=p,
            kind="general",
            version=str(i),
            signed_on="2024-01-01",
        )
    client = web("admin")
    with django_assert_max_num_queries(20):
        response = client.get(f"/patients/{p.pk}")
    assert response.status_code == 200
    with django_assert_max_num_queries(16):
        client.get(f"/patients/{p.pk}/allergies")


# ----------------------------------------------------------------- records


def test_adding_a_medication_and_ending_it_after_confirmation(
    web: Callable[[str], Any], clinic: Any
) -> None:
    client = web("practitioner")
    base = f"/patients/{clinic.patient.pk}"
    response = client.post(
        f"{base}/medications/add",
        {"medication-name": "Apixaban", "medication-drug_class": "anticoagulant"},
    )
    assert response.status_code == 302
    medication = Medication.objects.get(name="Apixaban")
    confirm = client.get(f"{base}/medications/{medication.pk}/end")
    assert confirm.status_code == 200
    assert "Apixaban" in confirm.content.decode()
    medication.refresh_from_db()
    assert medication.is_active  # asking is not doing
    client.post(f"{base}/medications/{medication.pk}/end")
    medication.refresh_from_db()
    assert not medication.is_active


def test_bad_weight_shows_the_message_beside_the_field_and_stores_nothing(
    web: Callable[[str], Any], clinic: Any
) -> None:
    future = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    response = web("admin").post(
        f"/patients/{clinic.patient.pk}/weights/add",
        {"weight-kg": "72.5", "weight-measured_on": future},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_weight-measured_on_error"' in html
    assert not Weight.objects.exists()


def test_reception_records_history_but_cannot_read_it_back(
    web: Callable[[str], Any], clinic: Any
) -> None:
    client = web("reception")
    base = f"/patients/{clinic.patient.pk}"
    client.post(f"{base}/conditions/add", {"condition-code": "diabetes", "condition-body_area": ""})
    assert Condition.objects.filter(patient=clinic.patient, code="diabetes").exists()
    html = client.get(base).content.decode()
    assert "Add condition" in html
    assert "Diabetes</td>" not in html


def test_allergy_from_the_catalog_or_free_text(web: Callable[[str], Any], clinic: Any) -> None:
    client = web("reception")
    url = f"/patients/{clinic.patient.pk}/allergies/add"
    ingredient = Ingredient.objects.order_by("name").first()
    assert ingredient is not None
    client.post(url, {"allergy-ingredient": ingredient.pk, "allergy-severity": "severe"})
    client.post(url, {"allergy-substance": "Nickel", "allergy-severity": "mild"})
    substances = set(Allergy.objects.values_list("substance", flat=True))
    assert substances == {ingredient.name, "Nickel"}
    response = client.post(url, {"allergy-severity": "mild"})
    assert 'id="id_allergy-substance_error"' in response.content.decode()
    assert Allergy.objects.count() == 2


def test_consent_with_drawn_signature_is_stored_and_shown(
    web: Callable[[str], Any], clinic: Any, signature_png: str
) -> None:
    client = web("practitioner")
    base = f"/patients/{clinic.patient.pk}"
    response = client.post(
        f"{base}/consents/add",
        {
            "consent-kind": "photo",
            "consent-version": "2024.1",
            "consent-signed_on": dt.date.today().isoformat(),
            "consent-photo_use": "clinical_and_marketing",
            "consent-signed_by": "Giulia Rossi",
            "consent-signature": signature_png,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.signature == signature_png
    assert consent.photo_use == "clinical_and_marketing"
    html = client.get(base).content.decode()
    assert f'src="{signature_png}"' in html


def test_consent_without_signature_is_refused_beside_the_signature(
    web: Callable[[str], Any], clinic: Any
) -> None:
    response = web("practitioner").post(
        f"/patients/{clinic.patient.pk}/consents/add",
        {
            "consent-kind": "general",
            "consent-version": "1",
            "consent-signed_on": "2024-01-01",
            "consent-photo_use": "clinical",
            "consent-signature": "data:text/html;base64,PHNjcmlwdD4=",
        },
    )
    assert "The signature must be a PNG drawing." in response.content.decode()
    assert not Consent.objects.exists()


def test_withdrawing_a_consent_asks_first(web: Callable[[str], Any], clinic: Any) -> None:
    consent = Consent.objects.create(
        organization=clinic.org, patient=clinic.patient, kind="general", version="1",
        signed_on="2024-01-01",
    )  # fmt: skip
    url = f"/patients/{clinic.patient.pk}/consents/{consent.pk}/withdraw"
    client = web("admin")
    assert "Withdraw" in client.get(url).content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_on is None
    assert client.post(url).status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == clinic.today()


def test_the_patient_form_records_the_teratogen_screen(
    web: Callable[[str], Any], clinic: Any
) -> None:
    """Childbearing potential and contraception are editable in the staff form (dated today)."""
    from django.urls import reverse

    client = web("practitioner")
    patient = clinic.patient
    url = reverse("web:patient-edit", kwargs={"patient_id": patient.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert b"childbearing_potential" in page.content
    data = {
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "preferred_channel": patient.preferred_channel,
        "childbearing_potential": "yes",
        "reliable_contraception": "yes",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content
    patient.refresh_from_db()
    assert patient.childbearing_potential == "yes"
    assert patient.reliable_contraception is True
    assert patient.reliable_contraception_on == clinic.today()
