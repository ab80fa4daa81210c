"""Time off (blocks) over the API: create, list, delete; validation as problem+json; tenancy;
the scheduler honours a new block at once (availability, booking); appointments inside it are
named; every change is audited; reception may add time off, an auditor may not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Location, Room
from mesocare.scheduling.models import Appointment, Block

PROBLEM = "application/problem+json"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def block_body(sched: Any, h: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "practitioner": sched.members["practitioner"].pk,
        "start": h.iso(h.day(1), 10),
        "end": h.iso(h.day(1), 12),
        "reason": "Training",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def book(sched: Any, h: Any, api: Any, hour: int, room: Any = None, day: int = 1) -> int:
    r = api.post(
        "appointments",
        {
            "patient": sched.patient.pk,
            "practitioner": sched.members["practitioner"].pk,
            "room": (room or sched.room).pk,
            "start": h.iso(h.day(day), hour),
            "duration_min": 30,
        },
    )
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def slots(api: Any, sched: Any, **params: Any) -> list[dict[str, Any]]:
    r = api.get(
        "availability",
        location=sched.location.pk,
        date_from="2030-03-26",
        date_to="2030-03-26",
        duration_min=30,
        **params,
    )
    assert r.status_code == 200, r.content
    return list(r.json()["slots"])


def errors_of(r: Any) -> dict[str, str]:
    assert r["Content-Type"] == PROBLEM, r.content
    return {e["field"]: e["message"] for e in r.json()["errors"]}


def test_create_list_and_delete_a_block(sched: Any, h: Any, api: Any) -> None:
    r = api.post("blocks", block_body(sched, h))
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) == {
        "id",
        "practitioner",
        "room",
        "start",
        "end",
        "reason",
        "affected_appointments",
    }
    assert body["practitioner"] == sched.members["practitioner"].pk
    assert body["room"] is None
    assert parse(body["start"]) == h.at(h.day(1), 10)
    assert parse(body["end"]) == h.at(h.day(1), 12)
    assert body["reason"] == "Training"
    assert body["affected_appointments"] == []

    listed = api.get("blocks")
    assert listed.status_code == 200
    page = listed.json()
    assert page["count"] == 1 and page["limit"] == 50 and page["offset"] == 0
    assert page["items"][0] == {k: v for k, v in body.items() if k != "affected_appointments"}

    gone = api.delete(f"blocks/{body['id']}")
    assert gone.status_code == 204
    assert not Block.objects.filter(pk=body["id"]).exists()
    assert api.get("blocks").json()["count"] == 0
    assert api.delete(f"blocks/{body['id']}").status_code == 404


def test_a_room_block_and_a_block_of_both(sched: Any, h: Any, api: Any) -> None:
    r = api.post("blocks", block_body(sched, h, practitioner=None, room=sched.room.pk))
    assert r.status_code == 201, r.content
    assert r.json()["room"] == sched.room.pk and r.json()["practitioner"] is None
    both = api.post("blocks", block_body(sched, h, room=sched.body_room.pk))
    assert both.status_code == 201, both.content
    assert both.json()["room"] == sched.body_room.pk
    assert both.json()["practitioner"] == sched.members["practitioner"].pk


def test_the_list_filters_and_pages_with_bounded_queries(
    sched: Any, h: Any, api: Any, other_clinic: Any, django_assert_max_num_queries: Any
) -> None:
    practitioner = sched.members["practitioner"].pk
    for d in range(4):
        hour = block_body(sched, h, start=h.iso(h.day(d), 9), end=h.iso(h.day(d), 10))
        assert api.post("blocks", hour).status_code == 201
    room_block = api.post(
        "blocks", block_body(sched, h, practitioner=None, room=sched.room2.pk)
    ).json()["id"]
    api.get("blocks")  # warm the token's last-used stamp
    with django_assert_max_num_queries(5):
        r = api.get("blocks", location=sched.location.pk, limit=2)
    assert r.status_code == 200
    assert r.json()["count"] == 5 and len(r.json()["items"]) == 2
    starts = [parse(b["start"]) for b in r.json()["items"]]
    assert starts == [h.at(h.day(0), 9), h.at(h.day(1), 9)]
    assert api.get("blocks", offset=2, limit=1).json()["items"][0]["id"] == room_block
    assert api.get("blocks", room=sched.room2.pk).json()["count"] == 1
    assert api.get("blocks", practitioner=practitioner).json()["count"] == 4
    window = api.get(
        "blocks", start_from=h.iso(h.day(1), 9, 30), start_before=h.iso(h.day(3), 9)
    ).json()
    # still running at 09:30 on day 1 (day 1 09:00-10:00 and the room's 10:00-12:00), day 2
    assert window["count"] == 3
    # blocks of another location's rooms and of people who do not work here are left out
    elsewhere = Location.objects.create(
        organization=sched.org, name="Second", timezone="Europe/Rome"
    )
    far_room = Room.objects.create(
        organization=sched.org, location=elsewhere, name="Far", kind="body"
    )
    assert (
        api.post("blocks", block_body(sched, h, practitioner=None, room=far_room.pk)).status_code
        == 201
    )
    admin = block_body(sched, h, practitioner=sched.members["admin"].pk)
    assert api.post("blocks", admin).status_code == 201
    assert api.get("blocks").json()["count"] == 7
    assert api.get("blocks", location=sched.location.pk).json()["count"] == 5
    assert api.get("blocks", location=elsewhere.pk).json()["count"] == 1
    assert api.get("blocks", location=other_clinic.location.pk).status_code == 404
    naive = api.get("blocks", start_from="2030-03-26T09:00:00")
    assert naive.status_code == 422
    assert "start_from" in errors_of(naive)


def test_validation_errors_are_problem_json_with_field_names(sched: Any, h: Any, api: Any) -> None:
    missing = api.post("blocks", {"practitioner": sched.members["practitioner"].pk})
    assert missing.status_code == 422
    assert {"start", "end"} <= set(errors_of(missing))

    nobody = api.post("blocks", block_body(sched, h, practitioner=None))
    assert nobody.status_code == 422
    assert set(errors_of(nobody)) == {"practitioner"}

    backwards = api.post("blocks", block_body(sched, h, end=h.iso(h.day(1), 9)))
    assert backwards.status_code == 422
    assert set(errors_of(backwards)) == {"end"}

    too_long = api.post("blocks", block_body(sched, h, end=h.iso(h.day(368), 9)))
    assert too_long.status_code == 422
    assert "366" in errors_of(too_long)["end"]

    naive = api.post("blocks", block_body(sched, h, practitioner=None, start="2030-03-26T10:00:00"))
    assert naive.status_code == 422
    assert set(errors_of(naive)) == {"practitioner", "start"}  # every field error at once

    past = block_body(sched, h, start="2020-01-06T10:00:00+01:00", end="2020-01-06T12:00:00+01:00")
    over = api.post("blocks", past)
    assert over.status_code == 422
    assert set(errors_of(over)) == {"end"}

    reason = api.post("blocks", block_body(sched, h, reason="x" * 201))
    assert reason.status_code == 422
    assert set(errors_of(reason)) == {"reason"}

    receptionist = api.post(
        "blocks", block_body(sched, h, practitioner=sched.members["reception"].pk)
    )
    assert receptionist.status_code == 422
    assert set(errors_of(receptionist)) == {"practitioner"}
    assert Block.objects.count() == 0


def test_another_organizations_ids_are_404(sched: Any, h: Any, api: Any, other_clinic: Any) -> None:
    theirs = other_clinic.api("admin").post(
        "blocks",
        {
            "practitioner": other_clinic.members["practitioner"].pk,
            "start": h.iso(h.day(1), 10),
            "end": h.iso(h.day(1), 12),
        },
    )
    assert theirs.status_code == 201, theirs.content
    gone = api.delete(f"blocks/{theirs.json()['id']}")
    assert gone.status_code == 404 and gone["Content-Type"] == PROBLEM
    assert Block.objects.filter(pk=theirs.json()["id"]).exists()
    for field, pk in (
        ("practitioner", other_clinic.members["practitioner"].pk),
        ("room", other_clinic.room.pk),
    ):
        r = api.post("blocks", block_body(sched, h, **{field: pk}))
        assert r.status_code == 404 and r["Content-Type"] == PROBLEM, (field, r.content)
    assert api.get("blocks").json()["count"] == 0
    assert Block.objects.filter(organization=sched.org).count() == 0


def test_a_practitioner_block_removes_slots_and_makes_booking_a_409(
    sched: Any, h: Any, api: Any
) -> None:
    practitioner = sched.members["practitioner"].pk
    before = {parse(s["start"]) for s in slots(api, sched, practitioner=practitioner)}
    assert h.at(h.day(1), 10) in before and h.at(h.day(1), 11, 30) in before
    assert api.post("blocks", block_body(sched, h)).status_code == 201
    after = {parse(s["start"]) for s in slots(api, sched, practitioner=practitioner)}
    inside = {s for s in before if h.at(h.day(1), 9, 31) <= s < h.at(h.day(1), 12)}
    assert inside and not inside & after
    assert h.at(h.day(1), 9) in after and h.at(h.day(1), 12) in after

    r = api.post(
        "appointments",
        {
            "patient": sched.patient.pk,
            "practitioner": practitioner,
            "room": sched.room.pk,
            "start": h.iso(h.day(1), 11),
            "duration_min": 30,
        },
    )
    assert r.status_code == 409 and r["Content-Type"] == PROBLEM
    assert {c["reason"] for c in r.json()["conflicts"]} == {"practitioner_blocked"}
    assert Appointment.objects.count() == 0


def test_a_room_block_removes_the_room_from_slots_and_makes_booking_a_409(
    sched: Any, h: Any, api: Any
) -> None:
    def facial_in_block() -> list[dict[str, Any]]:
        return [
            s
            for s in slots(api, sched, room_kind="facial")
            if h.at(h.day(1), 10) <= parse(s["start"]) < h.at(h.day(1), 12)
        ]

    assert {s["room"] for s in facial_in_block()} >= {sched.room.pk}
    room_only = block_body(sched, h, practitioner=None, room=sched.room.pk, reason="Laser service")
    assert api.post("blocks", room_only).status_code == 201
    remaining = facial_in_block()
    assert remaining and sched.room.pk not in {s["room"] for s in remaining}
    other_room = block_body(sched, h, practitioner=None, room=sched.room2.pk)
    assert api.post("blocks", other_room).status_code == 201
    assert facial_in_block() == []  # both facial rooms are out of use

    r = api.post(
        "appointments",
        {
            "patient": sched.patient.pk,
            "practitioner": sched.members["practitioner"].pk,
            "room": sched.room.pk,
            "start": h.iso(h.day(1), 10, 30),
            "duration_min": 30,
        },
    )
    assert r.status_code == 409
    assert {c["reason"] for c in r.json()["conflicts"]} == {"room_blocked"}


def test_appointments_inside_a_new_block_are_returned_and_stay_booked(
    sched: Any, h: Any, api: Any
) -> None:
    inside = book(sched, h, api, 10)
    in_other_room = book(sched, h, api, 11, room=sched.room2)
    outside = book(sched, h, api, 15)
    cancelled = book(sched, h, api, 12)
    assert api.post(f"appointments/{cancelled}/cancel", {"reason": "ill"}).status_code == 200

    r = api.post("blocks", block_body(sched, h, start=h.iso(h.day(1), 9), end=h.iso(h.day(1), 13)))
    assert r.status_code == 201, r.content
    affected = r.json()["affected_appointments"]
    assert [a["id"] for a in affected] == [inside, in_other_room]
    assert affected[0]["patient"] == sched.patient.pk
    assert parse(affected[0]["start"]) == h.at(h.day(1), 10)
    assert parse(affected[0]["end"]) == h.at(h.day(1), 10, 30)
    assert set(affected[0]) == {"id", "start", "end", "patient"}
    assert Appointment.objects.get(pk=inside).status == "booked"
    assert outside not in [a["id"] for a in affected]

    room = api.post(
        "blocks",
        block_body(
            sched,
            h,
            practitioner=None,
            room=sched.room2.pk,
            start=h.iso(h.day(1), 8),
            end=h.iso(h.day(1), 20),
        ),
    )
    assert [a["id"] for a in room.json()["affected_appointments"]] == [in_other_room]


def test_creating_and_deleting_are_audited(sched: Any, h: Any, api: Any) -> None:
    inside = book(sched, h, api, 10)
    pk = api.post("blocks", block_body(sched, h)).json()["id"]
    created = AuditEvent.objects.get(object_type="scheduling.block", object_id=str(pk))
    assert created.action == "create" and created.channel == "api"
    assert created.organization_id == sched.org.pk
    assert created.actor == sched.user("admin")
    assert created.changes["affected_appointments"] == [inside]
    assert created.changes["reason"] == [None, "Training"]
    assert api.delete(f"blocks/{pk}").status_code == 204
    deleted = AuditEvent.objects.get(
        object_type="scheduling.block", object_id=str(pk), action="delete"
    )
    assert deleted.channel == "api"
    assert deleted.changes["reason"] == ["Training", None]
    # listing time off is not a read of patient data
    before = AuditEvent.objects.count()
    api.get("blocks")
    assert AuditEvent.objects.count() == before


def test_reception_adds_time_off_and_an_auditor_only_reads(sched: Any, h: Any) -> None:
    desk = sched.api("reception")
    r = desk.post("blocks", block_body(sched, h))
    assert r.status_code == 201, r.content
    auditor = sched.api("auditor")
    assert auditor.get("blocks").json()["count"] == 1
    refused = auditor.post("blocks", block_body(sched, h, start=h.iso(h.day(2), 10)))
    assert refused.status_code == 403 and refused["Content-Type"] == PROBLEM
    assert auditor.delete(f"blocks/{r.json()['id']}").status_code == 403
    assert Block.objects.count() == 1
    assert desk.delete(f"blocks/{r.json()['id']}").status_code == 204
