"""Two organizations on one server: no endpoint lets one read or change the other's data.

Driven by the OpenAPI document, so every new endpoint is covered without touching this file —
except to teach it how to make an object for a new kind of path parameter (RESOURCES)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from mesocare.api.root import api as ninja_api
from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Allergy, Consent, Medication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


Factory = Callable[[Any], Any]


def _allergy(c: Any) -> int:
    return Allergy.objects.create(organization=c.org, patient=c.patient, substance="soy").pk


def _medication(c: Any) -> int:
    return Medication.objects.create(
        organization=c.org, patient=c.patient, name="x", drug_class="other"
    ).pk


def _consent(c: Any) -> int:
    return Consent.objects.create(
        organization=c.org, patient=c.patient, kind="general", version="1", signed_on="2026-01-01"
    ).pk


def _safety_check(c: Any) -> int:
    from mesocare.safety.models import SafetyCheck

    return SafetyCheck.objects.create(
        organization=c.org, patient=c.patient, moment="booking", on="2026-01-01", blocked=True
    ).pk


def _protocol(c: Any) -> int:
    from mesocare.catalog.models import Protocol
    from mesocare.catalog.services import copy_protocol

    default = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    return copy_protocol(c.actor(), default).pk


def _assessment(c: Any) -> int:
    from mesocare.assessments.services import record_assessment

    return record_assessment(c.actor(), c.patient, scale_id="vas-pain", items={"score": 5}).pk


def _plan(c: Any) -> int:
    from mesocare.catalog.models import Protocol
    from mesocare.plans.services import create_plan

    fixed = Protocol.objects.get(organization__isnull=True, code="striae_ha_silicon_linear")
    return create_plan(c.actor(), c.patient, protocol=fixed).pk


def _appointment(c: Any) -> int:
    import datetime as dt

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


def _waitlist_entry(c: Any) -> int:
    import datetime as dt

    from mesocare.scheduling.models import WaitlistEntry

    return WaitlistEntry.objects.create(
        organization=c.org,
        patient=c.patient,
        location=c.location,
        earliest=dt.date(2030, 3, 25),
        duration_min=30,
        created_by=c.user("admin"),
    ).pk


def _block(c: Any) -> int:
    import datetime as dt

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


def _calendar_feed(c: Any) -> int:
    from mesocare.scheduling.services.feeds import create_feed

    return create_feed(c.actor(), patient=c.patient)[0].pk


def _lot(c: Any) -> int:
    import datetime as dt
    from decimal import Decimal

    from mesocare.catalog.models import Product
    from mesocare.inventory.services.stock import receive_stock

    product = Product.objects.get(organization__isnull=True, code="caffeine_20")
    return receive_stock(
        c.actor(),
        product=product,
        location=c.location,
        lot_number=f"T{c.org.pk}",
        expiry=dt.date(2099, 1, 31),
        quantity_ml=Decimal(10),
    ).pk


def _session(c: Any) -> int:
    from mesocare.charting.services.sessions import open_walk_in

    return open_walk_in(c.actor("practitioner"), patient=c.patient, location=c.location).pk


def _message(c: Any) -> int:
    from django.db import transaction
    from django.utils import timezone

    from mesocare.notify.outbox import enqueue

    c.patient.email = "patient@example.org"
    c.patient.save()
    with transaction.atomic():
        message = enqueue(
            c.org.pk, c.patient, "reminder", due_at=timezone.now(), payload={},
            idempotency_key=f"tenancy-{c.org.pk}",
        )  # fmt: skip
    assert message is not None
    return message.pk


def _alert(c: Any) -> int:
    from mesocare.notify.alerts import raise_alert

    return raise_alert(
        c.org.pk, kind="check_in", severity="warning", message="x", patient_id=c.patient.pk
    ).pk


def _photo(c: Any) -> int:
    import io

    from PIL import Image

    from mesocare.outcomes.services import store_photo

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, format="PNG")
    return store_photo(c.org.pk, c.patient, buffer.getvalue(), body_zone="chin", view="front").pk


# The path segment before a parameter names the resource; this makes one in an organization.
RESOURCES: dict[str, Factory] = {
    "patients": lambda c: c.patient.pk,
    "locations": lambda c: c.location.pk,
    "rooms": lambda c: c.room.pk,
    "staff": lambda c: c.members["practitioner"].pk,
    "allergies": _allergy,
    "medications": _medication,
    "consents": _consent,
    "checks": _safety_check,
    "protocols": _protocol,
    "assessments": _assessment,
    "plans": _plan,
    "sessions": _session,
    "lots": _lot,
    "appointments": _appointment,
    "waitlist": _waitlist_entry,
    "blocks": _block,
    "calendar-feeds": _calendar_feed,
    "messages": _message,
    "alerts": _alert,
    "photos": _photo,
}
# Parameters that are not object ids: a value that routes to a real handler.
LITERALS = {
    "kind": "medications",
    "code": "keloid_history",
    "scale_id": "hexsel-css",
    "n": "1",
}


def _operations() -> list[tuple[str, str, bool]]:
    schema = ninja_api.get_openapi_schema()
    return [
        (method, path.removeprefix("/api/v1/"), "{" in path)
        for path, ops in schema["paths"].items()
        for method in ops
    ]


def _fill(path: str, owner: Any) -> str:
    """Replace each {param} by a literal or by the id of a new object of the resource named by
    the segment before it."""
    segments = path.split("/")
    for i, segment in enumerate(segments):
        match = re.fullmatch(r"\{(\w+)\}", segment)
        if not match:
            continue
        if match.group(1) in LITERALS:
            segments[i] = LITERALS[match.group(1)]
            continue
        resource = segments[i - 1]
        assert resource in RESOURCES, (
            f"teach tests/api/test_tenancy.py RESOURCES how to make a {resource!r} object"
        )
        segments[i] = str(RESOURCES[resource](owner))
    return "/".join(segments)


def test_every_endpoint_with_an_id_hides_other_organizations_objects(
    clinic: Any, other_clinic: Any
) -> None:
    me = clinic.api("admin")
    operations = [op for op in _operations() if op[2]]
    assert operations, "the OpenAPI document lists no path with parameters"
    for method, path, _params in operations:
        foreign_path = _fill(path, other_clinic)
        before = AuditEvent.objects.filter(organization=other_clinic.org).count()
        response = getattr(me, method)(
            foreign_path, *([{}] if method in ("post", "patch", "put") else [])
        )
        allowed = (404,) if method in ("get", "delete") else (404, 422)
        assert response.status_code in allowed, (
            f"{method.upper()} {foreign_path}: {response.status_code}"
        )
        assert response["Content-Type"] == "application/problem+json"
        after = AuditEvent.objects.filter(organization=other_clinic.org).count()
        assert after == before, f"{method.upper()} {foreign_path} touched the other organization"


def test_list_endpoints_never_show_other_organizations_rows(clinic: Any, other_clinic: Any) -> None:
    me = clinic.api("admin")
    markers = [other_clinic.org.slug, other_clinic.patient.family_name, other_clinic.location.name]
    for method, path, params in _operations():
        if method != "get" or params:
            continue
        response = me.get(path)
        assert response.status_code < 500, path
        text = response.content.decode()
        for marker in markers:
            assert marker not in text, f"GET {path} shows {marker!r} of another organization"


def test_the_same_endpoints_work_for_the_owner(clinic: Any) -> None:
    me = clinic.api("admin")
    for method, path, params in _operations():
        if method != "get" or not params:
            continue
        response = me.get(_fill(path, clinic))
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
