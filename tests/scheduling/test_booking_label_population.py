"""Booking and check-in judge the label population from the plan's baseline assessment, as
plan creation does: a deoxycholic acid plan for CR-SMFRS grade 1 (below the labelled
moderate-to-severe population) carries the `outside_label_population` warning there too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from mesocare.assessments.models import Assessment
from mesocare.catalog.models import Protocol
from mesocare.patients.services import records, registry
from mesocare.plans.services.creation import create_plan
from mesocare.safety.models import SafetyCheck
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts

FIRST = dt.date(2031, 1, 31)
DCA = "submental_fat_deoxycholic_acid"


def grade_1_plan(clinic: Any) -> Any:
    actor = clinic.actor()
    registry.update_patient(
        actor, clinic.patient, pregnancy_status="not_pregnant", pregnancy_status_on=FIRST
    )
    records.add_consent(
        actor, clinic.patient, kind="treatment", version="1", signed_on=dt.date(2026, 1, 2)
    )
    baseline = Assessment.objects.create(
        organization_id=actor.org_id,
        patient=clinic.patient,
        scale_id="cr-smfrs",
        items={"grade": 1},
        total=Decimal(1),
        band="mild",
        assessed_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
        assessed_by=actor.user,
    )
    protocol = Protocol.objects.get(
        organization__isnull=True, code="submental_fat_deoxycholic_acid"
    )
    return create_plan(actor, clinic.patient, protocol=protocol, baseline=baseline, start_on=FIRST)


def codes(check: SafetyCheck) -> dict[str, str]:
    return {f["code"]: f["severity"] for f in check.findings}


def test_booking_a_grade_1_plan_carries_the_outside_label_population_warning(
    sched: Any, h: Any
) -> None:
    plan = grade_1_plan(sched)
    before = set(SafetyCheck.objects.values_list("pk", flat=True))
    session = {
        "index": 1,
        "start": h.iso(FIRST, 12),
        "practitioner": sched.members["practitioner"].pk,
        "room": sched.room.pk,
    }
    r = sched.api("practitioner").post(f"plans/{plan.pk}/book", {"sessions": [session]})
    assert r.status_code == 201, r.content  # a warning does not refuse the booking
    [check] = SafetyCheck.objects.exclude(pk__in=before)
    assert check.moment == "booking" and check.on == FIRST
    assert codes(check)["outside_label_population"] == "warn"


def test_checking_in_a_grade_1_plan_carries_the_outside_label_population_warning(
    sched: Any, h: Any
) -> None:
    plan = grade_1_plan(sched)
    sched.api("practitioner").post(
        f"plans/{plan.pk}/book",
        {
            "sessions": [
                {
                    "index": 1,
                    "start": h.iso(FIRST, 12),
                    "practitioner": sched.members["practitioner"].pk,
                    "room": sched.room.pk,
                }
            ]
        },
    )
    appointment = Appointment.objects.get(plan=plan, course_index=1)
    # The consent on file is years old by then: that block is overridden, the warning stays.
    appts.check_in(
        sched.actor(),
        appointment,
        override_reason="consent renewed on paper today",
        reason="seen ahead of the booked day",
    )
    check = SafetyCheck.objects.filter(moment="check_in").latest("pk")
    assert codes(check)["outside_label_population"] == "warn"
