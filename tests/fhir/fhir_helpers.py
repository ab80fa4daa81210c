"""Helpers of the FHIR tests: a client for /fhir/R4/ with a clinic member's bearer token, and
two independent checks of a resource: the `fhir.resources` R4B models (every element and
cardinality) and SMART's `fhirclient` R4 models (strict: unknown keys are errors)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.fhirelementfactory import FHIRElementFactory

from mesocare.accounts.models import ApiToken
from mesocare.clinics.models import Membership

BASE = "/fhir/R4"


class Fhir:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: Any = None, **headers: str) -> Any:
        url = path if path.startswith("/") else f"{BASE}/{path}"
        return self.client.get(url, data=params or {}, **self.headers, **headers)

    def json(self, path: str, params: Any = None, status: int = 200) -> Any:
        response = self.get(path, params)
        assert response.status_code == status, (response.status_code, response.content[:500])
        return json.loads(response.content)


def fhir_for(membership: Membership) -> Fhir:
    _token, raw = ApiToken.issue(membership)
    return Fhir(raw)


def validate(resource: dict[str, Any]) -> None:
    """Raises if either library rejects the resource."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    loaded = FHIRElementFactory.instantiate(resource["resourceType"], resource)
    assert loaded.resource_type == resource["resourceType"]


def populate(clinic: Any, n: int = 0) -> dict[str, Any]:
    """One of each record the FHIR API serves, for one clinic (`tests/conftest.py`); call it
    again with another ``n`` for another set (``n`` days earlier)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from mesocare.assessments.models import Assessment
    from mesocare.catalog.models import Ingredient, Product, Protocol, ProtocolVersion, Zone
    from mesocare.charting.models import (
        Amendment,
        CocktailComponent,
        InjectionRecord,
        SideEffect,
        TreatmentSession,
    )
    from mesocare.inventory.models import ProductLot
    from mesocare.notify.models import OutboxMessage
    from mesocare.outcomes.models import Measurement, Photo
    from mesocare.patients.models import Allergy, Condition, Consent, Medication, Weight
    from mesocare.plans.models import PlannedSession, TreatmentPlan
    from mesocare.portal.models import CheckInResponse
    from mesocare.scheduling.models import Appointment

    org, patient = clinic.org, clinic.patient
    doctor = clinic.members["practitioner"]
    user = doctor.user
    now = timezone.now().replace(microsecond=0) - dt.timedelta(days=n)
    common = {"organization": org, "patient": patient}
    product = Product.objects.filter(organization__isnull=True, components__isnull=False).first()
    protocol = Protocol.objects.filter(organization__isnull=True).first()
    assert product is not None and protocol is not None
    version, _ = ProtocolVersion.objects.get_or_create(
        protocol=protocol, version=1, defaults={"snapshot": {}}
    )
    zone = Zone.objects.first()
    assert zone is not None
    lot = ProductLot.objects.create(
        organization=org,
        product=product,
        location=clinic.location,
        lot_number=f"L-{org.slug}-{n}",
        expiry=dt.date(2030, 1, 31),
        received_ml=Decimal(100),
    )
    assessment = Assessment.objects.create(
        **common,
        scale_id="vas-pain",
        items={"score": 4},
        total=Decimal(4),
        band="moderate",
        assessed_by=user,
    )
    plan = TreatmentPlan.objects.create(
        **common,
        protocol=protocol,
        protocol_version=version,
        baseline_assessment=assessment,
        status="active",
        sessions_planned=4,
        sessions_by_rule=4,
        interval_min_days=7,
        interval_target_days=14,
        interval_max_days=21,
        response_check_session=2,
        session_duration_min=30,
        room_kind="facial",
        start_on=dt.date(2026, 1, 5),
        created_by=user,
    )
    planned = [
        PlannedSession.objects.create(organization=org, plan=plan, index=i) for i in (1, 2, 3, 4)
    ]
    appointment = Appointment.objects.create(
        **common,
        location=clinic.location,
        practitioner=doctor,
        room=clinic.room,
        start=now - dt.timedelta(hours=2),
        end=now - dt.timedelta(hours=1, minutes=30),
        status="completed",
        plan=plan,
        planned_session=planned[0],
        course_index=1,
        created_by=user,
    )
    session = TreatmentSession.objects.create(
        **common,
        practitioner=doctor,
        location=clinic.location,
        appointment=appointment,
        planned_session=planned[0],
        protocol=protocol,
        protocol_version=version,
        started_at=now - dt.timedelta(hours=2),
        created_by=user,
        pain_vas=Decimal("2.5"),
    )
    injection = InjectionRecord.objects.create(
        organization=org,
        session=session,
        n=1,
        zone=zone,
        technique="nappage",
        depth_mm=Decimal("2.0"),
        points=20,
        total_volume_ml=Decimal("2.000"),
        created_by=user,
    )
    component = CocktailComponent.objects.create(
        organization=org, injection=injection, lot=lot, volume_ml=Decimal("2.000")
    )
    session.signed_at = now - dt.timedelta(hours=1)
    session.signed_by = user
    session.save()
    side_effect = SideEffect.objects.create(
        organization=org,
        session=session,
        kind="bruising",
        grade=1,
        onset=now,
        recorded_by=user,
        recorded_after_signing=True,
    )
    amendment = Amendment.objects.create(
        organization=org, session=session, by=user, reason="Zone corrected"
    )
    consent = Consent.objects.create(
        **common, kind="photo", version="1", signed_on=dt.date(2026, 1, 5), recorded_by=user
    )
    photo = Photo.objects.create(
        **common,
        file="p.jpg",
        thumbnail="t.jpg",
        content_type="image/jpeg",
        width=10,
        height=10,
        size_bytes=100,
        sha256="0" * 64,
        view="front",
        session=session,
        taken_at=now,
        uploaded_by=user,
    )
    message = OutboxMessage.objects.create(
        **common,
        kind="aftercare",
        channel="email",
        template="aftercare",
        due_at=now,
        status="sent",
        sent_at=now,
        idempotency_key=f"fhir-test-{org.slug}-{n}",
    )
    check_in = CheckInResponse.objects.create(
        **common, session_id=session.pk, when="24h", pain_vas=Decimal(3), bruising="mild"
    )
    return {
        "lot": lot,
        "assessment": assessment,
        "plan": plan,
        "appointment": appointment,
        "session": session,
        "injection": injection,
        "component": component,
        "side_effect": side_effect,
        "amendment": amendment,
        "consent": consent,
        "photo": photo,
        "message": message,
        "check_in": check_in,
        "allergy": Allergy.objects.create(
            **common,
            substance="Lidocaine",
            ingredient=Ingredient.objects.order_by("code").first(),
            severity="severe",
            reaction="Hives",
            recorded_by=user,
        ),
        "condition": Condition.objects.create(**common, code="diabetes", recorded_by=user),
        "medication": Medication.objects.create(
            **common, name="Warfarin", drug_class="anticoagulant", recorded_by=user
        ),
        "weight": Weight.objects.create(
            **common, kg=Decimal("61.5"), measured_on=dt.date(2026, 1, 5), recorded_by=user
        ),
        "measurement": Measurement.objects.create(
            **common,
            kind="circumference",
            landmark="waist_umbilicus",
            value=Decimal("80.5"),
            unit="cm",
            measured_on=dt.date(2026, 1, 5),
            measured_by=user,
        ),
    }
