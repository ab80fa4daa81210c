"""Patients over the REST API: register, search, read, edit, intake records."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

NEW_PATIENT = {
    "given_name": "Zoë",
    "family_name": "Müller-Brandt",
    "birth_date": "1988-02-29",
    "sex_at_birth": "female",
    "email": "zoe@example.org",
    "phone": "+39 347 000 1111",
}


def test_registering_a_patient_returns_it_with_its_id(api: Any) -> None:
    response = api.post("patients", NEW_PATIENT)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] > 0
    assert body["given_name"] == "Zoë"
    assert Patient.objects.filter(pk=body["id"], family_name="Müller-Brandt").exists()


def test_search_is_accent_and_case_insensitive_prefix(api: Any) -> None:
    api.post("patients", NEW_PATIENT)
    for query in ("zoe", "ZOË", "mull", "müller", "zoe mul"):
        names = [p["given_name"] for p in api.get("patients", q=query).json()["items"]]
        assert names == ["Zoë"], query
    assert len(api.get("patients", q="brandt").json()["items"]) == 1
    assert api.get("patients", q="oe").json()["items"] == []


def test_search_by_birth_date_and_by_phone(api: Any, clinic: Any) -> None:
    assert [p["id"] for p in api.get("patients", q="1990-05-17").json()["items"]] == [
        clinic.patient.pk
    ]
    assert [p["id"] for p in api.get("patients", q="17/05/1990").json()["items"]] == [
        clinic.patient.pk
    ]
    assert [p["id"] for p in api.get("patients", q="+39 333 12").json()["items"]] == [
        clinic.patient.pk
    ]


def test_patient_list_paginates(api: Any, clinic: Any) -> None:
    for n in range(5):
        Patient.objects.create(
            organization=clinic.org, given_name=f"P{n}", family_name="Zeta",
            birth_date="1980-01-01", sex_at_birth="male",
        )  # fmt: skip
    page = api.get("patients", limit=2, offset=2).json()
    assert page["count"] is None
    assert len(page["items"]) == 2
    assert page["next_offset"] == 4
    last = api.get("patients", limit=2, offset=4, count="true").json()
    assert last["count"] == 6
    assert last["next_offset"] is None


def test_pregnancy_status_is_dated_when_set(api: Any, clinic: Any) -> None:
    body = api.patch(
        f"patients/{clinic.patient.pk}", {"pregnancy_status": "pregnant", "breastfeeding": False}
    ).json()
    assert body["pregnancy_status"] == "pregnant"
    assert body["pregnancy_status_on"] is not None
    assert body["breastfeeding"] is False


def test_free_text_allergy_is_matched_to_the_allergen_family(api: Any, clinic: Any) -> None:
    response = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "Soya"})
    assert response.status_code == 201
    assert response.json()["allergen_family"] == "soy"
    lido = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "lidocaine"}).json()
    assert lido["ingredient"] is not None
    unknown = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "cats"}).json()
    assert unknown["ingredient"] is None and unknown["allergen_family"] is None


def test_intake_records_are_created_and_listed(api: Any, clinic: Any) -> None:
    pid = clinic.patient.pk
    created = [
        api.post(
            f"patients/{pid}/medications", {"name": "Warfarin", "drug_class": "anticoagulant"}
        ),
        api.post(f"patients/{pid}/conditions", {"code": "keloid_scarring"}),
        api.post(f"patients/{pid}/weights", {"kg": "61.5", "measured_on": "2026-01-10"}),
        api.post(
            f"patients/{pid}/consents",
            {
                "kind": "general",
                "version": "2026.1",
                "signed_on": "2026-01-10",
                "photo_use": "clinical",
            },
        ),  # fmt: skip
    ]
    assert [r.status_code for r in created] == [201, 201, 201, 201]
    assert all(r.json()["id"] for r in created)
    assert api.get(f"patients/{pid}/medications").json()[0]["drug_class"] == "anticoagulant"
    assert api.get(f"patients/{pid}/weights").json()[0]["kg"] == "61.5"
    detail = api.get(f"patients/{pid}").json()
    assert detail["latest_weight"]["kg"] == "61.5"


def test_ending_a_medication_keeps_it_in_history(api: Any, clinic: Any) -> None:
    pid = clinic.patient.pk
    med = api.post(f"patients/{pid}/medications", {"name": "Aspirin", "drug_class": "antiplatelet"})
    assert api.delete(f"patients/{pid}/medications/{med.json()['id']}").status_code == 204
    [listed] = api.get(f"patients/{pid}/medications").json()
    assert listed["is_active"] is False
    assert api.delete(f"patients/{pid}/medications/{med.json()['id']}").status_code == 409


def test_reading_a_patient_is_audited(api: Any, clinic: Any) -> None:
    before = AuditEvent.objects.filter(action="read", patient_id=clinic.patient.pk).count()
    api.get(f"patients/{clinic.patient.pk}")
    api.get(f"patients/{clinic.patient.pk}/allergies")
    events = AuditEvent.objects.filter(action="read", patient_id=clinic.patient.pk)
    assert events.count() == before + 2
    event = events.first()
    assert event is not None
    assert event.actor == clinic.user("admin")
    assert event.ip == "127.0.0.1"
    assert event.organization_id == clinic.org.pk


def test_changes_are_audited_with_old_and_new_values(api: Any, clinic: Any) -> None:
    api.patch(f"patients/{clinic.patient.pk}", {"family_name": "Bianchi"})
    event = AuditEvent.objects.filter(action="update", patient_id=clinic.patient.pk).first()
    assert event is not None
    assert event.changes["family_name"] == ["Rossi", "Bianchi"]


def test_patient_list_query_count_is_bounded(
    api: Any, clinic: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        Patient.objects.create(
            organization=clinic.org, given_name=f"P{n}", family_name="Many",
            birth_date="1980-01-01", sex_at_birth="male",
        )  # fmt: skip
    with django_assert_max_num_queries(6):
        assert len(api.get("patients", limit=50).json()["items"]) == 31


def test_patient_detail_query_count_is_bounded(
    api: Any, clinic: Any, django_assert_max_num_queries: Any
) -> None:
    pid = clinic.patient.pk
    for substance in ("soy", "egg", "lidocaine", "penicillin"):
        api.post(f"patients/{pid}/allergies", {"substance": substance})
    with django_assert_max_num_queries(9):
        assert len(api.get(f"patients/{pid}").json()["allergies"]) == 4


def test_teratogen_screen_fields_are_patched_dated_and_redacted(api: Any, clinic: Any) -> None:
    from django.utils import timezone

    path = f"patients/{clinic.patient.pk}"
    response = api.patch(
        path,
        {
            "childbearing_potential": "no",
            "childbearing_potential_reason": "postmenopausal",
            "reliable_contraception": True,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["childbearing_potential"] == "no"
    assert body["childbearing_potential_reason"] == "postmenopausal"
    assert body["reliable_contraception"] is True
    assert body["reliable_contraception_on"] == timezone.localdate().isoformat()
    # A reason explains only a "no": setting "yes" clears it.
    body = api.patch(path, {"childbearing_potential": "yes"}).json()
    assert body["childbearing_potential_reason"] is None
    bad = api.patch(path, {"childbearing_potential_reason": "hysterectomy"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "childbearing_potential_reason"
    desk = clinic.api("reception").get(path).json()
    assert desk["childbearing_potential"] is None and desk["reliable_contraception"] is None


def test_medication_class_combined_hormonal_contraceptive_is_accepted(
    api: Any, clinic: Any
) -> None:
    response = api.post(
        f"patients/{clinic.patient.pk}/medications",
        {
            "name": "Ethinylestradiol/levonorgestrel",
            "drug_class": "combined_hormonal_contraceptive",
        },
    )
    assert response.status_code == 201, response.content
