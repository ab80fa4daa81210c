"""A new patient's online booking: the intake they report, the safety check, the booking.

What the patient enters is written to the chart through the patients services, in the name of
the organization's "Online booking" member (so every record says it was patient-reported), and
kept as an `IntakeSubmission` until a member of staff confirms it. The safety engine runs on
it for the chosen service: a contraindication (any block of the engine: online, nobody is
there to override one) stops the online booking, flags the submission and raises a staff alert; the
patient only reads that they should call the clinic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.booking.choices import IntakeOutcome, IntakeStatus
from mesocare.booking.models import Hold, IntakeSubmission, OnlineAppointment
from mesocare.booking.services.setup import online_actor
from mesocare.booking.services.slots import (
    next_free_slots,
    open_hold,
    release_hold,
)
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Organization
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict
from mesocare.notify.alerts import raise_alert
from mesocare.notify.choices import AlertKind, AlertSeverity
from mesocare.patients.models import Patient
from mesocare.patients.services import records
from mesocare.patients.services.registry import register_patient
from mesocare.safety.choices import Moment
from mesocare.safety.services import run_check
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import book_appointment

CHANNEL = "online"


@dataclass(frozen=True)
class Visitor:
    given_name: str
    family_name: str
    birth_date: dt.date
    sex_at_birth: str
    email: str
    phone: str = ""
    language: str = ""  # the language the patient booked in: their messages' language


@dataclass(frozen=True)
class IntakeAnswers:
    allergies: list[str] = field(default_factory=list)
    # "No, none that I know of": recorded as patient-reported no known allergies. False
    # with no allergies listed means the question went unanswered ("not asked").
    no_known_allergies: bool = False
    medications: list[tuple[str, str]] = field(default_factory=list)  # (name, drug class)
    conditions: list[str] = field(default_factory=list)
    pregnancy_status: str = ""
    breastfeeding: bool | None = None
    childbearing_potential: str = ""
    weight_kg: Decimal | None = None

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["medications"] = [list(m) for m in self.medications]
        data["weight_kg"] = str(self.weight_kg) if self.weight_kg is not None else None
        return data


@dataclass(frozen=True)
class Outcome:
    kind: str  # IntakeOutcome
    appointment: Appointment | None = None
    submission: IntakeSubmission | None = None
    next_slots: list[Any] = field(default_factory=list)
    phone: str = ""


def _register(actor: Actor, visitor: Visitor, answers: IntakeAnswers) -> Patient:
    intake: dict[str, Any] = {}
    if answers.pregnancy_status:
        intake["pregnancy_status"] = answers.pregnancy_status
    if answers.breastfeeding is not None:
        intake["breastfeeding"] = answers.breastfeeding
    if answers.childbearing_potential:
        intake["childbearing_potential"] = answers.childbearing_potential
    return register_patient(
        actor,
        given_name=visitor.given_name,
        family_name=visitor.family_name,
        birth_date=visitor.birth_date,
        sex_at_birth=visitor.sex_at_birth,
        email=visitor.email,
        phone=visitor.phone,
        language=visitor.language,
        notes=_("Registered through online booking."),
        **intake,
    )


def _write_records(
    actor: Actor, patient: Patient, answers: IntakeAnswers, today: dt.date
) -> dict[str, list[int]]:
    written: dict[str, list[int]] = {"allergy": [], "medication": [], "condition": []}
    for substance in answers.allergies:
        allergy = records.add_allergy(actor, patient, substance=substance, patient_reported=True)
        written["allergy"].append(allergy.pk)
    if answers.no_known_allergies and not answers.allergies:
        records.record_no_known_allergies(actor, patient, patient_reported=True)
    for name, drug_class in answers.medications:
        medication = records.add_medication(actor, patient, name=name, drug_class=drug_class)
        written["medication"].append(medication.pk)
    for code in answers.conditions:
        written["condition"].append(records.add_condition(actor, patient, code=code).pk)
    if answers.weight_kg is not None:
        weight = records.record_weight(actor, patient, kg=answers.weight_kg, measured_on=today)
        written["weight"] = [weight.pk]
    return written


def book_consultation(
    org: Organization,
    hold_token: str,
    visitor: Visitor,
    answers: IntakeAnswers,
    *,
    ip: str | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Register the new patient with their reported intake, run the safety check for the held
    slot's service, and book it. Returns the outcome: booked, stopped (absolute
    contraindication; the patient is asked to call) or not booked (the slot was taken: the next
    free slots are given). Raises `HoldExpired` when the hold has lapsed."""
    now = now or timezone.now()
    hold = open_hold(org.pk, hold_token, now=now)
    actor = online_actor(org, ip)
    service, location = hold.service, hold.location
    today = min(timezone.localdate(now, timezone=location.tz), timezone.localdate())
    try:
        with transaction.atomic():
            patient = _register(actor, visitor, answers)
            written = _write_records(actor, patient, answers, today)
            result = run_check(
                actor,
                patient,
                Moment.BOOKING,
                on=hold.start.astimezone(location.tz).date(),
                protocol=service.protocol,
                location=location,
                channel=CHANNEL,
            )
            # A patient cannot override anything: every block of the engine (what a
            # practitioner alone could override with a reason) stops the online booking.
            absolute = result.report.blocked
            submission = IntakeSubmission.objects.create(
                organization_id=org.pk,
                patient=patient,
                service=service,
                answers=answers.as_json(),
                records=written,
                findings=result.findings,
                safety_check=result.check,
                outcome=IntakeOutcome.STOPPED if absolute else IntakeOutcome.BOOKED,
                flagged=result.report.blocked,
            )
            if absolute:
                raise_alert(
                    org.pk,
                    kind=AlertKind.BOOKING_REQUEST,
                    severity=AlertSeverity.WARNING,
                    message=_(
                        "An online booking was stopped by the safety check: please call the "
                        "patient and review the intake they reported."
                    ),
                    patient_id=patient.pk,
                    details={"submission": submission.pk, "service": service.name},
                    source_ref=f"online-intake:{submission.pk}",
                )
                release_hold(hold, now=now)
                return Outcome(IntakeOutcome.STOPPED, submission=submission, phone=location.phone)
            appointment = _book_held(actor, hold, patient)
            submission.appointment = appointment
            submission.save(update_fields=["appointment"])
            return Outcome(IntakeOutcome.BOOKED, appointment=appointment, submission=submission)
    except Conflict as refused:
        if refused.code != "booking_conflict":
            raise
        release_hold(hold, now=now)
        return Outcome(
            IntakeOutcome.NOT_BOOKED,
            next_slots=next_free_slots(org.pk, service, location, hold.start, now=now),
        )


def _book_held(actor: Actor, hold: Hold, patient: Patient) -> Appointment:
    """Book the held slot for ``patient`` (the scheduling service checks everything again and
    the database refuses an overlap) and mark it as booked online."""
    appointment = book_appointment(
        actor,
        patient=patient,
        practitioner=hold.practitioner,
        room=hold.room,
        start=hold.start,
        duration_min=hold.service.duration_min,
        notes=_("Booked online: %(service)s") % {"service": hold.service.name},
        channel=CHANNEL,
    )
    OnlineAppointment.objects.create(
        organization_id=hold.organization_id, appointment=appointment, service=hold.service
    )
    Hold.objects.filter(pk=hold.pk).update(appointment=appointment, released_at=timezone.now())
    return appointment


# --- staff: the queue of patient-reported intake --------------------------------------------


def intake_queue(
    actor: Actor, *, status: str = IntakeStatus.TO_CONFIRM
) -> QuerySet[IntakeSubmission]:
    actor.require(Perm.CLINICAL_VIEW)
    return (
        IntakeSubmission.objects.for_org(actor.org_id)
        .filter(status=status)
        .select_related("patient", "service", "appointment", "confirmed_by")
        .order_by("-flagged", "submitted_at", "id")
    )


def record_queue_read(actor: Actor, shown: list[IntakeSubmission]) -> None:
    for submission in shown:
        record(
            actor,
            AuditAction.READ,
            submission,
            patient_id=submission.patient_id,
            summary="online intake shown in the queue to confirm",
            channel="web",
        )


@transaction.atomic
def confirm_intake(actor: Actor, pk: Any, *, channel: str = "web") -> IntakeSubmission:
    """A member of staff has checked the patient-reported intake with the patient."""
    actor.require(Perm.CLINICAL_EDIT)
    submission = get_for_org(
        IntakeSubmission,
        actor.org_id,
        pk,
        queryset=IntakeSubmission.objects.select_for_update(),
    )
    if submission.status == IntakeStatus.CONFIRMED:
        raise Conflict("already_confirmed", _("This intake was confirmed already."))
    submission.status = IntakeStatus.CONFIRMED
    submission.confirmed_by = actor.user
    submission.confirmed_at = timezone.now()
    submission.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    record(
        actor,
        AuditAction.UPDATE,
        submission,
        patient_id=submission.patient_id,
        summary="patient-reported intake confirmed",
        changes={"status": [IntakeStatus.TO_CONFIRM, IntakeStatus.CONFIRMED]},
        channel=channel,
    )
    return submission
