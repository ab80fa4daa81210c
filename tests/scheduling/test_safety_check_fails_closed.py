"""The safety check before booking and check-in is a direct call: when the safety service
fails, the booking or check-in fails with it and changes nothing — it is never skipped."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services import hooks


class SafetyServiceDown(RuntimeError):
    pass


def failing_safety_service(*args: Any, **kwargs: Any) -> None:
    raise SafetyServiceDown("the safety service failed")


def test_a_failing_safety_service_fails_the_course_booking_and_books_nothing(
    sched: Any, h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = h.make_plan(sched)
    monkeypatch.setattr(hooks, "require_safe", failing_safety_service)
    r = sched.api("practitioner").post(
        f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0, 14, 28])}
    )
    assert r.status_code == 500
    assert r["Content-Type"] == "application/problem+json"
    assert not Appointment.objects.filter(plan=plan).exists()


def test_a_failing_safety_service_fails_the_check_in_and_leaves_the_appointment_booked(
    sched: Any, h: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = h.make_plan(sched)
    r = sched.api("practitioner").post(
        f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0, 14, 28])}
    )
    assert r.status_code == 201, r.content
    appointment = Appointment.objects.get(plan=plan, course_index=1)
    monkeypatch.setattr(hooks, "require_safe", failing_safety_service)
    with pytest.raises(SafetyServiceDown):
        appts.check_in(sched.actor(), appointment, reason="seen ahead of the booked day")
    appointment.refresh_from_db()
    assert appointment.status == "booked"
