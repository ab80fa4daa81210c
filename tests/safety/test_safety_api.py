"""The safety API end to end: checks, overrides, the overrides report and rule settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Product
from mesocare.patients.services import records, registry
from mesocare.safety.models import SafetyCheck, SafetyOverride, SafetyRuleSetting

pytestmark = pytest.mark.django_db

DAY = "2025-03-10"


def pid(code: str) -> int:
    return Product.objects.get(code=code, organization__isnull=True).pk


def pregnant(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(),
        clinic.patient,
        pregnancy_status="pregnant",
        pregnancy_status_on=dt.date(2025, 3, 1),
    )


def not_pregnant(clinic: Any) -> None:
    """A patient with no risk facts: pregnancy excluded recently, treatment consent signed."""
    registry.update_patient(
        clinic.actor(),
        clinic.patient,
        pregnancy_status="not_pregnant",
        pregnancy_status_on=dt.date(2025, 3, 1),
    )
    records.add_consent(
        clinic.actor(), clinic.patient, kind="treatment", version="1", signed_on=dt.date(2025, 1, 2)
    )


def check(clinic: Any, role: str = "practitioner", **body: Any) -> Any:
    payload = {"patient": clinic.patient.pk, "moment": "booking", "date": DAY, **body}
    return clinic.api(role).post("safety/check", payload)


def test_a_safe_check_is_not_blocked(clinic: Any) -> None:
    not_pregnant(clinic)
    response = check(clinic, products=[{"product": pid("biotin_5"), "volume_ml": "2"}])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["blocked"] is False
    assert body["findings"] == []
    assert SafetyCheck.objects.filter(pk=body["check"], blocked=False).exists()


def test_a_pregnant_patient_check_is_blocked_with_rule_and_source(clinic: Any) -> None:
    pregnant(clinic)
    body = check(clinic, role="reception").json()
    assert body["blocked"] is True
    [finding] = [f for f in body["findings"] if f["code"] == "pregnancy"]
    assert finding["severity"] == "block"
    assert finding["rule"] == "Pregnancy"
    assert "IJDVL" in finding["source"]
    assert finding["overridable"] is True


def test_lidocaine_overdose_message_states_the_arithmetic(clinic: Any) -> None:
    not_pregnant(clinic)
    records.record_weight(clinic.actor(), clinic.patient, kg=50, measured_on=dt.date(2025, 3, 1))
    body = check(
        clinic,
        moment="charting",
        products=[{"product": pid("lidocaine_1pct"), "volume_ml": "25"}],
    ).json()
    [finding] = [f for f in body["findings"] if f["code"] == "lidocaine_dose"]
    assert finding["message"].startswith("lidocaine 250 mg exceeds 225 mg (4.5 mg/kg × 50 kg")
    assert finding["context"]["total_mg"] == "250.00"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"product": 999999, "volume_ml": "1"}, "products.0.product"),
        ({"product": "LIDO", "volume_ml": "1"}, "products.0.product"),
        ({"volume_ml": "-1"}, "products.0.volume_ml"),
        ({"volume_ml": "abc"}, "products.0.volume_ml"),
        ({"lot": 999999, "volume_ml": "1"}, "products.0.lot"),
    ],
)
def test_bad_references_and_volumes_are_422_with_field_errors(
    clinic: Any, line: dict[str, Any], field: str
) -> None:
    line = {"product": pid("lidocaine_1pct"), **line}
    response = check(clinic, products=[line])
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not SafetyCheck.objects.exists()


def test_unknown_protocol_and_moment_are_422(clinic: Any) -> None:
    assert check(clinic, protocol=999999).status_code == 422
    response = check(clinic, moment="later")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "moment"


def test_another_organizations_product_is_422(clinic: Any, other_clinic: Any) -> None:
    theirs = Product.objects.create(organization=other_clinic.org, code="theirs", name="Theirs")
    response = check(clinic, products=[{"product": theirs.pk, "volume_ml": "1"}])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "products.0.product"


def test_another_organizations_patient_is_404(clinic: Any, other_clinic: Any) -> None:
    response = clinic.api("practitioner").post(
        "safety/check", {"patient": other_clinic.patient.pk, "moment": "booking"}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_practitioner_override_is_recorded_and_audited(clinic: Any) -> None:
    pregnant(clinic)
    check_id = check(clinic).json()["check"]
    response = clinic.api("practitioner").post(
        f"safety/checks/{check_id}/override", {"reason": "Confirmed not pregnant by test today"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["codes"] == ["pregnancy"]
    assert body["role"] == "practitioner"
    assert body["findings"][0]["code"] == "pregnancy"
    override = SafetyOverride.objects.get(pk=body["id"])
    event = AuditEvent.objects.get(action="override", object_id=str(override.pk))
    assert event.patient_id == clinic.patient.pk
    assert event.reason == "Confirmed not pregnant by test today"
    assert event.actor == clinic.user("practitioner")


def test_reception_may_not_override(clinic: Any) -> None:
    pregnant(clinic)
    check_id = check(clinic, role="reception").json()["check"]
    response = clinic.api("reception").post(
        f"safety/checks/{check_id}/override", {"reason": "Patient insists on treatment"}
    )
    assert response.status_code == 403
    assert not SafetyOverride.objects.exists()


def test_override_needs_a_ten_character_reason(clinic: Any) -> None:
    pregnant(clinic)
    check_id = check(clinic).json()["check"]
    response = clinic.api("practitioner").post(
        f"safety/checks/{check_id}/override", {"reason": "  too short "}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"


def test_non_overridable_blocks_cannot_be_overridden(clinic: Any) -> None:
    not_pregnant(clinic)
    records.record_weight(clinic.actor(), clinic.patient, kg=50, measured_on=dt.date(2025, 3, 1))
    check_id = check(
        clinic, products=[{"product": pid("lidocaine_1pct"), "volume_ml": "40"}]
    ).json()["check"]
    response = clinic.api("practitioner").post(
        f"safety/checks/{check_id}/override", {"reason": "I know what I am doing here"}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "not_overridable"


def test_a_clear_check_has_nothing_to_override(clinic: Any) -> None:
    not_pregnant(clinic)
    check_id = check(clinic).json()["check"]
    response = clinic.api("admin").post(
        f"safety/checks/{check_id}/override", {"reason": "Nothing to override here"}
    )
    assert response.status_code == 409


def test_another_organizations_check_cannot_be_overridden(clinic: Any, other_clinic: Any) -> None:
    pregnant(other_clinic)
    their_check = check(other_clinic).json()["check"]
    response = clinic.api("practitioner").post(
        f"safety/checks/{their_check}/override", {"reason": "Reaching into another clinic"}
    )
    assert response.status_code == 404
    assert clinic.api("practitioner").get(f"safety/checks/{their_check}").status_code == 404


def test_a_stored_check_can_be_read_back(clinic: Any) -> None:
    pregnant(clinic)
    check_id = check(clinic).json()["check"]
    body = clinic.api("auditor").get(f"safety/checks/{check_id}").json()
    assert body["blocked"] is True and body["date"] == DAY


def test_the_overrides_report_lists_overrides_for_admins_and_auditors(
    clinic: Any, other_clinic: Any, django_assert_max_num_queries: Any
) -> None:
    pregnant(clinic)
    for n in range(3):
        check_id = check(clinic).json()["check"]
        clinic.api("practitioner").post(
            f"safety/checks/{check_id}/override", {"reason": f"Reason number {n} is long enough"}
        )
    pregnant(other_clinic)
    theirs = check(other_clinic).json()["check"]
    other_clinic.api("practitioner").post(
        f"safety/checks/{theirs}/override", {"reason": "Their own override reason"}
    )
    auditor = clinic.api("auditor")
    with django_assert_max_num_queries(8):
        response = auditor.get("safety/overrides")
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["reason"] for i in items] == [f"Reason number {n} is long enough" for n in (2, 1, 0)]
    assert items[0]["patient_name"] == "Giulia Rossi"
    page = clinic.api("admin").get("safety/overrides", limit=2).json()
    assert len(page["items"]) == 2 and page["next_offset"] == 2
    assert clinic.api("practitioner").get("safety/overrides").status_code == 403
    assert clinic.api("reception").get("safety/overrides").status_code == 403


def test_rules_list_the_registry_with_clinic_settings(api: Any) -> None:
    rules = {r["code"]: r for r in api.get("safety/rules").json()}
    assert len(rules) == 26  # with allergies_not_recorded
    assert rules["lidocaine_dose"]["non_negotiable"] is True
    assert rules["keloid_history"]["default_severity"] == "warn"
    assert rules["keloid_history"]["clinic_severity"] is None
    assert rules["consent_missing"]["block_at"] == ["charting", "check_in"]


def test_an_admin_tightens_a_warning_into_a_block(clinic: Any, api: Any) -> None:
    records.add_condition(clinic.actor(), clinic.patient, code="keloid_scarring")
    before = check(clinic).json()
    assert any(
        f["code"] == "keloid_history" and f["severity"] == "warn" for f in before["findings"]
    )
    response = api.put("safety/rules/keloid_history", {"severity": "block"})
    assert response.status_code == 200, response.content
    assert response.json()["clinic_severity"] == "block"
    after = check(clinic).json()
    assert after["blocked"] is True
    assert any(
        f["code"] == "keloid_history" and f["severity"] == "block" for f in after["findings"]
    )
    assert AuditEvent.objects.filter(object_type="safety.safetyrulesetting").exists()
    # undo: back to the default
    assert api.put("safety/rules/keloid_history", {"severity": "warn"}).status_code == 200
    assert not SafetyRuleSetting.objects.exists()


def test_loosening_a_default_block_is_refused(api: Any) -> None:
    for code in ("pregnancy", "lidocaine_dose", "consent_missing"):
        response = api.put(f"safety/rules/{code}", {"severity": "warn"})
        assert response.status_code == 422, code
        assert response.json()["code"] == "rule_not_loosenable"
    assert api.put("safety/rules/nonsense", {"severity": "block"}).status_code == 404
    assert api.put("safety/rules/pregnancy", {"severity": "never"}).status_code == 422


def test_only_admins_change_rules(clinic: Any) -> None:
    response = clinic.api("practitioner").put("safety/rules/keloid_history", {"severity": "block"})
    assert response.status_code == 403
    assert clinic.api("reception").get("safety/rules").status_code == 200


def test_tightening_is_per_organization(clinic: Any, other_clinic: Any) -> None:
    clinic.api("admin").put("safety/rules/autoimmune", {"severity": "block"})
    rules = {r["code"]: r for r in other_clinic.api("admin").get("safety/rules").json()}
    assert rules["autoimmune"]["clinic_severity"] is None
