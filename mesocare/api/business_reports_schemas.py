"""Schemas of the business reports over the API (issue 16)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema


class BusinessReportQuery(Schema):
    date_from: dt.date
    date_to: dt.date
    location: int | None = None
    practitioner: int | None = None


class MoneyOut(Schema):
    currency: str
    amount: Decimal


class AttendanceRowOut(Schema):
    key: str
    appointments: int
    no_shows: int
    no_show_rate: float | None
    late_cancellations: int
    late_cancel_rate: float | None
    forfeited_deposits: int
    forfeited: list[MoneyOut]
    policy_versions: list[int]


class AttendanceOut(Schema):
    date_from: dt.date
    date_to: dt.date
    practitioner: list[AttendanceRowOut]
    location: list[AttendanceRowOut]
    month: list[AttendanceRowOut]


class PackageRowOut(Schema):
    key: str
    currency: str
    sold: int
    sold_value: Decimal
    consumed: int
    consumed_value: Decimal
    outstanding_sessions: int | None = None
    deferred_revenue: Decimal | None = None


class PackagesOut(Schema):
    date_from: dt.date
    date_to: dt.date
    offer: list[PackageRowOut]
    month: list[PackageRowOut]


class CostRowOut(Schema):
    key: str
    sessions: int
    volume_ml: Decimal
    cost: Decimal
    cost_per_session: Decimal | None
    uncosted_ml: Decimal


class ProductCostOut(Schema):
    date_from: dt.date
    date_to: dt.date
    protocol: list[CostRowOut]
    practitioner: list[CostRowOut]
    product: list[CostRowOut]
    month: list[CostRowOut]


class LapsedOut(Schema):
    plan_id: int
    patient_id: int
    patient: str
    protocol: str
    completed_on: dt.date | None
    maintenance_due_on: dt.date
    days_overdue: int
    recalled_at: dt.datetime | None


class RecallOut(Schema):
    message_id: int
    queued: bool
    due_at: dt.datetime


class WeekOut(Schema):
    week: dt.date
    booked_minutes: int
    available_minutes: int


class UsageOut(Schema):
    kind: str
    name: str
    location: str
    booked_minutes: int
    available_minutes: int
    utilisation: float | None
    weeks: list[WeekOut]


class UtilisationOut(Schema):
    date_from: dt.date
    date_to: dt.date
    weeks: list[dt.date]
    practitioners: list[UsageOut]
    rooms: list[UsageOut]
