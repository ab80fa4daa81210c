"""Opening, reading, editing, signing and amending treatment sessions."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import diff, record
from mesocare.billing.services.packages import consume_for_signed_session
from mesocare.catalog.choices import Technique
from mesocare.catalog.models import Protocol, Zone
from mesocare.charting.choices import NeedleKind, SideEffectKind
from mesocare.charting.models import (
    Amendment,
    InjectionRecord,
    SessionSigned,
    SideEffect,
    TreatmentSession,
)
from mesocare.charting.services.totals import (
    Totals,
    components_queryset,
    running_totals,
    session_date,
)
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import OrgLookup, in_org, require_in_org
from mesocare.errors import Conflict, DomainError, Forbidden, Invalid
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.patients.models import Patient, Weight
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.plans.services.review import signed_sessions
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

log = logging.getLogger(__name__)
TREATING_ROLES = ("practitioner", "admin")
OVERDUE_AFTER = dt.timedelta(hours=24)


def visible_protocols(actor: Actor) -> models.QuerySet[Protocol]:
    return Protocol.objects.filter(
        models.Q(organization__isnull=True) | models.Q(organization_id=actor.org_id)
    )


def _latest_version(protocol: Protocol | None) -> Any:
    if protocol is None:
        return None
    return protocol.versions.order_by("-version").first()


def _treating(actor: Actor, practitioner: Membership | None) -> Membership:
    membership = practitioner or actor.membership
    if not in_org(actor, membership) or not membership.is_active:
        raise Invalid.field("practitioner", _("No active staff member with this id."))
    if membership.role not in TREATING_ROLES:
        raise Invalid.field("practitioner", _("Only a practitioner can treat."))
    return membership


def _create(actor: Actor, session: TreatmentSession, channel: str) -> TreatmentSession:
    full_clean_or_invalid(
        session, exclude=["organization", "patient", "practitioner", "location", "created_by"]
    )
    try:
        with transaction.atomic():
            session.save()
    except IntegrityError:
        raise Conflict(
            "session_exists", _("This appointment already has a treatment session.")
        ) from None
    record(
        actor,
        AuditAction.CREATE,
        session,
        patient_id=session.patient_id,
        summary=f"opened treatment session {session.pk}",
        channel=channel,
    )
    return session


@transaction.atomic
def open_from_appointment(
    actor: Actor, appointment: Appointment, *, channel: str = "api"
) -> TreatmentSession:
    """Open the session of a checked-in appointment (409 otherwise, or if one exists)."""
    actor.require(Perm.CLINICAL_EDIT)
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    require_in_org(
        actor, appointment, error=Forbidden("forbidden", _("Not your organization's appointment."))
    )
    if appointment.status != AppointmentStatus.CHECKED_IN:
        raise Conflict(
            "not_checked_in",
            _("Check the patient in first (the appointment is %s).") % appointment.status,
            appointment_status=appointment.status,
        )
    existing = TreatmentSession.objects.filter(appointment=appointment).first()
    if existing is not None:
        raise Conflict(
            "session_exists",
            _("This appointment already has treatment session %s.") % existing.pk,
            session=existing.pk,
        )
    plan = appointment.plan
    protocol = plan.protocol if plan is not None else None
    version = plan.protocol_version if plan is not None else None
    session = TreatmentSession(
        organization_id=actor.org_id,
        patient=appointment.patient,
        practitioner=_treating(actor, appointment.practitioner),
        location=appointment.location,
        appointment=appointment,
        planned_session=appointment.planned_session,
        protocol=protocol,
        protocol_version=version or _latest_version(protocol),
        created_by=actor.user,
    )
    return _create(actor, session, channel)


@transaction.atomic
def open_walk_in(
    actor: Actor,
    *,
    patient: Patient,
    location: Location,
    protocol: Protocol | None = None,
    practitioner: Membership | None = None,
    channel: str = "api",
) -> TreatmentSession:
    actor.require(Perm.CLINICAL_EDIT)
    require_in_org(
        actor, patient, error=Invalid.field("patient", _("No patient with id %s.") % patient.pk)
    )
    require_in_org(
        actor, location, error=Invalid.field("location", _("No location with id %s.") % location.pk)
    )
    if protocol is not None and not visible_protocols(actor).filter(pk=protocol.pk).exists():
        raise Invalid.field("protocol", _("No protocol with id %s.") % protocol.pk)
    session = TreatmentSession(
        organization_id=actor.org_id,
        patient=patient,
        practitioner=_treating(actor, practitioner),
        location=location,
        protocol=protocol,
        protocol_version=_latest_version(protocol),
        created_by=actor.user,
    )
    return _create(actor, session, channel)


SESSION_RELATED = (
    "patient",
    "practitioner__user",
    "location",
    "protocol",
    "protocol_version",
    "signed_by",
    "appointment",
)
# The session page's read, compiled once per process (mesocare.lib.compiled_query).
_SESSION = OrgLookup(TreatmentSession, *SESSION_RELATED)


def session_prefetches() -> list[Prefetch]:
    """A session's injections (zone, components with lot and product), side effects and
    amendments."""
    return [
        injections_prefetch(),
        Prefetch("side_effects", queryset=SideEffect.objects.select_related("recorded_by")),
        Prefetch("amendments", queryset=Amendment.objects.select_related("by")),
    ]


def session_queryset(org_id: int) -> models.QuerySet[TreatmentSession]:
    """Everything the session page and API show, in a fixed number of queries."""
    return (
        TreatmentSession.objects.for_org(org_id)
        .select_related(*SESSION_RELATED)
        .prefetch_related(*session_prefetches())
    )


def get_session(
    actor: Actor, pk: Any, *, channel: str = "api", audit: bool = True
) -> TreatmentSession:
    """A session of this organization with everything prefetched (an audited read)."""
    actor.require(Perm.CLINICAL_VIEW)
    session = _SESSION(actor.org_id, pk)
    prefetch_related_objects([session], *session_prefetches())
    if audit:
        record(
            actor,
            AuditAction.READ,
            session,
            patient_id=session.patient_id,
            summary=f"read treatment session {session.pk}",
            channel=channel,
        )
    return session


def session_totals(session: TreatmentSession) -> Totals:
    """Running totals of a session loaded with `session_queryset` (one query: the weight)."""
    on = session_date(session)
    weight = (
        Weight.objects.filter(patient_id=session.patient_id, measured_on__lte=on)
        .order_by("-measured_on", "-id")
        .first()
    )
    return running_totals(
        session.injections.all(),
        weight_kg=weight.kg if weight else None,
        weight_on=weight.measured_on if weight else None,
        on=on,
    )


def lock_unsigned(session: TreatmentSession) -> TreatmentSession:
    """Lock the session row for this transaction; 409 when it is signed. The related rows the
    caller had loaded (patient, location, protocol…) come along when the locked row still
    points at them, so the charting that follows does not read them again."""
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    if locked.signed_at is not None:
        raise SessionSigned(session.pk)
    for name in SESSION_RELATED:
        field = TreatmentSession._meta.get_field(name.split("__")[0])
        assert isinstance(field, models.ForeignKey)
        if field.is_cached(session) and getattr(locked, field.attname) == getattr(
            session, field.attname
        ):
            field.set_cached_value(locked, field.get_cached_value(session))
    return locked


def session_row(actor: Actor, pk: Any) -> TreatmentSession:
    """A session of this organization with its related rows, nothing prefetched and no audit:
    what a write that locks and reads the session itself starts from."""
    return _SESSION(actor.org_id, pk)


def injections_prefetch() -> Prefetch:
    """A session's injections with their zone and components (lot, product, ingredients)."""
    injections = InjectionRecord.objects.select_related("zone").prefetch_related(
        Prefetch("components", queryset=components_queryset())
    )
    return Prefetch("injections", queryset=injections)


EDITABLE = ("pain_vas", "notes", "started_at")


@transaction.atomic
def update_session(
    actor: Actor, session: TreatmentSession, *, channel: str = "api", **changes: Any
) -> TreatmentSession:
    actor.require(Perm.CLINICAL_EDIT)
    locked = lock_unsigned(session)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("This field cannot be changed here."))
    if "notes" in changes and changes["notes"] is None:
        changes["notes"] = ""
    changed = diff(locked, changes)
    for field, value in changes.items():
        setattr(locked, field, value)
    full_clean_or_invalid(
        locked, exclude=["organization", "patient", "practitioner", "location", "created_by"]
    )
    locked.save()
    record(
        actor,
        AuditAction.UPDATE,
        locked,
        patient_id=locked.patient_id,
        summary=f"edited treatment session {locked.pk}",
        changes=changed,
        channel=channel,
    )
    return locked


@transaction.atomic
def sign_session(
    actor: Actor, session: TreatmentSession, *, channel: str = "api"
) -> TreatmentSession:
    """The treating practitioner signs; the session is immutable from now on. A checked-in
    appointment is completed with it."""
    actor.require(Perm.CLINICAL_EDIT)
    locked = lock_unsigned(session)
    if locked.practitioner_id != actor.membership.pk:
        raise Forbidden("not_treating", _("Only the treating practitioner can sign this session."))
    now = timezone.now()
    locked.signed_at = now
    locked.signed_by = actor.user
    locked.save(update_fields=["signed_at", "signed_by", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        locked,
        patient_id=locked.patient_id,
        summary=f"signed treatment session {locked.pk}",
        changes={"signed_at": [None, now.isoformat()]},
        channel=channel,
    )
    if locked.appointment_id is not None:
        _complete_appointment(actor, locked.appointment_id, channel)
    _count_for_plan(locked)
    # The patient's prepaid course for this protocol pays for the session: one session of it
    # is used in this same transaction (at most once per session).
    consume_for_signed_session(actor, locked)
    return locked


@transaction.atomic
def discard_session(
    actor: Actor, session: TreatmentSession, reason: str = "", *, channel: str = "api"
) -> None:
    """Discard a session opened by mistake: only an unsigned one with nothing charted (no
    injection, side effect, photo or measurement). The row is deleted (the audit entry keeps
    what it was) and a checked-in appointment goes back to booked, in this transaction."""
    actor.require(Perm.CLINICAL_EDIT)
    locked = lock_unsigned(session)
    require_in_org(
        actor, locked, error=Forbidden("forbidden", _("Not your organization's session."))
    )
    charted = (
        locked.injections.exists()
        or locked.side_effects.exists()
        or locked.photos.exists()
        or locked.measurements.exists()
    )
    if charted:
        raise Conflict(
            "session_not_empty",
            _("Only an empty session can be discarded: this one has charted entries."),
        )
    reason = (reason or "").strip() or _("Opened by mistake.")
    record(
        actor,
        AuditAction.DELETE,
        locked,
        patient_id=locked.patient_id,
        summary=f"discarded empty treatment session {locked.pk}: {reason}",
        changes={
            "appointment": [locked.appointment_id, None],
            "started_at": [locked.started_at.isoformat(), None],
            "notes": [locked.notes, None],
        },
        channel=channel,
    )
    appointment_id = locked.appointment_id
    locked.delete()
    if appointment_id is not None:
        from mesocare.scheduling.services.appointments import undo_check_in

        appointment = Appointment.objects.get(pk=appointment_id)
        if appointment.status == AppointmentStatus.CHECKED_IN:
            undo_check_in(actor, appointment, reason, channel=channel)


def _count_for_plan(session: TreatmentSession) -> None:
    """The plan's sessions done follow its signed sessions (the plan page and review read it)."""
    plan_id = (
        PlannedSession.objects.filter(pk=session.planned_session_id)
        .values_list("plan_id", flat=True)
        .first()
        if session.planned_session_id is not None
        else None
    )
    if plan_id is None and session.appointment_id is not None:
        plan_id = (
            Appointment.objects.filter(pk=session.appointment_id)
            .values_list("plan_id", flat=True)
            .first()
        )
    if plan_id is None:
        return
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan_id)
    done = signed_sessions(plan)
    if done > plan.sessions_done:
        plan.sessions_done = done
        plan.save(update_fields=["sessions_done"])


def _complete_appointment(actor: Actor, appointment_id: int, channel: str) -> None:
    from mesocare.scheduling.services.appointments import complete_appointment

    appointment = Appointment.objects.get(pk=appointment_id)
    if appointment.status != AppointmentStatus.CHECKED_IN:
        return
    try:
        with transaction.atomic():
            complete_appointment(actor, appointment, channel=channel)
    except DomainError as exc:  # signing must not fail because of the calendar
        log.warning("could not complete appointment %s: %s", appointment_id, exc)


# Amendments ------------------------------------------------------------------------------

AMENDABLE: dict[str, tuple[str, ...]] = {
    "session": ("pain_vas", "notes"),
    "injection": (
        "zone",
        "technique",
        "depth_mm",
        "points",
        "volume_per_point_ml",
        "needle_kind",
        "needle_gauge",
        "needle_length_mm",
        "out_of_range_reason",
    ),
    "side_effect": ("kind", "grade", "action_taken", "notes"),
}
_DECIMALS = {"pain_vas", "depth_mm", "volume_per_point_ml", "needle_length_mm"}
_INTEGERS = {"points", "needle_gauge", "grade"}
_CHOICES = {
    "technique": set(Technique.values),
    "needle_kind": set(NeedleKind.values),
    "kind": set(SideEffectKind.values),
}


@dataclass(frozen=True)
class Change:
    target: str
    field: str
    value: Any
    n: int | None = None


def _clean_value(field: str, value: Any, where: str) -> Any:
    if value is None or value == "":
        return None if field not in ("notes", "action_taken", "out_of_range_reason") else ""
    try:
        if field in _DECIMALS:
            number = Decimal(str(value))
            if not number.is_finite() or number < 0:
                raise InvalidOperation
            if field == "pain_vas" and number > 10:
                raise InvalidOperation
            return str(number)
        if field in _INTEGERS:
            integer = int(value)
            if integer < 1 or (field == "grade" and integer > 5):
                raise ValueError
            return integer
    except (InvalidOperation, ValueError, TypeError):
        raise Invalid.field(where, _("Not a valid value for %s.") % field) from None
    if field in _CHOICES and value not in _CHOICES[field]:
        raise Invalid.field(where, _("Not a valid choice for %s.") % field)
    if field == "zone" and not Zone.objects.filter(code=value).exists():
        raise Invalid.field(where, _("Unknown zone %s.") % value)
    return str(value)


def _current(session: TreatmentSession, change: Change, where: str) -> tuple[Any, Any]:
    """(row identity, current value) of the amended field."""
    if change.target == "session":
        return None, getattr(session, change.field)
    if change.target == "injection":
        row = next((i for i in session.injections.all() if i.n == change.n), None)
        if row is None:
            raise Invalid.field(where, _("The session has no injection #%s.") % change.n)
        attr = "zone_id" if change.field == "zone" else change.field
        return row.n, getattr(row, attr)
    effect = next((s for s in session.side_effects.all() if s.pk == change.n), None)
    if effect is None:
        raise Invalid.field(where, _("The session has no side effect %s.") % change.n)
    return effect.pk, getattr(effect, change.field)


def effective_value(
    session: TreatmentSession, target: str, n: Any, field: str, original: Any
) -> Any:
    """The value after every amendment (the latest wins)."""
    value = original
    for amendment in session.amendments.all():
        for c in amendment.changes:
            if c["target"] == target and c.get("n") == n and c["field"] == field:
                value = c["new"]
    return value


@transaction.atomic
def add_amendment(
    actor: Actor,
    session: TreatmentSession,
    *,
    reason: str,
    changes: list[Change],
    channel: str = "api",
) -> Amendment:
    """Correct a signed session without changing it: the amendment records who, when, why
    and each field's old and new value; the session shows the amended values inline."""
    actor.require(Perm.CLINICAL_EDIT)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", _("Say why the record is amended."))
    TreatmentSession.objects.select_for_update().filter(pk=session.pk).first()
    session = get_session(actor, session.pk, audit=False)
    if session.signed_at is None:
        raise Conflict(
            "session_not_signed",
            _("The session is not signed yet: edit it directly instead of amending it."),
        )
    stored = []
    for index, change in enumerate(changes):
        where = f"changes.{index}"
        if change.target not in AMENDABLE or change.field not in AMENDABLE[change.target]:
            raise Invalid.field(
                f"{where}.field",
                _("%(field)s of %(target)s cannot be amended.")
                % {"field": change.field, "target": change.target},
            )
        if change.target != "session" and change.n is None:
            raise Invalid.field(f"{where}.n", _("Say which row is amended."))
        row, original = _current(session, change, where)
        old = effective_value(session, change.target, row, change.field, original)
        new = _clean_value(change.field, change.value, f"{where}.value")
        stored.append(
            {
                "target": change.target,
                "n": row,
                "field": change.field,
                "old": None if old is None else str(old),
                "new": new,
            }
        )
    amendment = Amendment.objects.create(
        organization_id=actor.org_id,
        session=session,
        by=actor.user,
        reason=reason,
        changes=stored,
    )
    record(
        actor,
        AuditAction.UPDATE,
        session,
        patient_id=session.patient_id,
        summary=f"amended signed treatment session {session.pk}",
        changes={"amendment": amendment.pk, "reason": reason, "changes": stored},
        channel=channel,
    )
    return amendment


def overdue_unsigned(
    actor: Actor, *, now: dt.datetime | None = None
) -> models.QuerySet[TreatmentSession]:
    """The actor's unsigned sessions started more than 24 h ago (their to-do list)."""
    now = now or timezone.now()
    return (
        TreatmentSession.objects.for_org(actor.org_id)
        .filter(
            practitioner=actor.membership,
            signed_at__isnull=True,
            started_at__lt=now - OVERDUE_AFTER,
        )
        .select_related("patient", "location")
        .order_by("started_at", "id")
    )


def patient_sessions(actor: Actor, patient: Patient) -> models.QuerySet[TreatmentSession]:
    actor.require(Perm.CLINICAL_VIEW)
    return (
        TreatmentSession.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .select_related("practitioner__user", "location", "protocol")
        .annotate(
            injection_count=models.Count("injections", distinct=True),
            volume_ml=models.Sum("injections__total_volume_ml"),
        )
        .order_by("-started_at", "-id")
    )
