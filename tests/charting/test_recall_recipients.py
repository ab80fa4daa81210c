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
