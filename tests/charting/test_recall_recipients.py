"""The recall list equals a brute-force scan of every session's syringe contents."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import injections, sessions
from mesocare.inventory.services import recall
from mesocare.patients.models import Consent

ZONES = ["abdomen_ul", "abdomen_ur", "thigh_lateral_l", "thigh_lateral_r", "flank_l"]


def test_recipients_equal_a_brute_force_scan(chart: Any) -> None:
    rng = random.Random(11)
    clinic = chart.clinic
    actor = clinic.actor("practitioner")
    lots = [chart.caffeine] + [chart.lot("caffeine_20", f"C{i}", "500") for i in range(3)]
    patients = [clinic.patient] + [
        chart.patient(f"P{i}", dt.date(1980, 1, 1 + i)) for i in range(4)
    ]
    Consent.objects.update(signed_on=dt.date.today() - dt.timedelta(days=400))
    for patient in patients:
        for k in range(rng.randint(1, 3)):
            session = chart.session(patient=patient)
            # Sessions of one patient 10 days apart: the 7-day caffeine interval holds.
            TreatmentSession.objects.filter(pk=session.pk).update(
                started_at=timezone.now() - dt.timedelta(days=10 * (k + 1))
            )
            session.refresh_from_db()
            for _ in range(rng.randint(1, 4)):
                chosen = rng.sample(lots, rng.randint(1, 2))
                parts = [Decimal(rng.randint(1, 20)) / 10 for _ in chosen]
                data = injections.InjectionIn(
                    zone=rng.choice(ZONES),
                    technique="nappage",
                    depth_mm=Decimal(2),
                    points=10,
                    total_volume_ml=sum(parts, Decimal(0)),
                    components=tuple(
                        injections.ComponentIn(lot.pk, ml)
                        for lot, ml in zip(chosen, parts, strict=True)
                    ),
                )
                injections.chart_injection(actor, session, data)
            if rng.random() < 0.5:
                sessions.sign_session(actor, session)
    for lot in lots:
        expected = sorted(
            (s.patient_id, s.pk, i.n, i.zone_id, c.volume_ml)
            for s in TreatmentSession.objects.all()
            for i in s.injections.all()
            for c in i.components.all()
            if c.lot_id == lot.pk
        )
        got = recall.lot_recipients(clinic.actor("admin"), lot)
        assert (
            sorted((r.patient_id, r.session_id, r.injection_n, r.zone, r.volume_ml) for r in got)
            == expected
        )
        assert expected


def test_notifying_a_recalled_lots_recipients_queues_one_notice_per_patient(chart: Any) -> None:
    from django.test import Client

    from mesocare.notify.models import OutboxMessage

    clinic = chart.clinic
    clinic.patient.email = "giulia@example.org"
    clinic.patient.save()
    api = clinic.api("practitioner")
    session = chart.session()
    for zone in ("abdomen_ul", "abdomen_ur"):
        response = api.post(
            f"sessions/{session.pk}/injections", chart.injection(chart.caffeine, zone=zone)
        )
        assert response.status_code == 201, response.content
    lot_id = chart.caffeine.pk
    not_yet = api.post(f"lots/{lot_id}/notify-recipients")
    assert not_yet.status_code == 409
    assert (
        clinic.api("admin").post(f"lots/{lot_id}/recall", {"reason": "supplier notice"}).status_code
        == 200
    )
    assert api.post(f"lots/{lot_id}/notify-recipients").json() == {"queued": 1}
    assert api.post(f"lots/{lot_id}/notify-recipients").json() == {"queued": 1}  # same key
    notices = OutboxMessage.objects.filter(kind="recall_notice", patient=clinic.patient)
    assert notices.count() == 1
    assert chart.caffeine.lot_number in notices.get().payload["body"]
    assert clinic.api("reception").post(f"lots/{lot_id}/notify-recipients").status_code == 403

    web = Client()
    web.force_login(clinic.user("practitioner"))
    page = web.get(f"/stock/lots/{lot_id}/recipients").content.decode()
    assert "Notify these patients" in page
    response = web.post(f"/stock/lots/{lot_id}/notify-recipients", {"confirm": "on"})
    assert response.status_code == 302


def _inject(actor: Any, session: Any, zone: str, lot: Any, ml: str = "1") -> None:
    data = injections.InjectionIn(
        zone=zone,
        technique="nappage",
        depth_mm=Decimal(2),
        points=10,
        total_volume_ml=Decimal(ml),
        components=(injections.ComponentIn(lot.pk, Decimal(ml)),),
    )
    injections.chart_injection(actor, session, data)


def test_recipients_right_after_an_amendment_still_name_the_charted_row(chart: Any) -> None:
    """An amendment corrects the record beside it; the trace lists the rows as charted."""
    actor = chart.clinic.actor("practitioner")
    session = chart.session()
    _inject(actor, session, "abdomen_ul", chart.caffeine)
    _inject(actor, session, "abdomen_ur", chart.caffeine)
    sessions.sign_session(actor, session)
    before = recall.lot_recipients(chart.clinic.actor("admin"), chart.caffeine)
    sessions.add_amendment(
        actor,
        session,
        reason="zone misread",
        changes=[sessions.Change("injection", "zone", "flank_l", 2)],
    )
    after = recall.lot_recipients(chart.clinic.actor("admin"), chart.caffeine)
    assert after == before
    assert [(r.session_id, r.injection_n, r.zone, r.signed) for r in after] == [
        (session.pk, 1, "abdomen_ul", True),
        (session.pk, 2, "abdomen_ur", True),
    ]


def test_recipients_are_ordered_by_session_start_session_and_injection(chart: Any) -> None:
    actor = chart.clinic.actor("practitioner")
    other = chart.patient("Other", dt.date(1985, 5, 5))
    late, early = chart.session(), chart.session(patient=other)
    TreatmentSession.objects.filter(pk=early.pk).update(
        started_at=timezone.now() - dt.timedelta(hours=3)
    )
    for session in (late, early):
        session.refresh_from_db()
        for zone in ("abdomen_ul", "abdomen_ur"):
            _inject(actor, session, zone, chart.caffeine)
    got = recall.lot_recipients(chart.clinic.actor("admin"), chart.caffeine)
    assert [(r.patient_id, r.session_id, r.injection_n) for r in got] == [
        (other.pk, early.pk, 1),
        (other.pk, early.pk, 2),
        (chart.clinic.patient.pk, late.pk, 1),
        (chart.clinic.patient.pk, late.pk, 2),
    ]
    assert got[0].patient_name == "Other Test" and got[0].birth_date == "1985-05-05"


def test_recipients_never_mix_organizations(chart: Any, other_clinic: Any) -> None:
    from tests.charting.conftest import make_lot, prepare_patient

    prepare_patient(other_clinic, other_clinic.patient)
    theirs = make_lot(other_clinic, "caffeine_20", "CAF-1", "50")
    their_actor = other_clinic.actor("practitioner")
    their_session = sessions.open_walk_in(
        their_actor, patient=other_clinic.patient, location=other_clinic.location
    )
    _inject(their_actor, their_session, "abdomen_ul", theirs)
    ours = chart.session()
    _inject(chart.clinic.actor("practitioner"), ours, "abdomen_ul", chart.caffeine)

    mine = recall.lot_recipients(chart.clinic.actor("admin"), chart.caffeine)
    assert [r.patient_id for r in mine] == [chart.clinic.patient.pk]
    assert [r.patient_id for r in recall.recipients(other_clinic.org.pk, theirs.pk)] == [
        other_clinic.patient.pk
    ]
    # A lot read with another organization's id finds nothing, whatever the lot holds.
    assert recall.recipients(other_clinic.org.pk, chart.caffeine.pk) == []
    assert recall.recipients(chart.clinic.org.pk, theirs.pk) == []
    assert recall.lot_recipients(chart.clinic.actor("admin"), theirs) == []


def test_the_trace_is_two_queries_whatever_the_lot_holds(chart: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    actor = chart.clinic.actor("practitioner")
    assert recall.recipients(chart.clinic.org.pk, chart.caffeine.pk) == []
    counts = []
    for zone in ("abdomen_ul", "abdomen_ur", "flank_l", "flank_r"):
        session = chart.session(patient=chart.patient(zone, dt.date(1980, 1, 1)))
        _inject(actor, session, zone, chart.caffeine)
        _inject(actor, session, "thigh_lateral_l", chart.caffeine)
        with CaptureQueriesContext(connection) as queries:
            found = recall.recipients(chart.clinic.org.pk, chart.caffeine.pk)
        counts.append(len(queries))
        assert len(found) == 2 * len(counts)
    assert counts == [2, 2, 2, 2]


def test_the_api_lists_the_services_rows_field_for_field(chart: Any) -> None:
    api = chart.clinic.api("practitioner")
    session = chart.session()
    for zone in ("abdomen_ul", "abdomen_ur"):
        response = api.post(
            f"sessions/{session.pk}/injections",
            chart.injection(chart.caffeine, ml="1.25", zone=zone),
        )
        assert response.status_code == 201, response.content
    rows = recall.recipients(chart.clinic.org.pk, chart.caffeine.pk)
    listed = api.get(f"lots/{chart.caffeine.pk}/recipients").json()
    assert listed == [
        {
            "patient_id": r.patient_id,
            "patient_name": r.patient_name,
            "birth_date": r.birth_date,
            "phone": r.phone,
            "email": r.email,
            "session_id": r.session_id,
            "session_at": listed[i]["session_at"],
            "signed": False,
            "injection_n": r.injection_n,
            "zone": r.zone,
            "zone_name": r.zone_name,
            "volume_ml": "1.250",
        }
        for i, r in enumerate(rows)
    ]
    assert [dt.datetime.fromisoformat(x["session_at"]) for x in listed] == [
        r.session_at.replace(microsecond=r.session_at.microsecond // 1000 * 1000) for r in rows
    ]  # JSON carries milliseconds
    assert [x["zone"] for x in listed] == ["abdomen_ul", "abdomen_ur"]
