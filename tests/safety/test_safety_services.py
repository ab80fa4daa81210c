"""require_safe, check_plan and overrides through the service layer, plus the invariant
that adding an allergy or a condition never removes a block."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Product, Protocol
from mesocare.errors import Conflict, Forbidden, Invalid
from mesocare.patients.choices import ConditionCode
from mesocare.patients.models import Allergy, Condition
from mesocare.patients.services import records, registry
from mesocare.safety.models import SafetyCheck, SafetyOverride
from mesocare.safety.services import check_plan, require_safe, run_check

pytestmark = pytest.mark.django_db

ON = dt.date(2025, 3, 10)


def product(code: str) -> Product:
    return Product.objects.get(code=code, organization__isnull=True)


def make_pregnant(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(), clinic.patient, pregnancy_status="pregnant", pregnancy_status_on=ON
    )


def test_require_safe_returns_when_only_warnings(clinic: Any) -> None:
    result = require_safe(clinic.actor("reception"), clinic.patient, "booking", on=ON)
    assert not result.blocked
    assert result.report.warnings  # consent / pregnancy status unknown


def test_require_safe_raises_a_conflict_carrying_the_findings(clinic: Any) -> None:
    make_pregnant(clinic)
    with pytest.raises(Conflict) as raised:
        require_safe(clinic.actor("reception"), clinic.patient, "booking", on=ON)
    exc = raised.value
    assert exc.code == "safety_block"
    assert "pregnancy" in exc.message
    assert [f["code"] for f in exc.context["findings"] if f["severity"] == "block"] == ["pregnancy"]
    assert SafetyCheck.objects.filter(pk=exc.context["check"], blocked=True).exists()
    assert exc.context["overridable"] is True


def test_require_safe_with_a_reason_records_an_override(clinic: Any) -> None:
    make_pregnant(clinic)
    result = require_safe(
        clinic.actor("practitioner"),
        clinic.patient,
        "booking",
        on=ON,
        override_reason="Negative pregnancy test in clinic today",
    )
    assert result.override is not None
    assert result.override.codes == ["pregnancy"]
    assert AuditEvent.objects.filter(action="override", patient_id=clinic.patient.pk).count() == 1


def test_reception_cannot_override_through_require_safe(clinic: Any) -> None:
    make_pregnant(clinic)
    with pytest.raises(Forbidden):
        require_safe(
            clinic.actor("reception"),
            clinic.patient,
            "booking",
            on=ON,
            override_reason="Patient says she is not pregnant",
        )
    assert not SafetyOverride.objects.exists()


def test_a_short_reason_is_invalid(clinic: Any) -> None:
    make_pregnant(clinic)
    with pytest.raises(Invalid):
        require_safe(
            clinic.actor("practitioner"), clinic.patient, "booking", on=ON, override_reason="ok"
        )


def test_a_non_overridable_block_stops_even_with_a_reason(clinic: Any) -> None:
    lido = product("lidocaine_1pct")
    lot = type("Lot", (), {"pk": 1, "lot_number": "R1", "expiry": ON, "recalled": True})()
    with pytest.raises(Conflict) as raised:
        require_safe(
            clinic.actor("practitioner"),
            clinic.patient,
            "charting",
            on=ON,
            items=[(lido, lot, Decimal("1"))],
            override_reason="Long enough reason for a recalled lot",
        )
    assert raised.value.context["overridable"] is False
    assert not SafetyOverride.objects.exists()


def test_an_overridden_stored_check_lets_the_action_through(clinic: Any) -> None:
    from mesocare.safety.services import record_override

    make_pregnant(clinic)
    practitioner = clinic.actor("practitioner")
    first = run_check(practitioner, clinic.patient, "check_in", on=ON)
    record_override(practitioner, first.check, "Confirmed with the patient's obstetrician")
    result = require_safe(
        practitioner, clinic.patient, "check_in", on=ON, override_check=first.check.pk
    )
    assert result.override is not None
    # a new block the override did not cover still stops the action
    records.add_condition(clinic.actor(), clinic.patient, code="bleeding_disorder")
    with pytest.raises(Conflict):
        require_safe(practitioner, clinic.patient, "check_in", on=ON, override_check=first.check.pk)
    # and an override is for its own date
    with pytest.raises(Conflict):
        require_safe(
            practitioner,
            clinic.patient,
            "booking",
            on=ON + dt.timedelta(days=1),
            override_check=first.check.pk,
        )


def test_check_plan_checks_the_protocol_products_without_doses(clinic: Any) -> None:
    protocol = Protocol.objects.filter(
        organization__isnull=True, product_links__product__code="phosphatidylcholine_deoxycholate"
    ).first()
    assert protocol is not None
    records.add_allergy(clinic.actor(), clinic.patient, substance="soy")
    with pytest.raises(Conflict) as raised:
        check_plan(clinic.actor("practitioner"), clinic.patient, protocol, on=ON)
    codes = {f["code"] for f in raised.value.context["findings"]}
    assert "allergy_ingredient" in codes
    assert "lidocaine_dose" not in codes
    stored = SafetyCheck.objects.get(pk=raised.value.context["check"])
    assert stored.moment == "booking"
    assert stored.request["treatment"]["protocol_id"] == str(protocol.pk)


ALLERGENS = ["soy", "egg", "lidocaine", "procaine", "sulfite", "caffeine", "biotin", "latex"]
CONDITIONS = [c.value for c in ConditionCode]
PRODUCTS = ["phosphatidylcholine_deoxycholate", "lidocaine_1pct_epinephrine", "caffeine_20"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    allergies=st.lists(st.sampled_from(ALLERGENS), max_size=3),
    conditions=st.lists(st.sampled_from(CONDITIONS), max_size=3),
    extra=st.one_of(
        st.tuples(st.just("allergy"), st.sampled_from(ALLERGENS)),
        st.tuples(st.just("condition"), st.sampled_from(CONDITIONS)),
    ),
    moment=st.sampled_from(["booking", "check_in", "charting"]),
)
def test_adding_an_allergy_or_condition_never_removes_a_block(
    clinic: Any,
    allergies: list[str],
    conditions: list[str],
    extra: tuple[str, str],
    moment: str,
) -> None:
    Allergy.objects.filter(patient=clinic.patient).delete()
    Condition.objects.filter(patient=clinic.patient).delete()
    actor = clinic.actor()
    for substance in allergies:
        records.add_allergy(actor, clinic.patient, substance=substance)
    for code in conditions:
        records.add_condition(actor, clinic.patient, code=code)
    items = [(product(code), None, Decimal("1"), None, 1) for code in PRODUCTS]

    def blocks() -> set[tuple[str, str]]:
        report = run_check(actor, clinic.patient, moment, on=ON, items=items, store=False).report
        return {(f.code, f.message) for f in report.blocks}

    before = blocks()
    kind, value = extra
    if kind == "allergy":
        records.add_allergy(actor, clinic.patient, substance=value)
    else:
        records.add_condition(actor, clinic.patient, code=value)
    assert before <= blocks()
