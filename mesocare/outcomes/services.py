"""Measurements and photos: every change and every photo read is scoped and audited."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Zone
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Invalid
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.outcomes.choices import (
    DISTANCE_LANDMARKS,
    KIND_UNITS,
    Landmark,
    MeasurementKind,
    PhotoSource,
    ViewAngle,
)
from mesocare.outcomes.imaging import ImageRejected, process_image
from mesocare.outcomes.models import Measurement, Photo
from mesocare.patients.choices import ConsentKind, PhotoUse
from mesocare.patients.models import Consent, Patient


def _session(org_id: int, patient: Patient, session_id: int | None) -> Any:
    if session_id is None:
        return None
    from mesocare.charting.models import TreatmentSession

    session = TreatmentSession.objects.for_org(org_id).filter(pk=session_id).first()
    if session is None or session.patient_id != patient.pk:
        raise Invalid.field("session", _("No such session for this patient."))
    return session


# --- measurements ---------------------------------------------------------------------------


@transaction.atomic
def add_measurement(
    actor: Actor,
    patient: Patient,
    *,
    kind: str,
    value: Decimal,
    measured_on: dt.date,
    landmark: str = "",
    distance_cm: Decimal | None = None,
    session_id: int | None = None,
    notes: str = "",
) -> Measurement:
    actor.require(Perm.CLINICAL_EDIT)
    if kind not in MeasurementKind.values:
        raise Invalid.field("kind", _("Unknown kind of measurement."))
    if measured_on > timezone.localdate():
        raise Invalid.field("measured_on", _("A measurement cannot be in the future."))
    if kind != MeasurementKind.WEIGHT and not landmark:
        raise Invalid.field("landmark", _("Say where it was measured."))
    if landmark and landmark not in Landmark.values:
        raise Invalid.field("landmark", _("Unknown landmark."))
    if landmark in DISTANCE_LANDMARKS and distance_cm is None:
        raise Invalid.field(
            "distance_cm", _("Record the distance from the reference so it can be repeated.")
        )
    if value <= 0:
        raise Invalid.field("value", _("Must be greater than zero."))
    measurement = Measurement(
        organization_id=actor.org_id,
        patient=patient,
        kind=kind,
        landmark=landmark if kind != MeasurementKind.WEIGHT else "",
        distance_cm=distance_cm,
        value=value,
        unit=KIND_UNITS[MeasurementKind(kind)],
        measured_on=measured_on,
        session=_session(actor.org_id, patient, session_id),
        notes=notes,
        measured_by=actor.user,
    )
    full_clean_or_invalid(measurement, exclude=["patient", "session", "measured_by"])
    measurement.save()
    record(
        actor,
        AuditAction.CREATE,
        measurement,
        patient_id=patient.pk,
        summary=f"measurement: {measurement}",
    )
    return measurement


def list_measurements(actor: Actor, patient: Patient) -> QuerySet[Measurement]:
    actor.require(Perm.CLINICAL_VIEW)
    return Measurement.objects.for_org(actor.org_id).filter(patient=patient)


# --- photos ---------------------------------------------------------------------------------


def photo_consent_scope(patient: Patient) -> str:
    """The use the patient's current photo consent allows; clinical records only without one."""
    consent = (
        Consent.objects.for_org(patient.organization_id)
        .filter(patient=patient, kind=ConsentKind.PHOTO, withdrawn_on__isnull=True)
        .order_by("-signed_on", "-id")
        .first()
    )
    return consent.photo_use if consent is not None else PhotoUse.CLINICAL


def restrict_photos_to_consent(patient: Patient, on: dt.date | None = None) -> int:
    """After a photo consent is withdrawn or narrowed: earlier photos become clinical-only."""
    if photo_consent_scope(patient) != PhotoUse.CLINICAL:
        return 0
    return (
        Photo.objects.for_org(patient.organization_id)
        .filter(patient=patient)
        .exclude(consent_scope=PhotoUse.CLINICAL)
        .update(consent_scope=PhotoUse.CLINICAL, scope_changed_on=on or timezone.localdate())
    )


def store_photo(
    org_id: int,
    patient: Patient,
    data: bytes,
    *,
    body_zone: str,
    view: str,
    session: Any = None,
    taken_at: dt.datetime | None = None,
    uploaded_by: Any = None,
    source: str = PhotoSource.STAFF,
) -> Photo:
    """Validate, clean and store one photo (no permission check: callers do that)."""
    if view not in ViewAngle.values:
        raise Invalid.field("view", _("Unknown view angle."))
    if (body_zone or source != PhotoSource.PATIENT) and not Zone.objects.filter(
        code=body_zone
    ).exists():
        raise Invalid.field("body_zone", _("Unknown body zone."))
    try:
        image = process_image(data)
    except ImageRejected as exc:
        raise Invalid.field("file", str(exc), code="bad_image") from None
    stem = f"photos/{org_id}/{patient.pk}/{uuid.uuid4().hex}"
    photo = Photo(
        organization_id=org_id,
        patient=patient,
        content_type=image.content_type,
        width=image.width,
        height=image.height,
        size_bytes=len(image.data),
        sha256=image.sha256,
        body_zone=body_zone,
        view=view,
        session=session,
        consent_scope=photo_consent_scope(patient),
        source=source,
        taken_at=taken_at or timezone.now(),
        uploaded_by=uploaded_by,
    )
    photo.file.save(f"{stem}.{image.extension}", ContentFile(image.data), save=False)
    photo.thumbnail.save(f"{stem}.thumb.jpg", ContentFile(image.thumbnail), save=False)
    try:
        photo.save()
    except Exception:
        # No row, no files. (A rollback of the caller's transaction later leaves orphans,
        # which hold no more than the row would have; they are never reachable by URL.)
        for name in (photo.file.name, photo.thumbnail.name):
            if name:
                photo.file.storage.delete(name)
        raise
    return photo


@transaction.atomic
def upload_photo(
    actor: Actor,
    patient: Patient,
    data: bytes,
    *,
    body_zone: str,
    view: str,
    session_id: int | None = None,
    taken_at: dt.datetime | None = None,
    channel: str = "api",
) -> Photo:
    actor.require(Perm.CLINICAL_EDIT)
    photo = store_photo(
        actor.org_id,
        patient,
        data,
        body_zone=body_zone,
        view=view,
        session=_session(actor.org_id, patient, session_id),
        taken_at=taken_at,
        uploaded_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        photo,
        patient_id=patient.pk,
        summary=f"photo {body_zone}/{view} ({photo.consent_scope})",
        channel=channel,
    )
    return photo


def list_photos(
    actor: Actor, patient: Patient, *, body_zone: str = "", view: str = ""
) -> QuerySet[Photo]:
    actor.require(Perm.CLINICAL_VIEW)
    qs = Photo.objects.for_org(actor.org_id).filter(patient=patient)
    if body_zone:
        qs = qs.filter(body_zone=body_zone)
    if view:
        qs = qs.filter(view=view)
    return qs


def open_photo(
    actor: Actor, photo_id: Any, *, thumbnail: bool = False, channel: str = "api"
) -> tuple[Photo, Any]:
    """The photo's file, opened for reading; another organization's photo is a 404. Audited."""
    actor.require(Perm.CLINICAL_VIEW)
    photo = get_for_org(Photo, actor.org_id, photo_id)
    field = photo.thumbnail if thumbnail else photo.file
    handle = field.open("rb")
    record(
        actor,
        AuditAction.READ,
        photo,
        patient_id=photo.patient_id,
        summary=f"photo {'thumbnail' if thumbnail else 'file'} {photo.body_zone}/{photo.view}",
        channel=channel,
    )
    return photo, handle
