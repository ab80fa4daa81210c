"""A valid request for every operation of the OpenAPI document, made against one organization.

The permission matrix (every role) and the cross-organization test (the other organization's
ids) both call every operation through these builders, with a body that passes validation, so
the permission check and the organization lookup are what decide the answer — not a 422 for an
empty body. An operation without a builder fails both tests by name."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mesocare.api.root import api as ninja_api

PREFIX = "/api/v1/"


@dataclass
class Request:
    path: str  # relative to /api/v1/
    body: dict[str, Any] | None = None
    query: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Any] | None = None  # multipart upload (with `body` as its form fields)
    # True when the body names an object of the organization (not only the path).
    ids_in_body: bool = False


Builder = Callable[[Any, str], Request]


def operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation, path relative to /api/v1/."""
    schema = ninja_api.get_openapi_schema()
    return [
        (method.upper(), path.removeprefix(PREFIX))
        for path, ops in schema["paths"].items()
        for method in ops
    ]


def declared_permissions() -> dict[tuple[str, str], str | None]:
    schema = ninja_api.get_openapi_schema()
    return {
        (method.upper(), path.removeprefix(PREFIX)): op.get("x-permission")
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


# ------------------------------------------------------------------ objects of one organization


def invitation(c: Any) -> int:
    from mesocare.clinics.invitations import invite
    from mesocare.clinics.models import Invitation

    n = Invitation.objects.filter(organization=c.org).count()
    return invite(c.actor(), email=f"invited-{n}@example.org", role="reception").pk


def allergy(c: Any) -> int:
    from mesocare.patients.models import Allergy

    return Allergy.objects.create(organization=c.org, patient=c.patient, substance="soy").pk


def medication(c: Any) -> int:
    from mesocare.patients.models import Medication

    return Medication.objects.create(
        organization=c.org, patient=c.patient, name="x", drug_class="other"
    ).pk


def consent(c: Any) -> int:
    from mesocare.patients.models import Consent

    return Consent.objects.create(
        organization=c.org, patient=c.patient, kind="general", version="1", signed_on="2026-01-01"
    ).pk


def safety_check(c: Any) -> int:
    from mesocare.safety.models import SafetyCheck

    return SafetyCheck.objects.create(
        organization=c.org, patient=c.patient, moment="booking", on="2026-01-01", blocked=True
    ).pk


def protocol(c: Any) -> int:
    from mesocare.catalog.models import Protocol
    from mesocare.catalog.services import copy_protocol

    default = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    return copy_protocol(c.actor(), default).pk


def assessment(c: Any) -> int:
    from mesocare.assessments.services import record_assessment

    return record_assessment(c.actor(), c.patient, scale_id="vas-pain", items={"score": 5}).pk


def plan(c: Any) -> int:
    from mesocare.catalog.models import Protocol
    from mesocare.plans.services import create_plan

    fixed = Protocol.objects.get(organization__isnull=True, code="striae_ha_silicon_linear")
    return create_plan(c.actor(), c.patient, protocol=fixed).pk


def appointment(c: Any) -> int:
    from mesocare.scheduling.models import Appointment

    # A new slot each call: endpoints that cancel or move need their own appointment, and two
    # at one time would be a double booking (refused by the database on PostgreSQL).
    taken = Appointment.objects.filter(organization=c.org).count()
    start = dt.datetime(2030, 3, 25, 11, tzinfo=dt.UTC) + dt.timedelta(hours=taken)
    return Appointment.objects.create(
        organization=c.org,
        location=c.location,
        practitioner=c.members["practitioner"],
        room=c.room,
        patient=c.patient,
        start=start,
        end=start + dt.timedelta(minutes=30),
        created_by=c.user("admin"),
    ).pk


def waitlist_entry(c: Any) -> int:
    from mesocare.scheduling.models import WaitlistEntry

    return WaitlistEntry.objects.create(
        organization=c.org,
        patient=c.patient,
        location=c.location,
        earliest=dt.date(2030, 3, 25),
        duration_min=30,
        created_by=c.user("admin"),
    ).pk


def block(c: Any) -> int:
    from mesocare.scheduling.models import Block

    start = dt.datetime(2030, 3, 25, 8, tzinfo=dt.UTC)
    return Block.objects.create(
        organization=c.org,
        practitioner=c.members["practitioner"],
        start=start,
        end=start + dt.timedelta(hours=2),
        reason="training",
        created_by=c.user("admin"),
    ).pk


def calendar_feed(c: Any, role: str = "admin") -> int:
    """A feed of `role`'s own appointments, which every role that sees the calendar may revoke."""
    from mesocare.scheduling.services.feeds import create_feed

    member = c.members[role]
    actor = c.actor(role)
    return create_feed(actor, practitioner=member)[0].pk


def lot(c: Any) -> int:
    from mesocare.catalog.models import Product
    from mesocare.inventory.models import ProductLot
    from mesocare.inventory.services.stock import receive_stock

    product = Product.objects.get(organization__isnull=True, code="caffeine_20")
    n = ProductLot.objects.filter(organization=c.org).count()
    return receive_stock(
        c.actor(),
        product=product,
        location=c.location,
        lot_number=f"T{c.org.pk}-{n}",
        expiry=dt.date(2099, 1, 31),
        quantity_ml=Decimal(10),
    ).pk


def recalled_lot(c: Any) -> int:
    from mesocare.inventory.models import ProductLot
    from mesocare.inventory.services.recall import recall_lot

    return recall_lot(c.actor(), ProductLot.objects.get(pk=lot(c)), reason="supplier notice").pk


def session(c: Any, role: str = "practitioner") -> int:
    """A session treated by `role` when it charts (only the treating practitioner signs)."""
    from mesocare.charting.services.sessions import open_walk_in

    treating = role if role in ("admin", "practitioner") else "practitioner"
    return open_walk_in(c.actor(treating), patient=c.patient, location=c.location).pk


def message(c: Any) -> int:
    from django.db import transaction
    from django.utils import timezone

    from mesocare.notify.models import OutboxMessage
    from mesocare.notify.outbox import enqueue

    c.patient.email = "patient@example.org"
    c.patient.save()
    n = OutboxMessage.objects.filter(organization=c.org).count()
    with transaction.atomic():
        sent = enqueue(
            c.org.pk, c.patient, "reminder", due_at=timezone.now(), payload={},
            idempotency_key=f"operations-{c.org.pk}-{n}",
        )  # fmt: skip
    assert sent is not None
    return sent.pk


def alert(c: Any) -> int:
    from mesocare.notify.alerts import raise_alert
    from mesocare.notify.models import Alert

    n = Alert.objects.filter(organization=c.org).count()
    return raise_alert(
        c.org.pk,
        kind="check_in",
        severity="warning",
        message=f"alert {n}",
        patient_id=c.patient.pk,
        source_ref=f"operations-{n}",
    ).pk


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def photo(c: Any) -> int:
    from mesocare.outcomes.services import store_photo

    return store_photo(c.org.pk, c.patient, png(), body_zone="chin", view="front").pk


def caffeine_id() -> int:
    from mesocare.catalog.models import Product

    return Product.objects.get(organization__isnull=True, code="caffeine_20").pk


# ----------------------------------------------------------------------------- the requests

DAY = "2030-03-25"
LATER = "2030-04-01"


def _week(c: Any) -> list[dict[str, Any]]:
    return [{"weekday": 0, "opens": "09:00", "closes": "17:00"}]


def _patient_body(c: Any, role: str) -> dict[str, Any]:
    return {
        "given_name": "Ada",
        "family_name": f"Lovelace {role}",
        "birth_date": "1990-01-01",
        "sex_at_birth": "female",
    }


def _course_session(c: Any) -> dict[str, Any]:
    return {
        "index": 1,
        "start": f"{DAY}T10:00:00+02:00",
        "practitioner": c.members["practitioner"].pk,
        "room": c.room.pk,
    }


def _injection(c: Any) -> dict[str, Any]:
    return {
        "zone": "abdomen_ul",
        "technique": "nappage",
        "depth_mm": "2",
        "points": 20,
        "total_volume_ml": "1",
        "components": [{"lot": lot(c), "volume_ml": "1"}],
    }


def _signed_session(c: Any) -> int:
    from mesocare.charting.models import TreatmentSession
    from mesocare.charting.services.sessions import sign_session

    pk = session(c)
    sign_session(c.actor("practitioner"), TreatmentSession.objects.get(pk=pk))
    return pk


def _feed_body(c: Any, role: str) -> dict[str, Any]:
    return {"practitioner": c.members[role].pk}


# ------------------------------------------------------------------ the till (billing)


def price_item(c: Any, kind: str = "product") -> int:
    from mesocare.billing.models import PriceItem
    from mesocare.billing.services.prices import create_price_item

    n = PriceItem.objects.filter(organization=c.org).count()
    extra: dict[str, Any] = {"tax_category": "S", "tax_rate": "22"}
    if kind == "session":
        extra = {"protocol_id": protocol(c), "tax_category": "E", "exemption_reason": "medical"}
    return create_price_item(
        c.actor(), code=f"item-{n}", name=f"Item {n}", kind=kind, amount="20.00", **extra
    ).pk


def offer(c: Any) -> int:
    from mesocare.billing.services.packages import create_offer

    return create_offer(
        c.actor(),
        name="Course",
        protocol_id=protocol(c),
        sessions=4,
        price="400.00",
        exemption_reason="medical",
    ).pk


def patient_package(c: Any) -> int:
    from mesocare.billing.services.packages import sell_package

    return sell_package(
        c.actor(), patient_id=c.patient.pk, offer_id=offer(c), location_id=c.location.pk
    ).pk


def invoice(c: Any) -> int:
    from mesocare.billing.services.invoicing import ItemRequest, issue_retail_invoice

    return issue_retail_invoice(
        c.actor(),
        patient_id=c.patient.pk,
        location_id=c.location.pk,
        items=[ItemRequest(price_item(c), Decimal(2))],
    ).pk


def documented_invoice(c: Any) -> int:
    """An invoice of an organization with its legal details (the documents need them)."""
    from mesocare.clinics.legal import legal_details, save_legal_details

    if legal_details(c.org.pk) is None:
        save_legal_details(
            c.actor(),
            legal_name=f"Clinica {c.org.slug} S.r.l.",
            vat_number="IT12345670017",
            tax_code="12345670017",
            address_line1="Via Brera 12",
            postcode="20121",
            city="Milano",
            province="MI",
            country="IT",
            tax_regime="RF01",
        )
    return invoice(c)


def cancellation_policy(c: Any) -> int:
    from mesocare.billing.services.prices import set_cancellation_policy

    return set_cancellation_policy(c.actor(), late_cancel_hours=24).version


R = Request


def online_service(c: Any) -> int:
    from mesocare.booking.models import OnlineService

    service, _created = OnlineService.objects.get_or_create(
        organization=c.org, name="Consultation", defaults={"duration_min": 30}
    )
    return service.pk


CALLS: dict[tuple[str, str], Builder] = {
    # organization
    ("GET", "me"): lambda c, r: R("me"),
    ("GET", "locations"): lambda c, r: R("locations"),
    ("POST", "locations"): lambda c, r: R(
        "locations", {"name": f"Sede {r}", "timezone": "Europe/Rome"}
    ),
    ("GET", "locations/{location_id}"): lambda c, r: R(f"locations/{c.location.pk}"),
    ("PATCH", "locations/{location_id}"): lambda c, r: R(
        f"locations/{c.location.pk}", {"phone": "+39 02 1"}
    ),
    ("GET", "rooms"): lambda c, r: R("rooms"),
    ("POST", "rooms"): lambda c, r: R(
        "rooms", {"location": c.location.pk, "name": f"R {r}", "kind": "body"}, ids_in_body=True
    ),
    ("GET", "rooms/{room_id}"): lambda c, r: R(f"rooms/{c.room.pk}"),
    ("PATCH", "rooms/{room_id}"): lambda c, r: R(f"rooms/{c.room.pk}", {"name": f"Room {r}"}),
    ("GET", "staff"): lambda c, r: R("staff"),
    ("POST", "staff"): lambda c, r: R(
        "staff", {"email": f"new-{r}@example.org", "role": "auditor"}
    ),
    ("GET", "staff/{membership_id}"): lambda c, r: R(f"staff/{c.members['practitioner'].pk}"),
    ("PATCH", "staff/{membership_id}"): lambda c, r: R(
        f"staff/{c.members['practitioner'].pk}", {"title": "Dr"}
    ),
    ("GET", "staff/invitations"): lambda c, r: R("staff/invitations"),
    ("DELETE", "staff/invitations/{invitation_id}"): lambda c, r: R(
        f"staff/invitations/{invitation(c)}"
    ),
    ("POST", "staff/{membership_id}/unlock"): lambda c, r: R(
        f"staff/{c.members['practitioner'].pk}/unlock"
    ),
    ("DELETE", "staff/{membership_id}/two-factor"): lambda c, r: R(
        f"staff/{c.members['practitioner'].pk}/two-factor"
    ),
    ("PUT", "staff/{membership_id}/working-hours"): lambda c, r: R(
        f"staff/{c.members['practitioner'].pk}/working-hours",
        {"location": c.location.pk, "hours": _week(c)},
        ids_in_body=True,
    ),
    # patients and intake
    ("GET", "patients"): lambda c, r: R("patients"),
    ("POST", "patients"): lambda c, r: R("patients", _patient_body(c, r)),
    ("GET", "patients/{patient_id}"): lambda c, r: R(f"patients/{c.patient.pk}"),
    ("PATCH", "patients/{patient_id}"): lambda c, r: R(
        f"patients/{c.patient.pk}", {"phone": "+39 02 1234"}
    ),
    ("GET", "patients/{patient_id}/allergies"): lambda c, r: R(
        f"patients/{c.patient.pk}/allergies"
    ),
    ("POST", "patients/{patient_id}/allergies"): lambda c, r: R(
        f"patients/{c.patient.pk}/allergies", {"substance": f"Nickel {r}"}
    ),
    ("GET", "patients/{patient_id}/medications"): lambda c, r: R(
        f"patients/{c.patient.pk}/medications"
    ),
    ("POST", "patients/{patient_id}/medications"): lambda c, r: R(
        f"patients/{c.patient.pk}/medications", {"name": "Warfarin", "drug_class": "anticoagulant"}
    ),
    ("GET", "patients/{patient_id}/conditions"): lambda c, r: R(
        f"patients/{c.patient.pk}/conditions"
    ),
    ("POST", "patients/{patient_id}/conditions"): lambda c, r: R(
        f"patients/{c.patient.pk}/conditions", {"code": "diabetes"}
    ),
    ("DELETE", "patients/{patient_id}/{kind}/{record_id}"): lambda c, r: R(
        f"patients/{c.patient.pk}/medications/{medication(c)}"
    ),
    ("GET", "patients/{patient_id}/consents"): lambda c, r: R(f"patients/{c.patient.pk}/consents"),
    ("POST", "patients/{patient_id}/consents"): lambda c, r: R(
        f"patients/{c.patient.pk}/consents",
        {"kind": "general", "version": "1", "signed_on": "2026-01-01"},
    ),
    ("POST", "patients/{patient_id}/consents/{consent_id}/withdraw"): lambda c, r: R(
        f"patients/{c.patient.pk}/consents/{consent(c)}/withdraw"
    ),
    ("GET", "patients/{patient_id}/weights"): lambda c, r: R(f"patients/{c.patient.pk}/weights"),
    ("POST", "patients/{patient_id}/weights"): lambda c, r: R(
        f"patients/{c.patient.pk}/weights", {"kg": "61.5", "measured_on": "2026-01-01"}
    ),
    # safety
    ("POST", "safety/check"): lambda c, r: R(
        "safety/check", {"patient": c.patient.pk, "moment": "booking"}, ids_in_body=True
    ),
    ("GET", "safety/checks/{check_id}"): lambda c, r: R(f"safety/checks/{safety_check(c)}"),
    ("POST", "safety/checks/{check_id}/override"): lambda c, r: R(
        f"safety/checks/{safety_check(c)}/override", {"reason": "discussed with the patient"}
    ),
    ("GET", "safety/overrides"): lambda c, r: R("safety/overrides"),
    ("GET", "safety/rules"): lambda c, r: R("safety/rules"),
    ("PUT", "safety/rules/{code}"): lambda c, r: R(
        "safety/rules/keloid_history", {"severity": "warn"}
    ),
    # inventory
    ("POST", "lots"): lambda c, r: R(
        "lots",
        {
            "location": c.location.pk,
            "quantity": "10",
            "product": caffeine_id(),
            "lot_number": f"NEW-{r}",
            "expiry": "2099-01-31",
        },
        ids_in_body=True,
    ),
    ("GET", "lots"): lambda c, r: R("lots"),
    ("GET", "lots/{lot_id}"): lambda c, r: R(f"lots/{lot(c)}"),
    ("POST", "lots/{lot_id}/movements"): lambda c, r: R(
        f"lots/{lot(c)}/movements", {"kind": "waste", "quantity_ml": "1", "reason": "dropped"}
    ),
    ("POST", "lots/{lot_id}/recall"): lambda c, r: R(
        f"lots/{lot(c)}/recall", {"reason": "supplier notice"}
    ),
    ("POST", "lots/{lot_id}/notify-recipients"): lambda c, r: R(
        f"lots/{recalled_lot(c)}/notify-recipients"
    ),
    ("GET", "lots/{lot_id}/recipients"): lambda c, r: R(f"lots/{lot(c)}/recipients"),
    ("GET", "lots/{lot_id}/recipients.csv"): lambda c, r: R(f"lots/{lot(c)}/recipients.csv"),
    ("PUT", "locations/{location_id}/stock-setting"): lambda c, r: R(
        f"locations/{c.location.pk}/stock-setting", {"allow_negative": False}
    ),
    ("GET", "stock/alerts"): lambda c, r: R("stock/alerts"),
    # charting
    ("POST", "appointments/{appointment_id}/session"): lambda c, r: R(
        f"appointments/{appointment(c)}/session"
    ),
    ("POST", "sessions"): lambda c, r: R(
        "sessions", {"patient": c.patient.pk, "location": c.location.pk}, ids_in_body=True
    ),
    ("GET", "sessions/{session_id}"): lambda c, r: R(f"sessions/{session(c)}"),
    ("PATCH", "sessions/{session_id}"): lambda c, r: R(
        f"sessions/{session(c)}", {"notes": "tolerated well"}
    ),
    ("POST", "sessions/{session_id}/injections"): lambda c, r: R(
        f"sessions/{session(c)}/injections", _injection(c)
    ),
    ("DELETE", "sessions/{session_id}/injections/{n}"): lambda c, r: R(
        f"sessions/{session(c)}/injections/1"
    ),
    ("POST", "sessions/{session_id}/side-effects"): lambda c, r: R(
        f"sessions/{session(c)}/side-effects", {"kind": "bruising", "grade": 1}
    ),
    ("POST", "sessions/{session_id}/sign"): lambda c, r: R(f"sessions/{session(c, r)}/sign"),
    ("POST", "sessions/{session_id}/discard"): lambda c, r: R(
        f"sessions/{session(c)}/discard", {"reason": "opened for the wrong patient"}
    ),
    ("POST", "sessions/{session_id}/amendments"): lambda c, r: R(
        f"sessions/{_signed_session(c)}/amendments", {"reason": "typo", "changes": []}
    ),
    ("GET", "sessions/{session_id}/suggestion"): lambda c, r: R(
        f"sessions/{session(c)}/suggestion"
    ),
    ("GET", "patients/{patient_id}/sessions"): lambda c, r: R(f"patients/{c.patient.pk}/sessions"),
    ("GET", "me/unsigned-sessions"): lambda c, r: R("me/unsigned-sessions"),
    # catalog and scales
    ("GET", "indications"): lambda c, r: R("indications"),
    ("GET", "protocols"): lambda c, r: R("protocols"),
    ("POST", "protocols"): lambda c, r: R(
        "protocols", {"copy_of": protocol(c), "code": f"copy_{r}"}, ids_in_body=True
    ),
    ("GET", "protocols/{protocol_id}"): lambda c, r: R(f"protocols/{protocol(c)}"),
    ("PATCH", "protocols/{protocol_id}"): lambda c, r: R(
        f"protocols/{protocol(c)}", {"notes": "our way", "reason": "house style"}
    ),
    ("GET", "protocols/{protocol_id}/versions"): lambda c, r: R(
        f"protocols/{protocol(c)}/versions"
    ),
    ("GET", "products"): lambda c, r: R("products"),
    ("GET", "ingredients"): lambda c, r: R("ingredients"),
    ("GET", "scales"): lambda c, r: R("scales"),
    ("POST", "scales/{scale_id}/score"): lambda c, r: R(
        "scales/vas-pain/score", {"items": {"score": 5}}
    ),
    # assessments and plans
    ("GET", "patients/{patient_id}/assessments"): lambda c, r: R(
        f"patients/{c.patient.pk}/assessments"
    ),
    ("POST", "patients/{patient_id}/assessments"): lambda c, r: R(
        f"patients/{c.patient.pk}/assessments", {"scale": "vas-pain", "items": {"score": 4}}
    ),
    ("GET", "assessments/{assessment_id}"): lambda c, r: R(f"assessments/{assessment(c)}"),
    ("GET", "patients/{patient_id}/plans"): lambda c, r: R(f"patients/{c.patient.pk}/plans"),
    ("POST", "patients/{patient_id}/plans"): lambda c, r: R(
        f"patients/{c.patient.pk}/plans", {"protocol": protocol(c)}, ids_in_body=True
    ),
    ("GET", "plans/{plan_id}"): lambda c, r: R(f"plans/{plan(c)}"),
    ("POST", "plans/{plan_id}/review"): lambda c, r: R(
        f"plans/{plan(c)}/review", {"assessment": assessment(c)}, ids_in_body=True
    ),
    ("POST", "plans/{plan_id}/activate"): lambda c, r: R(f"plans/{plan(c)}/activate", {}),
    ("POST", "plans/{plan_id}/complete"): lambda c, r: R(
        f"plans/{plan(c)}/complete", {"reason": "done"}
    ),
    ("POST", "plans/{plan_id}/stop"): lambda c, r: R(f"plans/{plan(c)}/stop", {"reason": "moved"}),
    # scheduling
    ("GET", "availability"): lambda c, r: R(
        "availability",
        query={"location": c.location.pk, "date_from": DAY, "date_to": DAY, "duration_min": 30},
    ),
    ("GET", "online-booking/services"): lambda c, r: R("online-booking/services"),
    ("GET", "online-booking/slots"): lambda c, r: R(
        "online-booking/slots",
        query={
            "service": online_service(c),
            "location": c.location.pk,
            "date_from": DAY,
            "date_to": DAY,
        },
    ),
    ("POST", "plans/{plan_id}/course-proposals"): lambda c, r: R(
        f"plans/{plan(c)}/course-proposals",
        {"location": c.location.pk, "earliest": DAY},
        ids_in_body=True,
    ),
    ("POST", "plans/{plan_id}/rest-proposals"): lambda c, r: R(
        f"plans/{plan(c)}/rest-proposals", {"location": c.location.pk}, ids_in_body=True
    ),
    ("POST", "plans/{plan_id}/book"): lambda c, r: R(
        f"plans/{plan(c)}/book", {"sessions": [_course_session(c)]}, ids_in_body=True
    ),
    ("POST", "plans/{plan_id}/reschedule"): lambda c, r: R(
        f"plans/{plan(c)}/reschedule", {"sessions": [_course_session(c)]}, ids_in_body=True
    ),
    ("POST", "appointments"): lambda c, r: R(
        "appointments",
        {
            "patient": c.patient.pk,
            "practitioner": c.members["practitioner"].pk,
            "room": c.room.pk,
            "start": f"{LATER}T10:00:00+02:00",
            "duration_min": 30,
        },
        ids_in_body=True,
    ),
    ("GET", "appointments"): lambda c, r: R("appointments"),
    ("GET", "appointments/{appointment_id}"): lambda c, r: R(f"appointments/{appointment(c)}"),
    ("PATCH", "appointments/{appointment_id}"): lambda c, r: R(
        f"appointments/{appointment(c)}", {"notes": "moved by phone"}
    ),
    ("POST", "appointments/{appointment_id}/cancel"): lambda c, r: R(
        f"appointments/{appointment(c)}/cancel", {"reason": "patient asked"}
    ),
    ("POST", "appointments/{appointment_id}/no-show"): lambda c, r: R(
        f"appointments/{appointment(c)}/no-show"
    ),
    ("POST", "appointments/{appointment_id}/check-in"): lambda c, r: R(
        f"appointments/{appointment(c)}/check-in", {"reason": "came in early"}
    ),
    ("POST", "appointments/{appointment_id}/complete"): lambda c, r: R(
        f"appointments/{appointment(c)}/complete"
    ),
    ("GET", "blocks"): lambda c, r: R("blocks"),
    ("POST", "blocks"): lambda c, r: R(
        "blocks",
        {
            "room": c.room.pk,
            "start": f"{LATER}T08:00:00+02:00",
            "end": f"{LATER}T09:00:00+02:00",
            "reason": "cleaning",
        },
        ids_in_body=True,
    ),
    ("DELETE", "blocks/{block_id}"): lambda c, r: R(f"blocks/{block(c)}"),
    ("POST", "waitlist"): lambda c, r: R(
        "waitlist",
        {
            "patient": c.patient.pk,
            "location": c.location.pk,
            "earliest": DAY,
            "duration_min": 30,
        },
        ids_in_body=True,
    ),
    ("GET", "waitlist"): lambda c, r: R("waitlist"),
    ("POST", "waitlist/{entry_id}/accept"): lambda c, r: R(f"waitlist/{waitlist_entry(c)}/accept"),
    ("POST", "waitlist/{entry_id}/withdraw"): lambda c, r: R(
        f"waitlist/{waitlist_entry(c)}/withdraw"
    ),
    ("POST", "waitlist/{entry_id}/decline"): lambda c, r: R(
        f"waitlist/{waitlist_entry(c)}/decline"
    ),
    ("POST", "calendar-feeds"): lambda c, r: R(
        "calendar-feeds", _feed_body(c, r), ids_in_body=True
    ),
    ("GET", "calendar-feeds"): lambda c, r: R("calendar-feeds"),
    ("DELETE", "calendar-feeds/{feed_id}"): lambda c, r: R(f"calendar-feeds/{calendar_feed(c, r)}"),
    # messages and alerts
    ("GET", "messages"): lambda c, r: R("messages"),
    ("POST", "messages/{message_id}/retry"): lambda c, r: R(f"messages/{message(c)}/retry"),
    ("GET", "alerts"): lambda c, r: R("alerts"),
    ("POST", "alerts/{alert_id}/acknowledge"): lambda c, r: R(f"alerts/{alert(c)}/acknowledge"),
    # outcomes
    ("POST", "patients/{patient_id}/measurements"): lambda c, r: R(
        f"patients/{c.patient.pk}/measurements",
        {"kind": "weight", "value": "61.2", "measured_on": "2026-01-01"},
    ),
    ("GET", "patients/{patient_id}/measurements"): lambda c, r: R(
        f"patients/{c.patient.pk}/measurements"
    ),
    ("POST", "patients/{patient_id}/photos"): lambda c, r: R(
        f"patients/{c.patient.pk}/photos",
        {"body_zone": "chin", "view": "front"},
        files={"file": ("face.png", png(), "image/png")},
    ),
    ("GET", "patients/{patient_id}/photos"): lambda c, r: R(f"patients/{c.patient.pk}/photos"),
    ("GET", "photos/{photo_id}/file"): lambda c, r: R(f"photos/{photo(c)}/file"),
    ("GET", "plans/{plan_id}/progress"): lambda c, r: R(f"plans/{plan(c)}/progress"),
    ("GET", "reports/outcomes"): lambda c, r: R("reports/outcomes"),
    # the till (billing)
    ("GET", "prices"): lambda c, r: R("prices"),
    ("POST", "prices"): lambda c, r: R(
        "prices",
        {
            "code": f"p-{r}",
            "name": "Serum",
            "kind": "product",
            "amount": "24.59",
            "tax_category": "S",
            "tax_rate": "22",
        },
    ),
    ("GET", "prices/{item_id}"): lambda c, r: R(f"prices/{price_item(c)}"),
    ("PATCH", "prices/{item_id}"): lambda c, r: R(f"prices/{price_item(c)}", {"amount": "25.00"}),
    ("GET", "packages"): lambda c, r: R("packages"),
    ("POST", "packages"): lambda c, r: R(
        "packages",
        {
            "name": "Course",
            "protocol_id": protocol(c),
            "sessions": 6,
            "price": "600.00",
            "exemption_reason": "medical care",
        },
        ids_in_body=True,
    ),
    ("GET", "packages/{offer_id}"): lambda c, r: R(f"packages/{offer(c)}"),
    ("PATCH", "packages/{offer_id}"): lambda c, r: R(f"packages/{offer(c)}", {"name": "Course B"}),
    ("POST", "packages/{offer_id}/revise"): lambda c, r: R(
        f"packages/{offer(c)}/revise", {"price": "540.00"}
    ),
    ("GET", "patients/{patient_id}/packages"): lambda c, r: R(f"patients/{c.patient.pk}/packages"),
    ("POST", "patients/{patient_id}/packages"): lambda c, r: R(
        f"patients/{c.patient.pk}/packages",
        {"offer_id": offer(c), "location_id": c.location.pk},
        ids_in_body=True,
    ),
    ("POST", "patients/{patient_id}/packages/{package_id}/cancel"): lambda c, r: R(
        f"patients/{c.patient.pk}/packages/{patient_package(c)}/cancel", {"reason": "moved"}
    ),
    ("GET", "patients/{patient_id}/account"): lambda c, r: R(f"patients/{c.patient.pk}/account"),
    ("POST", "invoices"): lambda c, r: R(
        "invoices",
        {
            "kind": "retail",
            "patient_id": c.patient.pk,
            "location_id": c.location.pk,
            "items": [{"item_id": price_item(c), "quantity": "1"}],
        },
        ids_in_body=True,
    ),
    ("GET", "invoices"): lambda c, r: R("invoices"),
    ("GET", "invoices/{invoice_id}"): lambda c, r: R(f"invoices/{invoice(c)}"),
    ("GET", "invoices/{invoice_id}/pdf"): lambda c, r: R(f"invoices/{documented_invoice(c)}/pdf"),
    ("GET", "invoices/{invoice_id}/xml"): lambda c, r: R(f"invoices/{documented_invoice(c)}/xml"),
    ("GET", "invoices/{invoice_id}/credit-notes"): lambda c, r: R(
        f"invoices/{invoice(c)}/credit-notes"
    ),
    ("POST", "invoices/{invoice_id}/credit-notes"): lambda c, r: R(
        f"invoices/{invoice(c)}/credit-notes", {"reason": "returned"}
    ),
    ("GET", "payments"): lambda c, r: R("payments"),
    ("POST", "payments"): lambda c, r: R(
        "payments",
        {
            "amount": "10.00",
            "method": "cash",
            "location_id": c.location.pk,
            "invoice_id": invoice(c),
        },
        ids_in_body=True,
    ),
    ("GET", "deposits"): lambda c, r: R("deposits"),
    ("GET", "cancellation-policy"): lambda c, r: R(
        "cancellation-policy" if cancellation_policy(c) else "cancellation-policy"
    ),
    ("POST", "cancellation-policy"): lambda c, r: R(
        "cancellation-policy", {"late_cancel_hours": 24}
    ),
    ("GET", "reports/takings"): lambda c, r: R("reports/takings", query={"date": DAY}),
    ("GET", "reports/takings.csv"): lambda c, r: R(
        "reports/takings.csv", query={"date_from": DAY, "date_to": LATER}
    ),
    # business reports (issue 16)
    **{
        ("GET", f"reports/{name}"): (
            lambda n: lambda c, r: R(f"reports/{n}", query={"date_from": DAY, "date_to": LATER})
        )(name)
        for name in ("attendance", "packages", "product-cost", "lapsed", "utilisation")
    },
    ("POST", "reports/lapsed/{plan_id}/recall"): lambda c, r: R(
        f"reports/lapsed/{lapsed_plan(c)}/recall"
    ),
}


def lapsed_plan(c: Any) -> int:
    """A completed plan whose maintenance session fell due ten days ago."""
    from mesocare.plans.models import TreatmentPlan

    pk = plan(c)
    today = dt.date.today()
    TreatmentPlan.objects.filter(pk=pk).update(
        status="completed",
        completed_on=today - dt.timedelta(days=200),
        maintenance_due_on=today - dt.timedelta(days=10),
    )
    return pk


def send(client: Any, method: str, request: Request, headers: dict[str, str]) -> Any:
    """Send `request` with a django test client; `headers` are extra WSGI headers."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = PREFIX + request.path
    if request.files is not None:
        data: dict[str, Any] = dict(request.body or {})
        for name, (filename, content, content_type) in request.files.items():
            data[name] = SimpleUploadedFile(filename, content, content_type=content_type)
        return client.post(url, data, **headers)
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(url, request.query or None, **headers)
    import json

    return getattr(client, method.lower())(
        url,
        json.dumps(request.body if request.body is not None else {}, default=str),
        content_type="application/json",
        **headers,
    )
