"""Patient answers through portal links: pre-care confirmations and side-effect check-ins.

The views hand in the verified link (`links.read_token`: a `PreCareLink`, `CheckInLink` or
`RecallLink`); each function re-checks that
the object named in it belongs to that patient in that organization, so a valid link can
never open another patient's form.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.charting.models import TreatmentSession
from mesocare.charting.services.injections import (
    ReportedEffect,
    record_patient_reported_side_effects,
)
from mesocare.errors import Conflict, NotFound
from mesocare.notify.alerts import raise_alert
from mesocare.notify.choices import AlertKind, AlertSeverity
from mesocare.notify.links import CheckInLink, LinkPayload, PreCareLink, RecallLink
from mesocare.outcomes.choices import PhotoSource, ViewAngle
from mesocare.outcomes.services import store_photo
from mesocare.patients.models import Patient
from mesocare.portal.grading import CheckInAnswers, alert_severity, grade_check_in, needs_alert
from mesocare.portal.models import CheckInResponse, PreCareConfirmation
from mesocare.portal.precare import precare_items
from mesocare.scheduling.models import Appointment


def patient_of(link: LinkPayload) -> Patient:
    patient = Patient.objects.filter(pk=link.patient, organization_id=link.organization).first()
    if patient is None or not patient.is_active:
        raise NotFound("not_found", _("This link is no longer valid."))
    return patient


# --- pre-care -------------------------------------------------------------------------------


def _appointment(link: PreCareLink, patient: Patient) -> Appointment:
    appointment = Appointment.objects.filter(
        pk=link.appointment, organization_id=patient.organization_id
    )
    found = appointment.first()
    if found is None or found.patient_id != patient.pk:
        raise NotFound("not_found", _("This link is no longer valid."))
    return found


def precare_form(link: PreCareLink) -> tuple[Patient, Any, list[dict[str, Any]], list[str]]:
    patient = patient_of(link)
    appointment = _appointment(link, patient)
    items = precare_items(link.instruction_set)
    answer = PreCareConfirmation.objects.filter(
        organization_id=patient.organization_id, appointment_id=link.appointment
    ).first()
    return patient, appointment, items, list(answer.items_confirmed) if answer else []


# --- side-effect check-ins -----------------------------------------------------------------


def _treatment_session(link: CheckInLink, patient: Patient) -> TreatmentSession:
    session = TreatmentSession.objects.filter(
        pk=link.session, organization_id=patient.organization_id
    )
    found = session.first()
    if found is None or found.patient_id != patient.pk:
        raise NotFound("not_found", _("This link is no longer valid."))
    return found


def check_in_form(link: CheckInLink) -> tuple[Patient, Any, CheckInResponse | None]:
    patient = patient_of(link)
    session = _treatment_session(link, patient)
    existing = CheckInResponse.objects.filter(
        organization_id=patient.organization_id, session_id=link.session, when=link.when
    ).first()
    return patient, session, existing


def _side_effects(
    session: TreatmentSession, findings: list[Any], now: dt.datetime, notes: str
) -> None:
    """Patient-reported side effects in charting (source=patient), appended to the session."""
    suffix = f" — {notes}" if notes else ""
    record_patient_reported_side_effects(
        session,
        [ReportedEffect(f.kind, f.grade, f"check-in: {f.reason}{suffix}") for f in findings],
        onset=now,
    )


@transaction.atomic
def submit_check_in(
    link: CheckInLink,
    answers: CheckInAnswers,
    *,
    notes: str = "",
    photo: bytes | None = None,
    body_zone: str = "",
) -> CheckInResponse:
    patient, session, existing = check_in_form(link)
    if existing is not None:
        raise Conflict("already_answered", _("This check-in was already answered. Thank you."))
    now = timezone.now()
    findings = grade_check_in(answers)
    stored_photo = None
    if photo:
        stored_photo = store_photo(
            patient.organization_id,
            patient,
            photo,
            body_zone=body_zone,
            view=ViewAngle.FRONT,
            session=session,
            source=PhotoSource.PATIENT,
        )
    response = CheckInResponse(
        organization_id=patient.organization_id,
        patient=patient,
        session_id=link.session,
        when=link.when,
        pain_vas=Decimal(answers.pain_vas),
        bruising=answers.bruising,
        swelling=answers.swelling,
        redness=answers.redness,
        warmth=answers.warmth,
        nodules=answers.nodules,
        fever=answers.fever,
        discharge=answers.discharge,
        skin_colour_change=answers.skin_colour_change,
        notes=notes[:4000],
        photo=stored_photo,
        findings=[f.__dict__ for f in findings],
        max_grade=max((f.grade for f in findings), default=0),
    )
    try:
        with transaction.atomic():
            response.save()
    except IntegrityError:
        raise Conflict("already_answered", _("This check-in was already answered.")) from None
    _side_effects(session, findings, now, notes[:500])
    if needs_alert(findings):
        summary = "; ".join(
            _("%(kind)s grade %(grade)s (%(reason)s)")
            % {"kind": _side_effect_label(f.kind), "grade": f.grade, "reason": f.reason}
            for f in findings
        )
        response.alert = raise_alert(
            patient.organization_id,
            kind=AlertKind.CHECK_IN,
            severity=alert_severity(findings),
            patient_id=patient.pk,
            message=_("%(patient)s reported after the session: %(summary)s")
            % {"patient": patient.full_name, "summary": summary},
            details={"check_in": response.pk, "session": link.session, "when": link.when},
            source_ref=f"checkin:{response.pk}",
        )
        response.save(update_fields=["alert"])
    return response


def request_booking(link: RecallLink) -> None:
    """The maintenance-recall link: the patient asks to be called for an appointment."""
    patient = patient_of(link)
    raise_alert(
        patient.organization_id,
        kind=AlertKind.BOOKING_REQUEST,
        severity=AlertSeverity.INFO,
        patient_id=patient.pk,
        message=_("%(patient)s asks for a maintenance appointment.")
        % {"patient": patient.full_name},
        details={"plan": link.plan},
        source_ref=f"recall:{link.plan}:{timezone.localdate().isoformat()}",
    )


def _side_effect_label(kind: str) -> str:
    from mesocare.charting.choices import SideEffectKind

    try:
        return str(SideEffectKind(kind).label)
    except ValueError:
        return kind.replace("_", " ")
