"""The scheduling API contracts: availability, proposals, course booking (201 / 409), single
appointments, tenancy and problem+json."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.scheduling.models import Appointment

PROBLEM = "application/problem+json"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def test_availability_lists_free_slots_inside_the_window(sched: Any, h: Any, api: Any) -> None:
    r = api.get(
        "availability",
        location=sched.location.pk,
        practitioner=sched.members["practitioner"].pk,
        date_from="2030-03-25",
        date_to="2030-03-25",
        duration_min=30,
        window="11:30-14:30",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    starts = [parse(s["start"]) for s in body["slots"]]
    assert starts[0] == h.at(h.day(0), 11, 30)
    assert starts[-1] == h.at(h.day(0), 14, 0)  # the lunch break 13-14 is not bookable
    assert h.at(h.day(0), 12, 45) not in starts  # would run into the break
    assert len(starts) == 14
    assert {s["practitioner"] for s in body["slots"]} == {sched.members["practitioner"].pk}
    assert body["timezone"] == "Europe/Rome"


def test_availability_rejects_a_malformed_window_as_problem_json(sched: Any, api: Any) -> None:
    r = api.get(
        "availability",
        location=sched.location.pk,
        date_from="2030-03-25",
        date_to="2030-03-25",
        duration_min=30,
        window="lunchtime",
    )
    assert r.status_code == 422
    assert r["Content-Type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "window"


def test_course_proposals_return_the_optimal_course_and_alternatives(
    sched: Any, plan: Any, h: Any, api: Any
) -> None:
    r = api.post(
        f"plans/{plan.pk}/course-proposals",
        {
            "location": sched.location.pk,
            "earliest": "2030-03-25",
            "window": {"start": "11:30", "end": "14:30"},
            "alternatives": 2,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    best = body["proposals"][0]
    assert best["deviation_days"] == 0
    assert [parse(s["start"]) for s in best["sessions"]] == [
        h.at(h.day(d), 11, 30) for d in (0, 7, 14, 21)
    ]
    assert [s["index"] for s in best["sessions"]] == [1, 2, 3, 4]
    assert {s["practitioner"] for s in best["sessions"]} == {sched.members["practitioner"].pk}
    assert {s["room"] for s in best["sessions"]} <= {sched.room.pk, sched.room2.pk}
    assert parse(best["finish"]) == h.at(h.day(21), 12, 0)
    assert 1 <= len(body["proposals"]) <= 3
    assert "infeasible_reason" not in body or body["infeasible_reason"] is None


def test_course_proposals_explain_why_nothing_fits(sched: Any, h: Any, api: Any) -> None:
    plan = h.make_plan(sched, room_kind="body", session_duration_min=300)
    r = api.post(
        f"plans/{plan.pk}/course-proposals",
        {"location": sched.location.pk, "earliest": "2030-03-25"},
    )
    assert r.status_code == 200
    assert r.json()["proposals"] == []
    assert r.json()["infeasible_reason"] == "no_availability"


def test_booking_a_proposal_across_the_dst_change_stores_utc_and_shows_local_time(
    sched: Any, plan: Any, h: Any, api: Any
) -> None:
    r = api.post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0, 7, 14, 21])})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["plan_status"] == "active"
    first, second = body["appointments"][:2]
    assert first["local_start"] == "2030-03-25T12:00:00+01:00"
    assert second["local_start"] == "2030-04-01T12:00:00+02:00"
    stored = list(Appointment.objects.order_by("start").values_list("start", flat=True))
    assert stored[0] == dt.datetime(2030, 3, 25, 11, 0, tzinfo=dt.UTC)
    assert stored[1] == dt.datetime(2030, 4, 1, 10, 0, tzinfo=dt.UTC)


def test_a_conflicting_course_is_a_409_naming_the_session_and_books_nothing(
    sched: Any, plan: Any, h: Any, api: Any
) -> None:
    other = h.make_plan(sched)
    assert api.post(f"plans/{other.pk}/book", {"sessions": h.course(sched, [2])}).status_code == 201
    r = api.post(
        f"plans/{plan.pk}/book",
        {
            "sessions": h.course(sched, [0, 7, 14, 21])[:1]
            + [
                {**s, "start": h.iso(h.day(2), 12, 15)} if s["index"] == 2 else s
                for s in h.course(sched, [0, 7, 14, 21])[1:]
            ]
        },
    )
    assert r.status_code == 409
    assert r["Content-Type"] == PROBLEM
    body = r.json()
    assert body["code"] == "booking_conflict"
    reasons = {(c["index"], c["reason"]) for c in body["conflicts"]}
    assert (2, "practitioner_busy") in reasons
    assert (2, "patient_busy") in reasons
    assert Appointment.objects.filter(plan=plan).count() == 0


def test_book_rejects_malformed_sessions_as_problem_json(sched: Any, plan: Any, api: Any) -> None:
    r = api.post(f"plans/{plan.pk}/book", {"sessions": [{"index": 0, "start": "soon"}]})
    assert r.status_code == 422
    assert r["Content-Type"] == PROBLEM


def test_another_organizations_plan_and_appointment_are_404(
    sched: Any, plan: Any, h: Any, api: Any, other_clinic: Any
) -> None:
    h.open_hours(other_clinic)
    their_plan = h.make_plan(other_clinic)
    their_api = other_clinic.api("admin")
    booked = their_api.post(
        f"plans/{their_plan.pk}/book",
        {
            "sessions": [
                {
                    "index": 1,
                    "start": h.iso(h.day(0), 12),
                    "practitioner": other_clinic.members["practitioner"].pk,
                    "room": other_clinic.room.pk,
                }
            ]
        },
    )
    assert booked.status_code == 201, booked.content
    theirs = booked.json()["appointments"][0]["id"]
    body = {"location": sched.location.pk, "earliest": "2030-03-25"}
    assert api.post(f"plans/{their_plan.pk}/course-proposals", body).status_code == 404
    assert (
        api.post(f"plans/{their_plan.pk}/book", {"sessions": h.course(sched, [0])}).status_code
        == 404
    )
    assert api.get(f"appointments/{theirs}").status_code == 404
    assert api.patch(f"appointments/{theirs}", {"start": h.iso(h.day(1), 12)}).status_code == 404
    assert api.post(f"appointments/{theirs}/cancel", {"reason": "x"}).status_code == 404
    assert api.get("appointments").json()["count"] == 0
    # booking with their practitioner or room in our plan is 404 too
    sessions = [{**h.course(sched, [0])[0], "room": other_clinic.room.pk}]
    assert api.post(f"plans/{plan.pk}/book", {"sessions": sessions}).status_code == 404


def test_single_appointment_lifecycle(sched: Any, h: Any, api: Any) -> None:
    r = api.post(
        "appointments",
        {
            "patient": sched.patient.pk,
            "practitioner": sched.members["practitioner"].pk,
            "room": sched.room.pk,
            "start": h.iso(h.day(1), 10),
            "duration_min": 20,
        },
    )
    assert r.status_code == 201, r.content
    appointment = r.json()
    assert appointment["status"] == "booked"
    pk = appointment["id"]
    moved = api.patch(f"appointments/{pk}", {"start": h.iso(h.day(1), 15), "notes": "late"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["local_start"] == "2030-03-26T15:00:00+01:00"
    assert moved.json()["notes"] == "late"
    assert api.post(f"appointments/{pk}/no-show").status_code == 409  # it has not started
    # Tomorrow's appointment is checked in today only with a reason (issue 18, bug 8).
    early = "The patient came a day early."
    assert api.post(f"appointments/{pk}/check-in").json()["errors"][0]["field"] == "reason"
    # the safety check runs at check-in
    blocked = api.post(f"appointments/{pk}/check-in", {"reason": early})
    assert blocked.status_code == 409
    assert blocked.json()["code"] == "safety_block"
    assert Appointment.objects.get(pk=pk).status == "booked"
    checked = api.post(
        f"appointments/{pk}/check-in",
        {"override_reason": "Pregnancy test negative today.", "reason": early},
    )
    assert checked.status_code == 200, checked.content
    assert checked.json()["status"] == "checked_in"
    assert api.post(f"appointments/{pk}/check-in").status_code == 409
    assert api.post(f"appointments/{pk}/complete").json()["status"] == "completed"
    assert api.post(f"appointments/{pk}/cancel", {"reason": "x"}).status_code == 409


def test_moving_into_a_taken_slot_is_a_409_and_leaves_the_appointment(
    sched: Any, h: Any, api: Any
) -> None:
    def book(hour: int, room: Any) -> int:
        other = sched.patient.__class__.objects.create(
            organization=sched.org,
            given_name="P",
            family_name=str(hour),
            birth_date="1980-01-01",
            sex_at_birth="male",
        )
        r = api.post(
            "appointments",
            {
                "patient": other.pk,
                "practitioner": sched.members["practitioner"].pk,
                "room": room.pk,
                "start": h.iso(h.day(1), hour),
                "duration_min": 30,
            },
        )
        assert r.status_code == 201, r.content
        return int(r.json()["id"])

    first, _second = book(10, sched.room), book(11, sched.room2)
    r = api.patch(f"appointments/{first}", {"start": h.iso(h.day(1), 11, 15)})
    assert r.status_code == 409
    assert {c["reason"] for c in r.json()["conflicts"]} == {"practitioner_busy"}
    assert Appointment.objects.get(pk=first).start == h.at(h.day(1), 10)


def test_listing_appointments_filters_and_keeps_queries_bounded(
    sched: Any, plan: Any, h: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    api.post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0, 7, 14, 21])})
    api.get("appointments")  # warm the token's last-used stamp
    with django_assert_max_num_queries(8):
        r = api.get(
            "appointments", date_from="2030-03-25", date_to="2030-04-01", location=sched.location.pk
        )
    assert r.status_code == 200
    assert r.json()["count"] == 2
    assert [a["course_index"] for a in r.json()["items"]] == [1, 2]
    assert api.get("appointments", status="cancelled").json()["count"] == 0
    assert api.get("appointments", patient=sched.patient.pk, limit=1).json()["count"] == 4
    assert len(api.get("appointments", patient=sched.patient.pk, limit=1).json()["items"]) == 1
    assert api.get("appointments", room=sched.body_room.pk).json()["count"] == 0


def test_an_auditor_reads_but_cannot_book(sched: Any, plan: Any, h: Any) -> None:
    auditor = sched.api("auditor")
    assert auditor.get("appointments").status_code == 200
    r = auditor.post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0])})
    assert r.status_code == 403
