"""Charting fixtures: a 60 kg patient with a treatment consent, and lots at the clinic's
location (lidocaine 1%, caffeine, deoxycholic acid; one expired)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mesocare.catalog.models import Product
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import sessions
from mesocare.inventory.models import ProductLot
from mesocare.inventory.services import stock
from mesocare.patients.models import Consent, Patient, Weight


def product(code: str) -> Product:
    return Product.objects.get(organization__isnull=True, code=code)


def make_lot(
    clinic: Any, code: str, number: str, ml: str, expiry: dt.date | None = None
) -> ProductLot:
    return stock.receive_stock(
        clinic.actor("admin"),
        product=product(code),
        location=clinic.location,
        lot_number=number,
        expiry=expiry or timezone.localdate() + dt.timedelta(days=365),
        quantity_ml=Decimal(ml),
    )


def prepare_patient(clinic: Any, patient: Patient, kg: str = "60") -> Patient:
    today = timezone.localdate()
    Patient.objects.filter(pk=patient.pk).update(
        pregnancy_status="not_pregnant",
        pregnancy_status_on=today,
        breastfeeding=False,
        breastfeeding_on=today,
    )
    Weight.objects.create(
        organization=clinic.org, patient=patient, kg=Decimal(kg), measured_on=today
    )
    Consent.objects.create(
        organization=clinic.org,
        patient=patient,
        kind="treatment",
        version="1",
        indication="cellulite",
        signed_on=today - dt.timedelta(days=1),
    )
    return patient


@dataclass
class Chart:
    clinic: Any
    lidocaine: ProductLot
    caffeine: ProductLot
    dca: ProductLot
    expired: ProductLot

    def session(
        self, role: str = "practitioner", patient: Patient | None = None, **kw: Any
    ) -> TreatmentSession:
        return sessions.open_walk_in(
            self.clinic.actor(role),
            patient=patient or self.clinic.patient,
            location=self.clinic.location,
            **kw,
        )

    def lot(self, code: str, number: str, ml: str) -> ProductLot:
        return make_lot(self.clinic, code, number, ml)

    def patient(self, given: str, birth_date: dt.date) -> Patient:
        patient = Patient.objects.create(
            organization=self.clinic.org,
            given_name=given,
            family_name="Test",
            birth_date=birth_date,
            sex_at_birth="male",
        )
        return prepare_patient(self.clinic, patient)

    def injection(self, lot: ProductLot, ml: str = "1", **kw: Any) -> dict[str, Any]:
        body = {
            "zone": "abdomen_ul",
            "technique": "nappage",
            "depth_mm": "2",
            "points": 20,
            "total_volume_ml": ml,
            "components": [{"lot": lot.pk, "volume_ml": ml}],
        }
        body.update(kw)
        return body


@pytest.fixture
def chart(clinic: Any) -> Chart:
    prepare_patient(clinic, clinic.patient)
    return Chart(
        clinic=clinic,
        lidocaine=make_lot(clinic, "lidocaine_1pct", "LIDO-1", "100"),
        caffeine=make_lot(clinic, "caffeine_20", "CAF-1", "50"),
        dca=make_lot(clinic, "deoxycholic_acid_10", "DCA-1", "20"),
        expired=make_lot(
            clinic,
            "caffeine_20",
            "CAF-OLD",
            "10",
            expiry=timezone.localdate() - dt.timedelta(days=1),
        ),
    )
