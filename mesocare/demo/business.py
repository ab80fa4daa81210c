"""What the demo clinic's business reports need beyond the calendar, the courses and the till:
last week's missed and cancelled follow-up visits (deposits paid at booking, kept under the
cancellation policy by the billing service when the patient did not come or cancelled late),
and two patients whose maintenance session fell due weeks ago with nothing booked (the lapsed
list and its recall button); the lots' unit costs per mL. The rest of the reports read what
the other demo modules made: the week's appointments, working hours and time off, the package
sold at the till and the signed sessions. Idempotent: each part is skipped when it is there."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.choices import DepositStatus
from mesocare.billing.models import Deposit, PriceItem
from mesocare.billing.services import payments
from mesocare.billing.services.prices import current_policy, deposit_for
from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.inventory.models import ProductLot
from mesocare.patients.models import Patient
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.reports.lapsed import lapsed_rows
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import cancel_appointment, mark_no_show
from mesocare.scheduling.services.booking import Candidate, find_conflicts, guarded_write

UNWELL = "Unwell, called the desk"
# What one mL of each demo product costs the clinic (EUR, illustrative supplier prices): the
# lots' unit costs, from which Reports → Product cost computes each session's cost.
COST_PER_ML = {
    "artichoke_extract": "0.60", "caffeine_20": "0.50", "demo_saline_10ml": "0.12",
    "deoxycholic_acid_10": "12.00", "dutasteride_0_05pct": "8.00", "hyaluronic_acid_10": "20.00",
    "l_carnitine_200": "0.60", "minoxidil_0_5pct": "1.50", "organic_silicon": "0.80",
    "polyrevitalising_cocktail": "23.00",
}  # fmt: skip
VISIT = dt.timedelta(minutes=30)
OUTCOMES = ("no_show", "late", "seen", "no_show", "on_time", "late")
LAPSED = (("rejuvenation_face_ha", 24), ("cellulite_cocktail_nappage", 45))  # days overdue


@dataclass
class BusinessResult:
    deposits_forfeited: int = 0
    lapsed_plans: int = 0


def load_business(memberships: dict[str, Membership], locations: list[Location]) -> BusinessResult:
    desk = Actor(membership=memberships["desk"])
    result = BusinessResult()
    org_id = desk.org_id
    with transaction.atomic():
        for code, cost in COST_PER_ML.items():
            ProductLot.objects.for_org(org_id).filter(product__code=code).update(
                unit_cost=Decimal(cost)
            )
        if not Appointment.objects.for_org(org_id).filter(cancel_reason=UNWELL).exists():
            result.deposits_forfeited = _missed_visits(
                desk, memberships["practitioner"], locations[0]
            )
        if not lapsed_rows(org_id, dt.date(1900, 1, 1), timezone.localdate()):
            result.lapsed_plans = _lapsed(memberships)
    return result


def _missed_visits(desk: Actor, practitioner: Membership, home: Location) -> int:
    """Six follow-up visits of the past week at the home location, booked three days ahead:
    two missed and two cancelled a few hours before (each with the deposit paid at booking,
    kept by the policy), one cancelled two days ahead, one seen. Returns the deposits kept."""
    item = (
        PriceItem.objects.for_org(desk.org_id)
        .filter(kind="session", deposit_rule__isnull=False)
        .order_by("id")
        .first()
    )
    amount = deposit_for(item) if item is not None else None
    if item is None or not amount or current_policy(desk.org_id) is None:
        return 0
    rooms = list(Room.objects.for_org(desk.org_id).filter(location=home, is_active=True))
    patients = list(
        Patient.objects.for_org(desk.org_id)
        .filter(pk__in=Appointment.objects.for_org(desk.org_id).values("patient_id"))
        .order_by("id")[: len(OUTCOMES)]
    )
    tz = home.tz
    today = timezone.localdate(timezone=tz)
    kept = 0
    for n, (patient, outcome) in enumerate(zip(patients, OUTCOMES, strict=False)):
        day = today - dt.timedelta(days=n + 1)
        appointment = None
        for hour in (12, 13, 11, 14, 10, 15, 16, 9, 17):
            start = dt.datetime.combine(day, dt.time(hour, 30), tzinfo=tz)
            appointment = _book_past(desk, patient, practitioner, rooms, start)
            if appointment is not None:
                break
        if appointment is None:
            continue
        if outcome == "seen":
            Appointment.objects.filter(pk=appointment.pk).update(
                status=AppointmentStatus.COMPLETED, status_changed_at=appointment.end
            )
            continue
        if outcome in ("no_show", "late"):
            deposit = Deposit.objects.create(
                organization_id=desk.org_id, appointment=appointment, patient=patient,
                item=item, amount=amount, currency=item.currency,
                policy=current_policy(desk.org_id),
            )  # fmt: skip
            payments.record_payment(
                desk, amount=amount, method="card_terminal", location_id=home.pk,
                deposit_id=deposit.pk, reference=f"DEP-{appointment.pk}",
                received_at=appointment.start - dt.timedelta(days=3), channel="web",
            )  # fmt: skip
        if outcome == "no_show":
            mark_no_show(desk, appointment, channel="web")
        else:
            cancel_appointment(desk, appointment, UNWELL, channel="web")
            ahead = dt.timedelta(hours=6 if outcome == "late" else 50)
            Appointment.objects.filter(pk=appointment.pk).update(
                status_changed_at=appointment.start - ahead
            )
        kept += Deposit.objects.filter(
            appointment=appointment, status=DepositStatus.FORFEITED
        ).count()
    return kept


def _book_past(
    desk: Actor, patient: Patient, practitioner: Membership, rooms: list[Room], start: dt.datetime
) -> Appointment | None:
    """A 30-minute visit now past, booked three days before it in the first room free then
    (the booking service's conflict check with the clock of that day); None when none was."""
    end = start + VISIT
    booked_at = start - dt.timedelta(days=3)
    for room in rooms:
        candidate = Candidate(start, end, practitioner, room)
        if find_conflicts(desk.org_id, patient.pk, [candidate], now=booked_at):
            continue
        with guarded_write():
            appointment = Appointment.objects.create(
                organization_id=desk.org_id, location=room.location, practitioner=practitioner,
                room=room, patient=patient, start=start, end=end, notes="Follow-up visit",
                created_by=desk.user,
            )  # fmt: skip
            Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
            record(
                desk, AuditAction.CREATE, appointment, patient_id=patient.pk,
                summary=f"booked appointment at {start.isoformat()} (demo history)", channel="web",
            )  # fmt: skip
        return appointment
    return None


def _lapsed(memberships: dict[str, Membership]) -> int:
    """Two patients who finished a course last spring and never came back for maintenance."""
    org_id = memberships["admin"].organization_id
    today = timezone.localdate()
    busy = Appointment.objects.for_org(org_id).values("patient_id")
    planned = TreatmentPlan.objects.for_org(org_id).values("patient_id")
    patients = list(
        Patient.objects.for_org(org_id)
        .exclude(pk__in=busy)
        .exclude(pk__in=planned)
        .order_by("id")[: len(LAPSED)]
    )
    made = 0
    for patient, (code, overdue) in zip(patients, LAPSED, strict=False):
        protocol = Protocol.objects.filter(organization__isnull=True, code=code).first()
        if protocol is None:
            continue
        interval = protocol.maintenance_interval_days or 180
        due = today - dt.timedelta(days=overdue)
        completed = due - dt.timedelta(days=interval)
        version, _ = ProtocolVersion.objects.get_or_create(
            protocol=protocol, version=protocol.version, defaults={"snapshot": {}}
        )
        sessions = 4
        plan = TreatmentPlan.objects.create(
            organization_id=org_id, patient=patient, protocol=protocol, protocol_version=version,
            status=PlanStatus.COMPLETED, sessions_planned=sessions, sessions_by_rule=sessions,
            sessions_done=sessions, interval_min_days=protocol.interval_min_days,
            interval_target_days=protocol.interval_target_days,
            interval_max_days=protocol.interval_max_days,
            response_check_session=protocol.response_check_session,
            maintenance_interval_days=interval, session_duration_min=protocol.session_duration_min,
            room_kind=protocol.room_kind,
            start_on=completed - dt.timedelta(days=protocol.interval_target_days * sessions),
            completed_on=completed, maintenance_due_on=due,
            status_changed_at=timezone.now() - dt.timedelta(days=overdue + interval),
            created_by=memberships["practitioner"].user,
        )  # fmt: skip
        PlannedSession.objects.bulk_create(
            PlannedSession(organization_id=org_id, plan=plan, index=i)
            for i in range(1, sessions + 1)
        )
        made += 1
    return made


def deposit_total(org_id: int) -> Decimal:
    """What the demo's forfeited deposits add up to (for the demo test)."""
    return sum(
        Deposit.objects.for_org(org_id)
        .filter(status=DepositStatus.FORFEITED)
        .values_list("amount", flat=True),
        Decimal(0),
    )
