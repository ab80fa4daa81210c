"""The whole clinic day in Chromium, one step after the other on the same data: each step's
browser part (from its own module) runs on what the previous steps made in the browser; only
the sessions' clock moves (a week passes before session 2)."""

from __future__ import annotations

from typing import Any

import test_e2e_allergy_block as step9
import test_e2e_booking as step3
import test_e2e_charting as step5
import test_e2e_checkin as step6
import test_e2e_intake as step1
import test_e2e_plan as step2
import test_e2e_precare as step4
import test_e2e_recall as step8
import test_e2e_review as step7
from e2e_day import Day

from mesocare.charting.models import TreatmentSession
from mesocare.scheduling.models import Appointment


def test_a_whole_clinic_day(e2e: Any, day: Day) -> None:
    day.ensure_protocol()
    day.patient = step1.run(e2e, day)  # reception: registration and intake
    day.plan = step2.run(e2e, day)  # practitioner: Hexsel, plan accepted, PDF
    rival = day.plan_for(day.new_patient("Luca", "Neri"))
    booked = step3.run(e2e, day, rival)  # reception: the course at lunchtime; a rival desk
    assert [a.pk for a in booked] == [a.pk for a in day.ensure_course()]
    confirmed = step4.run(e2e, day)  # the patient: pre-care on her phone
    assert confirmed.plan_id == day.plan.pk
    day.session = step5.run(e2e, day)  # check-in, tablet charting, lidocaine limit, signing
    step6.run(e2e, day)  # aftercare, the 24 h check-in, the dashboard
    step7.run(e2e, day)  # a week later: session 2, review, progress chart
    step8.run(e2e, day)  # the caffeine lot is recalled
    step9.run(e2e, day)  # a soy allergy and phosphatidylcholine
    assert (
        TreatmentSession.objects.filter(patient=day.patient, signed_at__isnull=False).count() == 2
    )
    assert Appointment.objects.filter(plan=day.plan, status="completed").count() == 2
    worst = max(e2e.log, key=lambda row: row[2])
    print(f"[day] {len(e2e.log)} requests; most queries: {worst[0]} ({worst[2]})")
