"""Facts built from real rows: allergies, pregnancy, weight, consents, products."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from mesocare.catalog.models import Product
from mesocare.errors import Invalid, NotFound
from mesocare.patients.services import records, registry
from mesocare.safety.facts import lot_facts, patient_facts, product_facts
from mesocare.safety.models import SafetyCheck
from mesocare.safety.services import run_check

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 10)


def product(code: str) -> Product:
    return Product.objects.get(code=code, organization__isnull=True)


def codes(result: Any, severity: str = "block") -> set[str]:
    return {f.code for f in result.report.findings if f.severity == severity}


def adult_not_pregnant(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(), clinic.patient, pregnancy_status="not_pregnant", pregnancy_status_on=ON
    )


def test_soy_allergy_blocks_the_phosphatidylcholine_product(clinic: Any) -> None:
    records.add_allergy(clinic.actor(), clinic.patient, substance="Soya")
    result = run_check(
        clinic.actor("practitioner"),
        clinic.patient,
        "booking",
        on=ON,
        items=[(product("phosphatidylcholine_deoxycholate"), None, Decimal("2"))],
    )
    assert "allergy_ingredient" in codes(result)
    finding = result.report.blocks[0]
    assert "soy" in finding.message and "Phosphatidylcholine" in finding.message


def test_soy_allergy_does_not_block_caffeine(clinic: Any) -> None:
    records.add_allergy(clinic.actor(), clinic.patient, substance="soy")
    result = run_check(
        clinic.actor(), clinic.patient, "booking", on=ON, items=[(product("caffeine_20"),)]
    )
    assert "allergy_ingredient" not in codes(result)


def test_amide_anaesthetic_allergy_blocks_lidocaine_one_percent(clinic: Any) -> None:
    records.add_allergy(clinic.actor(), clinic.patient, substance="amide local anaesthetic")
    result = run_check(
        clinic.actor(),
        clinic.patient,
        "booking",
        on=ON,
        items=[(product("lidocaine_1pct"), None, Decimal("1"))],
    )
    assert "allergy_ingredient" in codes(result)


def test_lidocaine_allergy_by_name_blocks_lidocaine_but_not_procaine(clinic: Any) -> None:
    records.add_allergy(clinic.actor(), clinic.patient, substance="lignocaine")
    lido = run_check(
        clinic.actor(), clinic.patient, "booking", on=ON, items=[(product("lidocaine_2pct"),)]
    )
    procaine = run_check(
        clinic.actor(), clinic.patient, "booking", on=ON, items=[(product("procaine_2pct"),)]
    )
    assert "allergy_ingredient" in codes(lido)
    assert "allergy_ingredient" not in codes(procaine)


def test_an_ended_allergy_no_longer_blocks(clinic: Any) -> None:
    allergy = records.add_allergy(clinic.actor(), clinic.patient, substance="soy")
    records.deactivate_record(clinic.actor(), allergy)
    facts = patient_facts(clinic.patient, ON)
    assert facts.allergies == ()


def test_unclassified_free_text_allergy_still_matches_an_ingredient_code(clinic: Any) -> None:
    records.add_allergy(clinic.actor(), clinic.patient, substance="Tranexamic acid")
    facts = patient_facts(clinic.patient, ON)
    assert "tranexamic_acid" in facts.allergies[0].substance_terms


def test_pregnant_patient_is_blocked(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(), clinic.patient, pregnancy_status="pregnant", pregnancy_status_on=ON
    )
    result = run_check(clinic.actor(), clinic.patient, "booking", on=ON)
    assert "pregnancy" in codes(result)
    assert result.check is not None and result.check.blocked


def test_weight_from_91_days_ago_is_missing_and_from_90_days_is_not(clinic: Any) -> None:
    adult_not_pregnant(clinic)
    records.record_weight(
        clinic.actor(), clinic.patient, kg=Decimal("60"), measured_on=ON - dt.timedelta(days=91)
    )
    items = [(product("lidocaine_1pct"), None, Decimal("5"))]
    stale = run_check(clinic.actor(), clinic.patient, "charting", on=ON, items=items)
    assert "weight_missing" in codes(stale)
    fresh = run_check(
        clinic.actor(), clinic.patient, "charting", on=ON - dt.timedelta(days=1), items=items
    )
    assert "weight_missing" not in codes(fresh) | codes(fresh, "warn")


def test_weight_recorded_after_the_treatment_date_is_not_used(clinic: Any) -> None:
    records.record_weight(
        clinic.actor(), clinic.patient, kg=Decimal("60"), measured_on=dt.date(2025, 3, 1)
    )
    assert patient_facts(clinic.patient, dt.date(2025, 2, 1)).weight_kg is None
    assert patient_facts(clinic.patient, ON).weight_kg == Decimal("60")


def test_lidocaine_dose_uses_the_recorded_weight(clinic: Any) -> None:
    adult_not_pregnant(clinic)
    records.record_weight(clinic.actor(), clinic.patient, kg=Decimal("50"), measured_on=ON)
    # 50 kg × 4.5 mg/kg = 225 mg; 25 mL of 1% = 250 mg
    result = run_check(
        clinic.actor(),
        clinic.patient,
        "charting",
        on=ON,
        items=[(product("lidocaine_1pct"), None, Decimal("25"))],
    )
    [finding] = [f for f in result.report.blocks if f.code == "lidocaine_dose"]
    assert finding.message.startswith("lidocaine 250 mg exceeds 225 mg (4.5 mg/kg × 50 kg")
    assert not finding.overridable


def test_withdrawn_consent_is_missing_at_check_in(clinic: Any) -> None:
    adult_not_pregnant(clinic)
    consent = records.add_consent(
        clinic.actor(), clinic.patient, kind="treatment", version="1", signed_on=dt.date(2025, 1, 1)
    )
    assert "consent_missing" not in codes(
        run_check(clinic.actor(), clinic.patient, "check_in", on=ON)
    )
    records.withdraw_consent(clinic.actor(), consent, on=dt.date(2025, 2, 1))
    result = run_check(clinic.actor(), clinic.patient, "check_in", on=ON)
    assert "consent_missing" in codes(result)
    assert "consent_missing" in codes(
        run_check(clinic.actor(), clinic.patient, "booking", on=ON), "warn"
    )


def test_medications_and_conditions_become_facts(clinic: Any) -> None:
    actor = clinic.actor()
    records.add_medication(actor, clinic.patient, name="Warfarin", drug_class="anticoagulant")
    records.add_condition(actor, clinic.patient, code="active_skin_infection", body_area="chin")
    facts = patient_facts(clinic.patient, ON)
    assert facts.medication_classes == frozenset({"anticoagulant"})
    assert facts.conditions[0].body_area == "chin"
    elsewhere = run_check(actor, clinic.patient, "booking", on=ON, body_areas=["abdomen_ll"])
    there = run_check(actor, clinic.patient, "booking", on=ON, body_areas=["chin"])
    assert "active_infection" not in codes(elsewhere)
    assert "active_infection" in codes(there)
    assert "anticoagulant" in codes(there, "warn")


def test_product_facts_map_incompatible_products_to_their_ingredient_codes(db: Any) -> None:
    pc = product_facts(product("phosphatidylcholine_deoxycholate"))
    assert {"lidocaine", "procaine", "deoxycholic_acid"} <= pc.incompatible_with
    assert pc.is_lipolytic
    assert pc.ingredient("phosphatidylcholine").allergen_families == frozenset({"soy", "egg"})
    lido = product_facts(product("lidocaine_1pct"))
    assert lido.ingredient("lidocaine").concentration_mg_per_ml == Decimal("10")
    assert product_facts(product("lidocaine_1pct_epinephrine")).has_epinephrine
    dca = product_facts(product("deoxycholic_acid_10"))
    assert dca.min_interval_months == 1


def test_lidocaine_and_phosphatidylcholine_in_one_syringe_warn(clinic: Any) -> None:
    items = [
        (product("phosphatidylcholine_deoxycholate"), None, Decimal("2"), None, 1),
        (product("lidocaine_1pct"), None, Decimal("0.5"), None, 1),
    ]
    result = run_check(clinic.actor(), clinic.patient, "booking", on=ON, items=items)
    assert "incompatible_mix" in codes(result, "warn")


def test_lots_are_duck_typed_and_expiry_is_checked(clinic: Any) -> None:
    lido = product("lidocaine_1pct")
    lot = SimpleNamespace(
        pk=7, product_id=lido.pk, lot_number="L7", expiry=ON - dt.timedelta(days=1), recalled=False
    )
    assert lot_facts(lot).id == "7"
    result = run_check(
        clinic.actor(), clinic.patient, "charting", on=ON, items=[(lido, lot, Decimal("1"))]
    )
    assert "lot_expired" in codes(result)
    wrong = SimpleNamespace(pk=8, product_id=-1, lot_number="X", expiry=ON, recalled=False)
    with pytest.raises(Invalid):
        run_check(clinic.actor(), clinic.patient, "charting", on=ON, items=[(lido, wrong, 1)])


def test_a_check_is_stored_with_its_request_and_findings(clinic: Any) -> None:
    result = run_check(
        clinic.actor("reception"), clinic.patient, "booking", on=ON, items=[(product("biotin_5"),)]
    )
    stored = SafetyCheck.objects.get(pk=result.check.pk)
    assert stored.request["on"] == ON.isoformat()
    assert stored.request["treatment"]["items"][0]["product"]["name"].startswith("Biotin")
    assert [f["code"] for f in stored.findings] == list(result.report.codes)


def test_an_auditor_cannot_run_a_stored_check(clinic: Any) -> None:
    from mesocare.errors import Forbidden

    with pytest.raises(Forbidden):
        run_check(clinic.actor("auditor"), clinic.patient, "booking", on=ON)


def test_a_patient_of_another_organization_is_not_found(clinic: Any, other_clinic: Any) -> None:
    with pytest.raises(NotFound):
        run_check(clinic.actor(), other_clinic.patient, "booking", on=ON)


def test_today_is_the_location_local_date(clinic: Any, settings: Any) -> None:
    from mesocare.safety.services import local_today

    clinic.location.timezone = "Pacific/Kiritimati"  # UTC+14
    clinic.location.save()
    from django.utils import timezone

    assert local_today(clinic.actor(), clinic.location) == timezone.localdate(
        timezone=clinic.location.tz
    )
    assert local_today(clinic.actor()) == timezone.localdate(timezone=clinic.location.tz)
