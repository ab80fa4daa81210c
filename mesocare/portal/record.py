"""What a signed-in patient sees of their own record: appointments, course, instructions,
consents — read for ONE patient, in that patient's organization, and audited as a read.

Every function takes the `PortalSession` (from `mesocare.portal.session`) and filters by its
organization AND its patient; an id from the request is only ever looked up inside that scope,
so another patient's id is simply "not found".
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.charting.models import TreatmentSession
from mesocare.errors import Invalid, NotFound
from mesocare.notify.schedules import instructions_payload
from mesocare.patients.choices import ConsentKind
from mesocare.patients.models import Consent
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import TreatmentPlan
from mesocare.portal.accounts import audit
from mesocare.portal.session import PortalSession
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

# The consent texts a patient can sign in the portal: kind → current version.
CONSENT_VERSIONS: dict[str, str] = {
    ConsentKind.GENERAL: "2026-1",
    ConsentKind.TREATMENT: "2026-1",
    ConsentKind.PHOTO: "2026-1",
}
MAX_SIGNATURE_CHARS = 200_000  # a data: URL of a drawn signature (PNG) — about 150 KB


@dataclass
class AppointmentView:
    id: int
    starts_at: dt.datetime  # in the location's zone
    ends_at: dt.datetime
    location: str
    status: str
    status_label: str
    session_index: int | None


@dataclass
class CourseView:
    plan_id: int
    name: str
    status_label: str
    planned: int
    done: int
    booked: int
    pre_care: dict[str, Any] | None
    aftercare: dict[str, Any] | None

    @property
    def remaining(self) -> int:
        return max(self.planned - self.done, 0)


@dataclass
class Overview:
    upcoming: list[AppointmentView] = field(default_factory=list)
    past: list[AppointmentView] = field(default_factory=list)
    courses: list[CourseView] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    consents_to_sign: list[tuple[str, str, str]] = field(default_factory=list)
    sessions: list[TreatmentSession] = field(default_factory=list)


def _appointment_view(appointment: Appointment) -> AppointmentView:
    tz = zoneinfo.ZoneInfo(appointment.location.timezone)
    return AppointmentView(
        id=appointment.pk,
        starts_at=appointment.start.astimezone(tz),
        ends_at=appointment.end.astimezone(tz),
        location=appointment.location.name,
        status=appointment.status,
        status_label=str(appointment.get_status_display()),
        session_index=appointment.course_index,
    )


def overview(session: PortalSession, ip: str | None = None, *, channel: str = "portal") -> Overview:
    """The signed-in patient's home page data, in a bounded number of queries (audited)."""
    patient = session.patient
    org_id = session.org_id
    now = timezone.now()
    appointments = list(
        Appointment.objects.for_org(org_id)
        .filter(patient=patient)
        .select_related("location")
        .order_by("start")[:200]
    )
    result = Overview()
    for appointment in appointments:
        view = _appointment_view(appointment)
        if appointment.start >= now and appointment.status == AppointmentStatus.BOOKED:
            result.upcoming.append(view)
        elif appointment.start < now:
            result.past.append(view)
    result.past.reverse()

    plans = list(
        TreatmentPlan.objects.for_org(org_id)
        .filter(patient=patient, status__in=[PlanStatus.ACTIVE, PlanStatus.REVIEW_NEEDED])
        .select_related("protocol__pre_care", "protocol__aftercare", "protocol__indication")
        .order_by("-id")
    )
    done_by_plan: dict[int, int] = {}
    for plan_id in (
        TreatmentSession.objects.for_org(org_id)
        .filter(patient=patient, signed_at__isnull=False, planned_session__plan__in=plans)
        .values_list("planned_session__plan_id", flat=True)
    ):
        done_by_plan[plan_id] = done_by_plan.get(plan_id, 0) + 1
    booked_by_plan: dict[int, int] = {}
    for appointment in appointments:
        booked_plan = appointment.plan_id
        if booked_plan is not None and appointment.start >= now and appointment.status == "booked":
            booked_by_plan[booked_plan] = booked_by_plan.get(booked_plan, 0) + 1
    for plan in plans:
        protocol = plan.protocol
        result.courses.append(
            CourseView(
                plan_id=plan.pk,
                name=str(protocol.indication),
                status_label=str(plan.get_status_display()),
                planned=plan.sessions_planned,
                done=done_by_plan.get(plan.pk, 0),
                booked=booked_by_plan.get(plan.pk, 0),
                pre_care=instructions_payload(protocol.pre_care),
                aftercare=instructions_payload(protocol.aftercare),
            )
        )

    result.consents = list(
        Consent.objects.for_org(org_id).filter(patient=patient).order_by("-signed_on", "-id")
    )
    signed = {
        (c.kind, c.version) for c in result.consents if c.withdrawn_on is None
    }  # a withdrawn consent may be signed again
    result.consents_to_sign = [
        (kind, version, str(ConsentKind(kind).label))
        for kind, version in CONSENT_VERSIONS.items()
        if (kind, version) not in signed
    ]
    result.sessions = list(
        TreatmentSession.objects.for_org(org_id)
        .filter(patient=patient, started_at__gte=now - dt.timedelta(days=30))
        .order_by("-started_at")[:10]
    )
    with transaction.atomic():
        audit(
            session.account,
            AuditAction.READ,
            "portal: own record overview",
            obj_type="patients.patient",
            obj_id=str(patient.pk),
            patient_id=patient.pk,
            ip=ip,
        )
    return result


@transaction.atomic
def sign_consent(
    session: PortalSession, kind: str, signature: str, ip: str | None = None
) -> Consent:
    """Sign the current version of a consent with a drawn signature (a PNG data: URL). The
    record is the same Consent staff see on the patient's page."""
    if kind not in CONSENT_VERSIONS:
        raise Invalid.field("kind", _("There is no consent of this kind to sign."))
    if not signature.startswith("data:image/png;base64,") or len(signature) < 100:
        raise Invalid.field("signature", _("Draw your signature in the box."))
    if len(signature) > MAX_SIGNATURE_CHARS:
        raise Invalid.field("signature", _("The signature is too large. Clear it and sign again."))
    patient = session.patient
    version = CONSENT_VERSIONS[kind]
    already = Consent.objects.for_org(session.org_id).filter(
        patient=patient, kind=kind, version=version, withdrawn_on__isnull=True
    )
    if already.exists():
        raise Invalid.field("kind", _("You have already signed this consent."))
    signer = session.account.email if session.is_guardian else patient.full_name
    consent = Consent.objects.create(
        organization_id=session.org_id,
        patient=patient,
        kind=kind,
        version=version,
        signed_on=timezone.localdate(),
        signed_by=signer[:200],
        signature=signature,
    )
    audit(
        session.account,
        AuditAction.CREATE,
        f"consent {kind} v{version} signed in the portal",
        obj_type="patients.consent",
        obj_id=str(consent.pk),
        patient_id=patient.pk,
        ip=ip,
    )
    return consent


def own_session(session: PortalSession, session_id: Any) -> TreatmentSession:
    """One of the signed-in patient's treatment sessions, or NotFound (another patient's id
    is indistinguishable from an id that does not exist)."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise NotFound("not_found", _("No such session.")) from None
    found = (
        TreatmentSession.objects.for_org(session.org_id)
        .filter(pk=pk, patient=session.patient)
        .first()
    )
    if found is None:
        raise NotFound("not_found", _("No such session."))
    return found


# --- data rights -----------------------------------------------------------------------------

RETENTION_NOTE = (
    "Clinical records (treatment sessions, injected products and lots, consents, side effects) "
    "and invoices are kept for as long as the law requires the clinic to keep them, even after "
    "an erasure request; everything else is erased or anonymized by the clinic."
)


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def export_record(session: PortalSession, ip: str | None = None) -> dict[str, Any]:
    """The signed-in patient's record as plain JSON-able data (audited as an export)."""
    from mesocare.charting.models import SideEffect
    from mesocare.patients.models import Allergy, Condition, Medication, Weight
    from mesocare.portal.models import CheckInResponse

    patient = session.patient
    org_id = session.org_id

    def rows(model: Any, fields: list[str], **filters: Any) -> list[dict[str, Any]]:
        qs = model.objects.for_org(org_id).filter(**filters).order_by("pk").values(*fields)
        return [{k: _iso(v) for k, v in row.items()} for row in qs]

    data: dict[str, Any] = {
        "format": "mesocare.patient-record",
        "version": 1,
        "exported_at": timezone.now().isoformat(),
        "clinic": session.organization.name,
        "patient": {
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "birth_date": patient.birth_date.isoformat(),
            "sex_at_birth": patient.sex_at_birth,
            "email": patient.email,
            "phone": patient.phone,
            "address": patient.address,
            "preferred_channel": patient.preferred_channel,
        },
        "allergies": rows(Allergy, ["substance", "reaction", "severity"], patient=patient),
        "medications": rows(Medication, ["name", "drug_class"], patient=patient),
        "conditions": rows(Condition, ["code"], patient=patient),
        "weights": rows(Weight, ["kg", "measured_on"], patient=patient),
        "consents": rows(
            Consent,
            ["kind", "version", "signed_on", "photo_use", "signed_by", "withdrawn_on"],
            patient=patient,
        ),
        "appointments": rows(Appointment, ["start", "end", "status"], patient=patient),
        "treatment_sessions": rows(
            TreatmentSession, ["id", "started_at", "signed_at"], patient=patient
        ),
        "side_effects": rows(
            SideEffect, ["kind", "grade", "onset", "source"], session__patient=patient
        ),
        "check_ins": rows(
            CheckInResponse, ["when", "pain_vas", "max_grade", "submitted_at"], patient=patient
        ),
        "retention": RETENTION_NOTE,
    }
    with transaction.atomic():
        audit(
            session.account,
            AuditAction.EXPORT,
            "portal: patient downloaded own record",
            obj_type="patients.patient",
            obj_id=str(patient.pk),
            patient_id=patient.pk,
            ip=ip,
        )
    return data


def record_pdf(session: PortalSession, ip: str | None = None) -> bytes:
    """A printable summary of the same export (weasyprint)."""
    from django.template.loader import render_to_string
    from weasyprint import HTML

    data = export_record(session, ip)
    html = render_to_string("portal/account/record_pdf.html", {"data": data})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


@transaction.atomic
def request_erasure(session: PortalSession, reason: str, ip: str | None = None) -> Any:
    """Ask the clinic to erase the patient's data: a task (alert) for the clinic, once a day."""
    from mesocare.notify.alerts import raise_alert
    from mesocare.notify.choices import AlertKind, AlertSeverity

    if len(reason) > 2000:
        raise Invalid.field("reason", _("Keep the reason under 2000 characters."))
    patient = session.patient
    alert = raise_alert(
        session.org_id,
        kind=AlertKind.DATA_REQUEST,
        severity=AlertSeverity.INFO,
        patient_id=patient.pk,
        message=_("%(patient)s asks for their data to be erased.") % {"patient": patient.full_name}
        + (f" {reason}" if reason else ""),
        details={"requested_by": session.account.email, "retention": RETENTION_NOTE},
        source_ref=f"erasure:{patient.pk}:{timezone.localdate().isoformat()}",
    )
    audit(
        session.account,
        AuditAction.CREATE,
        "portal: erasure requested",
        obj_type="notify.alert",
        obj_id=str(alert.pk),
        patient_id=patient.pk,
        ip=ip,
    )
    return alert
