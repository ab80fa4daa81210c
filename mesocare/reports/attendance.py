"""No-shows and late cancellations per practitioner, location and month, and the deposits they
forfeited.

Definitions (also on the page):
- the appointments of a period are those that start on one of its local days (the location's
  wall clock), whatever their status;
- no-show rate = no-shows / appointments; late-cancellation rate = late cancellations /
  appointments;
- a cancellation is late when it was made less than the cancellation policy's hours before the
  start, by the policy in force when it was made (the one recorded on a forfeited deposit);
  without any policy, 24 hours;
- forfeited deposits: deposits in the "forfeited" state of those appointments, with the policy
  version recorded when they were forfeited.

Three queries, whatever the number of appointments.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from mesocare.billing.choices import DepositStatus
from mesocare.billing.models import CancellationPolicy
from mesocare.clinics.actor import Actor
from mesocare.core.business import is_late_cancellation, local_day, month_of, rate
from mesocare.reports.common import Filters, check, person
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

DEFAULT_LATE_HOURS = 24
DIMENSIONS = ("practitioner", "location", "month")


@dataclass
class AttendanceRow:
    key: str
    appointments: int = 0
    no_shows: int = 0
    late_cancellations: int = 0
    forfeited_count: int = 0
    forfeited: dict[str, Decimal] = field(default_factory=dict)  # currency → amount
    policy_versions: set[int] = field(default_factory=set)

    @property
    def no_show_rate(self) -> float | None:
        return rate(self.no_shows, self.appointments)

    @property
    def late_cancel_rate(self) -> float | None:
        return rate(self.late_cancellations, self.appointments)

    @property
    def forfeited_text(self) -> str:
        return ", ".join(f"{amount:.2f} {cur}" for cur, amount in sorted(self.forfeited.items()))

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["policy_versions"] = sorted(self.policy_versions)
        out["no_show_rate"] = self.no_show_rate
        out["late_cancel_rate"] = self.late_cancel_rate
        return out


def _late_hours(policies: list[tuple[dt.datetime, int, int]], at: dt.datetime) -> tuple[int, int]:
    """(hours, version) of the policy in force at ``at``; (24, 0) without one."""
    for valid_from, version, hours in policies:  # newest first
        if valid_from <= at:
            return hours, version
    return DEFAULT_LATE_HOURS, 0


def attendance(actor: Actor, filters: Filters) -> dict[str, list[AttendanceRow]]:
    """{"practitioner" | "location" | "month": [rows]}; practitioners and locations by name,
    months in order."""
    locations = check(actor, filters)
    start, end = filters.window()
    policies = list(
        CancellationPolicy.objects.for_org(actor.org_id)
        .order_by("-valid_from", "-version")
        .values_list("valid_from", "version", "late_cancel_hours")
    )
    qs = Appointment.objects.for_org(actor.org_id).filter(
        start__gte=start, start__lt=end, location_id__in=list(locations)
    )
    if filters.practitioner_id is not None:
        qs = qs.filter(practitioner_id=filters.practitioner_id)
    rows = qs.values_list(
        "location_id",
        "practitioner__user__full_name",
        "practitioner__user__email",
        "status",
        "start",
        "status_changed_at",
        "deposit__status",
        "deposit__amount",
        "deposit__currency",
        "deposit__policy__version",
    )
    groups: dict[str, dict[str, AttendanceRow]] = {d: {} for d in DIMENSIONS}
    for (
        location_id, full_name, email, status, start_at, changed_at,
        dep_status, dep_amount, dep_currency, dep_version,
    ) in rows:  # fmt: skip
        tz = locations[location_id].tz
        if not filters.holds(start_at, tz):
            continue
        keys = {
            "practitioner": person(full_name, email),
            "location": locations[location_id].name,
            "month": month_of(local_day(start_at, tz)),
        }
        no_show = status == AppointmentStatus.NO_SHOW
        late = False
        if status == AppointmentStatus.CANCELLED:
            cancelled_at = changed_at or start_at
            hours, _version = _late_hours(policies, cancelled_at)
            late = dep_status == DepositStatus.FORFEITED or is_late_cancellation(
                start_at, cancelled_at, hours
            )
        for dimension, key in keys.items():
            row = groups[dimension].setdefault(key, AttendanceRow(key))
            row.appointments += 1
            row.no_shows += no_show
            row.late_cancellations += late
            if dep_status == DepositStatus.FORFEITED:
                row.forfeited_count += 1
                row.forfeited[dep_currency] = row.forfeited.get(dep_currency, Decimal(0)) + Decimal(
                    dep_amount
                )
                if dep_version is not None:
                    row.policy_versions.add(dep_version)
    return {d: [groups[d][k] for k in sorted(groups[d])] for d in DIMENSIONS}


def totals(report: dict[str, list[AttendanceRow]]) -> AttendanceRow:
    """The whole period (the sum of the location rows)."""
    total = AttendanceRow("total")
    merged: dict[str, Decimal] = defaultdict(Decimal)
    for row in report["location"]:
        total.appointments += row.appointments
        total.no_shows += row.no_shows
        total.late_cancellations += row.late_cancellations
        total.forfeited_count += row.forfeited_count
        total.policy_versions |= row.policy_versions
        for cur, amount in row.forfeited.items():
            merged[cur] += amount
    total.forfeited = dict(merged)
    return total


CSV_HEADER = (
    "dimension", "key", "appointments", "no_shows", "no_show_rate", "late_cancellations",
    "late_cancel_rate", "forfeited_deposits", "forfeited_amount", "policy_versions",
)  # fmt: skip


def csv_rows(report: dict[str, list[AttendanceRow]]) -> list[tuple[Any, ...]]:
    return [
        (
            dimension,
            row.key,
            row.appointments,
            row.no_shows,
            "" if row.no_show_rate is None else f"{row.no_show_rate:.4f}",
            row.late_cancellations,
            "" if row.late_cancel_rate is None else f"{row.late_cancel_rate:.4f}",
            row.forfeited_count,
            row.forfeited_text,
            " ".join(str(v) for v in sorted(row.policy_versions)),
        )
        for dimension, rows in report.items()
        for row in rows
    ]
