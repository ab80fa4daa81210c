"""Till fixtures: a price list (consultation, a session of a curated protocol with a deposit
rule, an add-on, a retail product at 22 % VAT), a 6-session package offer of that protocol and
a cancellation policy; helpers to sell, sign and pay."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from mesocare.billing.models import PackageOffer, PatientPackage, PriceItem
from mesocare.billing.services import packages, prices
from mesocare.catalog.models import Protocol
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import sessions
from mesocare.patients.models import Patient

EXEMPT = "Medical care, exempt (Art. 132(1)(c) Directive 2006/112/EC; DPR 633/1972 art. 10 n. 18)"


def curated_protocol(n: int = 0) -> Protocol:
    return Protocol.objects.filter(organization__isnull=True).order_by("id")[n]


@dataclass
class Till:
    clinic: Any
    protocol: Protocol
    consultation: PriceItem
    session_item: PriceItem
    addon: PriceItem
    product: PriceItem
    offer: PackageOffer

    def sell(self, patient: Patient | None = None, instalments: int = 1) -> PatientPackage:
        return packages.sell_package(
            self.clinic.actor("reception"),
            patient_id=(patient or self.clinic.patient).pk,
            offer_id=self.offer.pk,
            location_id=self.clinic.location.pk,
            instalments=instalments,
        )

    def session(
        self, patient: Patient | None = None, protocol: Protocol | None = None
    ) -> TreatmentSession:
        return sessions.open_walk_in(
            self.clinic.actor("practitioner"),
            patient=patient or self.clinic.patient,
            location=self.clinic.location,
            protocol=protocol or self.protocol,
        )

    def signed_session(self, patient: Patient | None = None) -> TreatmentSession:
        session = self.session(patient)
        return sessions.sign_session(self.clinic.actor("practitioner"), session)


def make_till(clinic: Any) -> Till:
    admin = clinic.actor("admin")
    protocol = curated_protocol()
    common = {"tax_category": "E", "exemption_code": "VATEX-EU-132-1C", "exemption_reason": EXEMPT}
    consultation = prices.create_price_item(
        admin,
        code="consult",
        name="First consultation",
        kind="consultation",
        amount="80.00",
        **common,
    )
    session_item = prices.create_price_item(
        admin,
        code="session",
        name=f"Session: {protocol.name}",
        kind="session",
        amount="120.00",
        protocol_id=protocol.pk,
        deposit_kind="percent",
        deposit_value="25",
        **common,
    )
    addon = prices.create_price_item(
        admin, code="lido", name="Anaesthetic cream", kind="addon", amount="10.00", **common
    )
    product = prices.create_price_item(
        admin,
        code="serum",
        name="Aftercare serum 30 ml",
        kind="product",
        amount="24.59",
        tax_category="S",
        tax_rate="22",
    )
    offer = packages.create_offer(
        admin,
        name="Course of 6",
        protocol_id=protocol.pk,
        sessions=6,
        price="600.00",
        validity_days=365,
        max_instalments=3,
        **common,
    )
    prices.set_cancellation_policy(
        admin, late_cancel_hours=24, refund_policy="fee", fee_amount="30.00"
    )
    return Till(clinic, protocol, consultation, session_item, addon, product, offer)


@pytest.fixture
def till(clinic: Any) -> Till:
    return make_till(clinic)


def money(value: str) -> Decimal:
    return Decimal(value)
