"""Deoxycholate, teratogen, thrombosis and excipient findings through the API and the
services booking, check-in, charting and plan creation call, with the curated catalog."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from mesocare.assessments.models import Assessment
from mesocare.catalog.models import Product, Protocol
from mesocare.errors import Conflict
from mesocare.patients.services import records, registry
from mesocare.safety.services import check_plan, require_safe, run_check

pytestmark = pytest.mark.django_db

DAY = "2025-03-10"  # the clinic's patient (born 1990-05-17, female) is 34


def pid(code: str) -> int:
    return product(code).pk


def product(code: str) -> Product:
    return Product.objects.get(code=code, organization__isnull=True)


def protocol(code: str) -> Protocol:
    return Protocol.objects.get(code=code, organization__isnull=True)


def not_pregnant(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(),
        clinic.patient,
        pregnancy_status="not_pregnant",
        pregnancy_status_on=dt.date(2025, 3, 1),
    )
    records.add_consent(
        clinic.actor(), clinic.patient, kind="treatment", version="1", signed_on=dt.date(2025, 1, 2)
    )


def check(clinic: Any, role: str = "practitioner", **body: Any) -> dict[str, Any]:
    payload = {"patient": clinic.patient.pk, "moment": "booking", "date": DAY, **body}
    response = clinic.api(role).post("safety/check", payload)
    assert response.status_code == 200, response.content
    return response.json()


def found(body: dict[str, Any]) -> dict[str, tuple[str, bool]]:
    return {f["code"]: (f["severity"], f["overridable"]) for f in body["findings"]}


def test_ten_ml_of_pc_dc_at_0_25_ml_per_point_is_not_blocked(clinic: Any) -> None:
    not_pregnant(clinic)
    body = check(
        clinic,
        moment="charting",
        products=[
            {"product": pid("phosphatidylcholine_deoxycholate"), "volume_ml": "10", "points": 40}
        ],
    )
    assert not [f for f in body["findings"] if f["severity"] == "block"], body["findings"]


def test_sixty_ml_of_pc_dc_is_an_overridable_block(clinic: Any) -> None:
    not_pregnant(clinic)
    body = check(
        clinic,
        moment="charting",
        products=[{"product": pid("phosphatidylcholine_deoxycholate"), "volume_ml": "60"}],
    )
    assert found(body)["phosphatidylcholine_session_dose"] == ("block", True)
    assert "deoxycholic_session_dose" not in found(body)
    assert body["overridable"] is True


def test_compounded_pc_dc_is_capped_at_its_own_30_ml(clinic: Any) -> None:
    not_pregnant(clinic)
    code = "phosphatidylcholine_deoxycholate_compounded"
    body = check(clinic, moment="charting", products=[{"product": pid(code), "volume_ml": "31"}])
    assert found(body)["phosphatidylcholine_session_dose"] == ("block", True)


def test_dutasteride_for_a_woman_without_contraception_is_a_teratogen_block(clinic: Any) -> None:
    not_pregnant(clinic)
    body = check(clinic, products=[{"product": pid("dutasteride_0_05pct")}])
    assert found(body)["teratogen_contraception"] == ("block", True)
    registry.update_patient(clinic.actor(), clinic.patient, reliable_contraception=True)
    body = check(clinic, date=None, products=[{"product": pid("dutasteride_0_05pct")}])
    assert "teratogen_contraception" not in found(body)


def test_a_protocol_without_products_checks_the_protocols_products(clinic: Any) -> None:
    """Issue 14, finding 11: the stand-alone check gave an all-clear for a protocol alone."""
    not_pregnant(clinic)
    body = check(clinic, protocol=protocol("hair_female_dutasteride").pk)
    assert found(body)["teratogen_contraception"] == ("block", True)
    assert body["blocked"] is True


def test_tranexamic_acid_with_thromboembolic_history_warns(clinic: Any) -> None:
    not_pregnant(clinic)
    records.add_condition(clinic.actor(), clinic.patient, code="thromboembolic_history")
    body = check(clinic, products=[{"product": pid("tranexamic_acid_4")}])
    assert found(body)["thromboembolic_history"] == ("warn", True)


def test_tranexamic_acid_with_a_combined_pill_warns_and_reception_is_not_told_the_drug(
    clinic: Any,
) -> None:
    """Issue 14, finding 12: reception may not read medications."""
    not_pregnant(clinic)
    records.add_medication(
        clinic.actor(), clinic.patient, name="Yasmin", drug_class="combined_hormonal_contraceptive"
    )
    records.add_medication(
        clinic.actor(), clinic.patient, name="Warfarin", drug_class="anticoagulant"
    )
    line = [{"product": pid("tranexamic_acid_4")}]
    body = check(clinic, products=line)
    assert found(body)["tranexamic_hormonal_contraceptive"] == ("warn", True)
    desk = check(clinic, role="reception", products=line)
    assert found(desk)["tranexamic_hormonal_contraceptive"] == ("warn", True)
    for finding in desk["findings"]:
        text = str(finding).lower()
        for secret in ("contraceptive", "anticoagulant", "yasmin", "warfarin"):
            if finding["code"] not in {"anticoagulant", "tranexamic_hormonal_contraceptive"}:
                continue
            assert secret not in finding["message"].lower(), finding
            assert secret not in str(finding["context"]).lower(), text
        if finding["code"] in {"anticoagulant", "tranexamic_hormonal_contraceptive"}:
            assert "a recorded medication" in finding["message"]


@pytest.mark.parametrize(
    ("substance", "code"),
    [
        ("benzyl alcohol", "deoxycholic_acid_10"),
        ("benzyl alcohol", "phosphatidylcholine_deoxycholate"),
        ("aspirin", "organic_silicon"),
        ("sulfite", "lidocaine_1pct_epinephrine"),
        ("sulphite", "procaine_2pct"),
        ("ragweed", "artichoke_extract"),
    ],
)
def test_excipient_and_family_allergies_block(clinic: Any, substance: str, code: str) -> None:
    not_pregnant(clinic)
    records.add_allergy(clinic.actor(), clinic.patient, substance=substance)
    body = check(clinic, products=[{"product": pid(code), "volume_ml": "1"}])
    assert found(body)["allergy_ingredient"] == ("block", True)


def test_booking_check_in_and_charting_checks_block_on_the_new_rules(clinic: Any) -> None:
    not_pregnant(clinic)
    actor = clinic.actor()
    on = dt.date(2025, 3, 10)
    for moment in ("booking", "check_in"):
        with pytest.raises(Conflict) as exc:
            require_safe(
                actor, clinic.patient, moment, on=on, protocol=protocol("hair_female_dutasteride")
            )
        assert "teratogen_contraception" in {f["code"] for f in exc.value.context["findings"]}
    items = [(product("phosphatidylcholine_deoxycholate"), None, Decimal("60"))]
    with pytest.raises(Conflict) as exc:
        require_safe(actor, clinic.patient, "charting", on=on, items=items)
    assert exc.value.context["overridable"] is True
    result = require_safe(
        actor,
        clinic.patient,
        "charting",
        on=on,
        items=items,
        override_reason="large flank area, documented",
    )
    assert result.override is not None
    assert "phosphatidylcholine_session_dose" in result.report.codes


def test_plan_for_cr_smfrs_grade_4_warns_outside_the_label_population(clinic: Any) -> None:
    not_pregnant(clinic)
    actor = clinic.actor()
    baseline = Assessment.objects.create(
        organization_id=actor.org_id,
        patient=clinic.patient,
        scale_id="cr-smfrs",
        items={"grade": 4},
        total=Decimal(4),
        band="extreme",
        assessed_at=dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC),
        assessed_by=actor.user,
    )
    result = check_plan(
        actor,
        clinic.patient,
        protocol("submental_fat_deoxycholic_acid"),
        on=dt.date(2025, 3, 10),
        baseline=baseline,
    )
    [finding] = [f for f in result.findings if f["code"] == "outside_label_population"]
    assert finding["severity"] == "warn"
    body = check(
        clinic, protocol=protocol("submental_fat_deoxycholic_acid").pk, assessment=baseline.pk
    )
    assert found(body)["outside_label_population"] == ("warn", True)


def test_calendar_month_interval_on_31_january(clinic: Any) -> None:
    from mesocare.core.safety import PreviousSession

    not_pregnant(clinic)
    kybella = product("deoxycholic_acid_10")
    last = PreviousSession(dt.date(2025, 1, 31), product_ids=frozenset({str(kybella.pk)}))
    items = [(kybella, None, Decimal("2"))]
    early = run_check(
        clinic.actor(),
        clinic.patient,
        "charting",
        on=dt.date(2025, 2, 27),
        items=items,
        previous_sessions=[last],
    )
    assert "interval_too_short" in early.report.codes
    on_time = run_check(
        clinic.actor(),
        clinic.patient,
        "charting",
        on=dt.date(2025, 2, 28),
        items=items,
        previous_sessions=[last],
    )
    assert "interval_too_short" not in on_time.report.codes


def test_a_protocol_alone_is_checked_against_allergies_to_its_products(clinic: Any) -> None:
    """Issue 14, finding 11, with a rule that existed before: soy allergy and PC/DC."""
    not_pregnant(clinic)
    records.add_allergy(clinic.actor(), clinic.patient, substance="soy")
    body = check(clinic, protocol=protocol("localized_fat_body_pc_dc").pk)
    assert found(body)["allergy_ingredient"] == ("block", True)
