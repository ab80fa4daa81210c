"""Charting over the API: sessions, injections with stock and safety, signing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Protocol
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.scheduling.models import Appointment

PROBLEM = "application/problem+json"


def on_hand(lot: ProductLot) -> Decimal:
    lot.refresh_from_db()
    return lot.on_hand_ml


def test_a_walk_in_session_opens_with_zero_totals(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    response = api.post(
        "sessions", {"patient": chart.clinic.patient.pk, "location": chart.clinic.location.pk}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["signed_at"] is None and body["injections"] == []
    assert Decimal(body["totals"]["lidocaine_limit_mg"]) == 270


def test_charting_an_injection_deducts_its_lot_in_the_same_transaction(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    response = api.post(f"sessions/{session.pk}/injections", chart.injection(chart.caffeine, "4"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["n"] == 1 and body["components"][0]["lot_number"] == "CAF-1"
    assert Decimal(body["session_totals"]["total_volume_ml"]) == 4
    assert on_hand(chart.caffeine) == 46
    use = StockMovement.objects.get(kind="use")
    assert use.quantity_ml == -4 and use.injection_component_id == body["components"][0]["id"]


def test_session_totals_drive_the_lidocaine_block_across_records(chart: Any) -> None:
    """3 × 10 mL of lidocaine 1% on a 60 kg patient: 100, 200 mg pass; 300 mg > 270 mg
    (4.5 mg/kg × 60 kg, US label; docs/clinical-sources.md, Dose rules) blocks the third."""
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}/injections"
    for _ in range(2):
        assert api.post(path, chart.injection(chart.lidocaine, "10")).status_code == 201
    response = api.post(path, chart.injection(chart.lidocaine, "10"))
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "safety_block"
    finding = next(f for f in body["findings"] if f["code"] == "lidocaine_dose")
    assert "300 mg exceeds 270 mg" in finding["message"]
    assert on_hand(chart.lidocaine) == 80
    detail = api.get(f"sessions/{session.pk}").json()
    assert Decimal(detail["totals"]["lidocaine_mg"]) == 200
    assert len(detail["injections"]) == 2


def test_using_more_than_on_hand_is_409_and_charts_nothing(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    response = api.post(f"sessions/{session.pk}/injections", chart.injection(chart.dca, "21"))
    assert response.status_code == 409
    assert response.json()["code"] in ("insufficient_stock", "safety_block")
    small = ProductLot.objects.get(pk=chart.caffeine.pk)
    response = api.post(f"sessions/{session.pk}/injections", chart.injection(small, "51"))
    assert response.status_code == 409 and response.json()["code"] == "insufficient_stock"
    assert on_hand(chart.caffeine) == 50
    assert api.get(f"sessions/{session.pk}").json()["injections"] == []


@pytest.mark.parametrize("problem", ["expired", "recalled"])
def test_expired_and_recalled_lots_are_safety_blocks(chart: Any, problem: str) -> None:
    api = chart.clinic.api("practitioner")
    lot = chart.expired
    if problem == "recalled":
        lot = chart.caffeine
        assert api.post(f"lots/{lot.pk}/recall", {"reason": "supplier notice"}).status_code == 200
    session = chart.session()
    body = chart.injection(lot, "1", override_reason="the patient insists very much")
    response = api.post(f"sessions/{session.pk}/injections", body)
    assert response.status_code == 409
    assert f"lot_{problem}" in [f["code"] for f in response.json()["findings"]]


def test_deleting_an_unsigned_injection_puts_the_stock_back(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    api.post(f"sessions/{session.pk}/injections", chart.injection(chart.caffeine, "3"))
    second = api.post(f"sessions/{session.pk}/injections", chart.injection(chart.caffeine, "2"))
    assert second.json()["n"] == 2
    assert api.delete(f"sessions/{session.pk}/injections/1").status_code == 204
    assert on_hand(chart.caffeine) == 48
    assert api.delete(f"sessions/{session.pk}/injections/1").status_code == 404
    third = api.post(f"sessions/{session.pk}/injections", chart.injection(chart.caffeine, "1"))
    assert third.json()["n"] == 3
    kinds = list(
        StockMovement.objects.filter(lot=chart.caffeine).values_list("quantity_ml", flat=True)
    )
    assert sum(kinds) == on_hand(chart.caffeine) == 47


def test_values_outside_the_protocol_need_a_reason(chart: Any) -> None:
    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    session = chart.session(protocol=protocol)
    api = chart.clinic.api("practitioner")
    path = f"sessions/{session.pk}/injections"
    deep = chart.injection(chart.caffeine, "1", depth_mm="6")
    response = api.post(path, deep)
    assert response.status_code == 422
    assert response.json()["code"] == "out_of_range"
    assert [e["field"] for e in response.json()["errors"]] == ["depth_mm"]
    deep["out_of_range_reason"] = "thick subcutaneous layer"
    response = api.post(path, deep)
    assert response.status_code == 201, response.content
    assert response.json()["out_of_range_reason"] == "thick subcutaneous layer"


def test_components_must_add_up_to_the_injected_volume(chart: Any) -> None:
    session = chart.session()
    body = chart.injection(chart.caffeine, "2", total_volume_ml="3")
    response = chart.clinic.api("practitioner").post(f"sessions/{session.pk}/injections", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "total_volume_ml"


def test_unknown_zone_is_a_field_error(chart: Any) -> None:
    session = chart.session()
    body = chart.injection(chart.caffeine, "1", zone="elbow_z")
    response = chart.clinic.api("practitioner").post(f"sessions/{session.pk}/injections", body)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "zone"


def test_a_signed_session_refuses_every_edit_with_409(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}"
    api.post(f"{path}/injections", chart.injection(chart.caffeine, "1"))
    assert api.post(f"{path}/sign").status_code == 200
    for response in (
        api.patch(path, {"notes": "changed"}),
        api.post(f"{path}/injections", chart.injection(chart.caffeine, "1")),
        api.delete(f"{path}/injections/1"),
        api.post(f"{path}/sign"),
    ):
        assert response.status_code == 409
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "session_signed"
    assert on_hand(chart.caffeine) == 49


def test_only_the_treating_practitioner_signs(chart: Any) -> None:
    session = chart.session()
    assert chart.clinic.api("admin").post(f"sessions/{session.pk}/sign").status_code == 403


def test_amendments_correct_a_signed_session_inline_and_are_audited(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}"
    api.post(f"{path}/injections", chart.injection(chart.caffeine, "1"))
    early = api.post(f"{path}/amendments", {"reason": "typo", "changes": []})
    assert early.status_code == 409 and early.json()["code"] == "session_not_signed"
    api.post(f"{path}/sign")
    change = {"target": "injection", "n": 1, "field": "depth_mm", "value": "3"}
    response = api.post(f"{path}/amendments", {"reason": "depth misread", "changes": [change]})
    assert response.status_code == 201, response.content
    assert response.json()["changes"] == [
        {"target": "injection", "n": 1, "field": "depth_mm", "old": "2.0", "new": "3"}
    ]
    detail = api.get(path).json()
    assert detail["injections"][0]["depth_mm"] == "2.0"
    assert detail["injections"][0]["amended"] == {"depth_mm": "3"}
    assert detail["amendments"][0]["reason"] == "depth misread"
    event = AuditEvent.objects.filter(summary__startswith="amended signed").get()
    assert event.changes["reason"] == "depth misread"
    bad = {"target": "injection", "n": 1, "field": "lot", "value": "1"}
    assert api.post(f"{path}/amendments", {"reason": "x", "changes": [bad]}).status_code == 422


def test_side_effects_are_recorded_and_late_ones_flagged(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}/side-effects"
    early = api.post(path, {"kind": "bruising", "grade": 1, "action_taken": "cold pack"})
    assert early.status_code == 201 and not early.json()["recorded_after_signing"]
    assert api.post(path, {"kind": "bruising", "grade": 6}).status_code == 422
    assert api.post(path, {"kind": "rash", "grade": 1}).status_code == 422
    api.post(f"sessions/{session.pk}/sign")
    late = api.post(path, {"kind": "nodule", "grade": 2, "source": "patient"})
    assert late.status_code == 201 and late.json()["recorded_after_signing"]


def test_session_page_api_queries_do_not_grow_with_injections(
    chart: Any, django_assert_max_num_queries: Any
) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    path = f"sessions/{session.pk}"
    for count in (2, 12):
        while len(api.get(path).json()["injections"]) < count:
            api.post(f"{path}/injections", chart.injection(chart.caffeine, "0.5"))
        with django_assert_max_num_queries(20):
            assert len(api.get(path).json()["injections"]) == count


def test_sessions_of_another_organization_are_404(chart: Any, other_clinic: Any) -> None:
    from mesocare.charting.services import sessions

    theirs = sessions.open_walk_in(
        other_clinic.actor("practitioner"),
        patient=other_clinic.patient,
        location=other_clinic.location,
    )
    api = chart.clinic.api("practitioner")
    path = f"sessions/{theirs.pk}"
    assert api.get(path).status_code == 404
    assert api.patch(path, {"notes": "x"}).status_code == 404
    assert api.post(f"{path}/injections", chart.injection(chart.caffeine)).status_code == 404
    assert api.post(f"{path}/sign").status_code == 404
    assert api.delete(f"{path}/injections/1").status_code == 404
    assert api.get(f"patients/{other_clinic.patient.pk}/sessions").status_code == 404
    mine = chart.session()
    their_lot = ProductLot.objects.create(
        organization=other_clinic.org,
        product=chart.caffeine.product,
        location=other_clinic.location,
        lot_number="THEIRS",
        expiry=chart.caffeine.expiry,
        received_ml=10,
    )
    response = api.post(f"sessions/{mine.pk}/injections", chart.injection(their_lot))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "components.0.lot"


def _appointment(clinic: Any, status: str) -> Appointment:
    start = timezone.now().replace(microsecond=0)
    return Appointment.objects.create(
        organization=clinic.org,
        location=clinic.location,
        practitioner=clinic.members["practitioner"],
        room=clinic.room,
        patient=clinic.patient,
        start=start,
        end=start + dt.timedelta(minutes=30),
        status=status,
        created_by=clinic.user("reception"),
    )


def test_a_session_opens_from_a_checked_in_appointment_only(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    booked = _appointment(chart.clinic, "booked")
    response = api.post(f"appointments/{booked.pk}/session")
    assert response.status_code == 409 and response.json()["code"] == "not_checked_in"
    Appointment.objects.filter(pk=booked.pk).update(status="checked_in")
    response = api.post(f"appointments/{booked.pk}/session")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["appointment"] == booked.pk
    assert body["practitioner"]["id"] == chart.clinic.members["practitioner"].pk
    again = api.post(f"appointments/{booked.pk}/session")
    assert again.status_code == 409 and again.json()["code"] == "session_exists"
    api.post(f"sessions/{body['id']}/injections", chart.injection(chart.caffeine))
    assert api.post(f"sessions/{body['id']}/sign").status_code == 200
    booked.refresh_from_db()
    assert booked.status == "completed"


def test_same_as_last_time_copies_the_previous_injection_of_the_zone(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    first = chart.session()
    body = chart.injection(chart.caffeine, "2", zone="thigh_lateral_l", depth_mm="3", points=40)
    api.post(f"sessions/{first.pk}/injections", body)
    api.post(f"sessions/{first.pk}/sign")
    second = chart.session()
    suggestion = api.get(f"sessions/{second.pk}/suggestion", zone="thigh_lateral_l").json()
    assert suggestion["source"] == "last_time" and suggestion["from_session"] == first.pk
    assert (suggestion["depth_mm"], suggestion["points"]) == ("3.0", 40)
    assert suggestion["components"][0]["lot"] == chart.caffeine.pk
    assert api.get(f"sessions/{second.pk}/suggestion", zone="chin").json()["source"] == "blank"


def test_patient_sessions_and_overdue_unsigned_list(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    old = chart.session()
    type(old).objects.filter(pk=old.pk).update(started_at=timezone.now() - dt.timedelta(hours=25))
    chart.session()
    listed = api.get(f"patients/{chart.clinic.patient.pk}/sessions").json()
    assert len(listed) == 2
    overdue = api.get("me/unsigned-sessions").json()
    assert [s["id"] for s in overdue] == [old.pk]
    assert chart.clinic.api("admin").get("me/unsigned-sessions").json() == []
