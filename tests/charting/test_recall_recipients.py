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
