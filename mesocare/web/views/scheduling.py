"""Scheduling in the staff UI: the day/week calendar of a location (practitioner or room
columns; click an appointment to move it, check it in, cancel it), the "Book course" wizard
of a plan, the patient's "Appointments" tab, and the public iCalendar feed."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError, NotFound
from mesocare.plans.models import TreatmentPlan
from mesocare.portal.precare import precare_status
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services import courses, feeds
from mesocare.scheduling.services.calendars import TREATING_ROLES, local_midnight
from mesocare.web.calendar_entries import Entry, calendar_entries
from mesocare.web.calendar_markup import day_body, week_cells
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view
from mesocare.web.views.calendar_booking import (
    attach_free_slots,
)

ROW_MINUTES = 5
DEFAULT_DAY = (dt.time(8), dt.time(20))


# --- public iCalendar feed -------------------------------------------------------------------


@require_GET
def ical_feed(request: HttpRequest, token: str) -> HttpResponse:
    """No login: the unguessable token is the credential; a revoked one is 404."""
    try:
        body = feeds.feed_calendar(token)
    except NotFound:
        return HttpResponse(_("No such calendar feed."), status=404, content_type="text/plain")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- calendar --------------------------------------------------------------------------------


@dataclass
class Column:
    key: int
    label: str


@dataclass
class Cell:
    appointment: Entry | None = None
    rowspan: int = 1
    covered: bool = False
    block: Block | None = None  # time off (shaded) where no appointment is shown


@dataclass
class Row:
    label: str
    quarter: bool
    cells: list[Cell] = field(default_factory=list)


def _locations(actor: Actor) -> list[Location]:
    return list(Location.objects.for_org(actor.org_id).filter(is_active=True))


def _day(value: str | None, tz: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else timezone.localdate(timezone=tz)
    except ValueError:
        return timezone.localdate(timezone=tz)


def _columns(actor: Actor, location: Location, by: str) -> list[Column]:
    if by == "room":
        rooms = Room.objects.for_org(actor.org_id).filter(location=location, is_active=True)
        return [Column(r.pk, f"{r.name} ({r.get_kind_display()})") for r in rooms]
    members = (
        Membership.objects.for_org(actor.org_id)
        .filter(
            is_active=True,
            role__in=TREATING_ROLES,
            working_hours__location=location,
        )
        .select_related("user")
        .distinct()
        .order_by("user__full_name", "id")
    )
    return [Column(m.pk, m.user.full_name or m.user.email) for m in members]


def _clock(minute: int) -> str:
    hours, minutes = divmod(minute, 60)
    return f"{hours:02d}:{minutes:02d}"


def _wall_minute(moment: dt.datetime, tz: Any, day: dt.date) -> float:
    """Minutes from ``day``'s midnight to ``moment`` as the location's clock shows them (on a
    day the clocks change, elapsed time and the clock differ by an hour)."""
    local = moment.astimezone(tz)
    return (local.date() - day).days * 1440 + local.hour * 60 + local.minute + local.second / 60


def _rows_of(
    start: dt.datetime, end: dt.datetime, tz: Any, day: dt.date, start_minute: int, count: int
) -> tuple[int, int]:
    """The first row and the row after the last that ``[start, end)`` touches."""
    begin = math.floor(_wall_minute(start, tz, day)) - start_minute
    finish = math.ceil(_wall_minute(end, tz, day)) - start_minute
    return max(0, begin // ROW_MINUTES), min(count, -(-finish // ROW_MINUTES))


def _grid(
    appointments: list[Entry],
    columns: list[Column],
    by: str,
    tz: Any,
    day: dt.date,
    blocks: Sequence[Block] = (),
) -> list[Row]:
    """Rows of ROW_MINUTES; an appointment fills one cell spanning its rows (no positions in
    inline styles: the CSP forbids them). Time off fills the rows of its column that no
    appointment takes (an appointment inside it stays visible, to be moved)."""
    first, last = DEFAULT_DAY
    for a in appointments:
        start, end = a.start.astimezone(tz), a.end.astimezone(tz)
        if start.date() == day:
            first = min(first, dt.time(start.hour))
        if end.date() == day:
            last = max(last, end.time())
    start_minute = first.hour * 60
    end_minute = min(24 * 60, -(-(last.hour * 60 + last.minute) // 60) * 60)
    count = (end_minute - start_minute) // ROW_MINUTES
    rows = [
        Row(
            label=_clock(start_minute + i * ROW_MINUTES),
            quarter=(i * ROW_MINUTES) % 15 == 0,
            cells=[Cell() for _ in columns],
        )
        for i in range(count)
    ]
    position = {c.key: n for n, c in enumerate(columns)}
    for a in appointments:
        column = position.get(a.room_id if by == "room" else a.practitioner_id)
        if column is None:
            continue
        first_row, last_row = _rows_of(a.start, a.end, tz, day, start_minute, count)
        if first_row >= last_row or rows[first_row].cells[column].covered:
            continue
        if rows[first_row].cells[column].appointment is not None:
            continue
        span = last_row - first_row
        for r in range(first_row + 1, last_row):
            if rows[r].cells[column].appointment is not None:
                span = r - first_row
                break
            rows[r].cells[column].covered = True
        rows[first_row].cells[column] = Cell(a, span)
    for b in blocks:
        subject = b.room_id if by == "room" else b.practitioner_id
        column = None if subject is None else position.get(subject)
        if column is None:
            continue
        first_row, last_row = _rows_of(b.start, b.end, tz, day, start_minute, count)
        r = first_row
        while r < last_row:
            if not _free(rows[r].cells[column]):
                r += 1
                continue
            run = r + 1
            while run < last_row and _free(rows[run].cells[column]):
                rows[run].cells[column].covered = True
                run += 1
            rows[r].cells[column] = Cell(block=b, rowspan=run - r)
            r = run
    return rows


def _free(cell: Cell) -> bool:
    return cell.appointment is None and cell.block is None and not cell.covered


def _day_blocks(
    actor: Actor, columns: list[Column], by: str, start: dt.datetime, end: dt.datetime
) -> list[Block]:
    """The time off of the columns' practitioners or rooms that meets ``[start, end)``."""
    keys = [c.key for c in columns]
    who = Q(room_id__in=keys) if by == "room" else Q(practitioner_id__in=keys)
    return list(
        Block.objects.for_org(actor.org_id)
        .filter(who, start__lt=end, end__gt=start)
        .order_by("start", "id")
    )


@staff_view(Perm.SCHEDULE_VIEW)
def calendar(request: HttpRequest, actor: Actor) -> HttpResponse:
    locations = _locations(actor)
    if not locations:
        return render(request, "web/scheduling/calendar.html", {"locations": []})
    wanted = request.GET.get("location", "")
    location = next((loc for loc in locations if str(loc.pk) == wanted), None)
    if location is None:
        default = actor.membership.default_location_id
        location = next((loc for loc in locations if loc.pk == default), locations[0])
    tz = location.tz
    day = _day(request.GET.get("date"), tz)
    view = "week" if request.GET.get("view") == "week" else "day"
    by = "room" if request.GET.get("by") == "room" else "practitioner"
    first_day = day - dt.timedelta(days=day.weekday()) if view == "week" else day
    days = [first_day + dt.timedelta(days=i) for i in range(7 if view == "week" else 1)]
    shown = calendar_entries(
        actor,
        location,
        local_midnight(days[0], tz),
        local_midnight(days[-1] + dt.timedelta(days=1), tz),
    )
    appts.record_calendar_read(actor, location, len(shown))
    columns = _columns(actor, location, by)
    opened = request.GET.get("appointment", "")  # a panel to open (after a check-in)
    context: dict[str, Any] = {
        "locations": locations,
        "location": location,
        "day": day,
        "view": view,
        "by": by,
        "columns": columns,
        "previous": day - dt.timedelta(days=7 if view == "week" else 1),
        "next": day + dt.timedelta(days=7 if view == "week" else 1),
        "can_edit": actor.can(Perm.SCHEDULE_EDIT),
        "timezone": location.timezone,
        "open_appointment": int(opened) if opened.isdigit() else None,
    }
    time_off = _day_blocks(
        actor,
        columns,
        by,
        local_midnight(days[0], tz),
        local_midnight(days[-1] + dt.timedelta(days=1), tz),
    )
    if view == "day":
        context["day_body"] = day_body(
            _grid(shown, columns, by, tz, day, time_off),
            by=by,
            tz=tz,
            can_edit=context["can_edit"],
            csrf_token=get_token(request) if context["can_edit"] else "",
        )
    else:
        context["week"] = week = _week(shown, time_off, columns, by, tz, days)
        if context["can_edit"]:
            attach_free_slots(actor, location, by, week, columns)
        for row in week:
            row["html"] = week_cells(
                row["day"], row["cells"], location_id=location.pk, by=by, tz=tz
            )
    return render(request, "web/scheduling/calendar.html", context)


def _week(
    shown: list[Entry],
    time_off: list[Block],
    columns: list[Column],
    by: str,
    tz: Any,
    days: list[dt.date],
) -> list[dict[str, Any]]:
    """Per day and column: the appointments (on the day they start), and the time off cut to
    that day (local times). One pass over each list, whatever the columns and days."""
    attribute = "room_id" if by == "room" else "practitioner_id"
    appointments: dict[tuple[dt.date, int], list[Entry]] = defaultdict(list)
    for a in shown:
        appointments[a.start.astimezone(tz).date(), getattr(a, attribute)].append(a)
    blocks: dict[int, list[Block]] = defaultdict(list)
    for b in time_off:
        blocks[getattr(b, attribute)].append(b)
    week = []
    for d in days:
        opens, closes = local_midnight(d, tz), local_midnight(d + dt.timedelta(days=1), tz)
        cells = []
        for c in columns:
            off = [
                {
                    "block": b,
                    "start": max(b.start, opens).astimezone(tz),
                    "end": min(b.end, closes).astimezone(tz),
                    "all_day": b.start <= opens and closes <= b.end,
                }
                for b in blocks[c.key]
                if b.start < closes and opens < b.end
            ]
            cells.append({"appointments": appointments[d, c.key], "time_off": off})
        week.append({"day": d, "cells": cells})
    return week


class MoveForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput({"type": "date"}))
    time = forms.TimeField(label=gettext_lazy("Time"), widget=forms.TimeInput({"type": "time"}))
    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Practitioner"), queryset=Membership.objects.none()
    )
    room = forms.ModelChoiceField(label=gettext_lazy("Room"), queryset=Room.objects.none())

    def __init__(self, actor: Actor, location: Location, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.queryset = (
            Membership.objects.for_org(actor.org_id)
            .filter(is_active=True, role__in=TREATING_ROLES)
            .select_related("user")
        )
        practitioner_field.label_from_instance = lambda m: m.user.full_name or m.user.email
        room_field: Any = self.fields["room"]
        room_field.queryset = Room.objects.for_org(actor.org_id).filter(
            location=location, is_active=True
        )
        room_field.label_from_instance = lambda r: r.name


class CancelForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=2000)


class CheckInForm(forms.Form):
    """Checking in on another day than the appointment's asks why (issue 18, bug 8)."""

    reason = forms.CharField(
        label=gettext_lazy("Why check in on another day"),
        max_length=2000,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )


def _panel(
    request: HttpRequest,
    actor: Actor,
    appointment: Appointment,
    form: MoveForm | None = None,
    error: DomainError | None = None,
    offer: Any = None,
    check_in_form: CheckInForm | None = None,
) -> HttpResponse:
    tz = appointment.location.tz
    local_start = appointment.start.astimezone(tz)
    other_day = local_start.date() != timezone.now().astimezone(tz).date()
    if form is None:
        form = MoveForm(
            actor,
            appointment.location,
            initial={
                "date": local_start.date(),
                "time": local_start.time(),
                "practitioner": appointment.practitioner_id,
                "room": appointment.room_id,
            },
        )
    context = {
        "appointment": appointment,
        "local_start": local_start,
        "local_end": appointment.end.astimezone(tz),
        "form": form,
        "cancel_form": CancelForm(),
        "check_in_form": check_in_form or CheckInForm(),
        "check_in_other_day": other_day,
        "error": error,
        "conflicts": (error.context.get("conflicts") if error else None) or [],
        "offer": offer,
        "can_edit": actor.can(Perm.SCHEDULE_EDIT),
        # Before and at check-in: each instruction's answer ("could not follow" warns).
        "precare": precare_status(appointment)
        if appointment.status in (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)
        else None,
        "safety_check_id": _check_in_safety_check(actor, appointment, local_start.date()),
        "can_chart": actor.can(Perm.CLINICAL_EDIT),
    }
    return render(request, "web/scheduling/_appointment_panel.html", context)


def _check_in_safety_check(actor: Actor, appointment: Appointment, day: dt.date) -> int | None:
    """The safety check stored when this patient was checked in (the panel shows it)."""
    if appointment.status != AppointmentStatus.CHECKED_IN:
        return None
    if not (actor.can(Perm.CLINICAL_VIEW) or actor.can(Perm.SAFETY_CHECK)):
        return None
    from mesocare.safety.models import SafetyCheck

    return (
        SafetyCheck.objects.for_org(actor.org_id)
        .filter(patient_id=appointment.patient_id, moment="check_in", on=day)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )


@staff_view(Perm.SCHEDULE_VIEW)
def appointment_panel(request: HttpRequest, actor: Actor, appointment_id: int) -> HttpResponse:
    appointment = appts.get_appointment(actor, appointment_id, channel="web")
    return _panel(request, actor, appointment)


def _done(
    request: HttpRequest, appointment: Appointment, message: str, *, open_panel: bool = False
) -> HttpResponse:
    messages.success(request, message)
    local_day = appointment.start.astimezone(appointment.location.tz).date()
    url = (
        reverse("web:calendar")
        + f"?location={appointment.location_id}&date={local_day.isoformat()}"
    )
    if open_panel:  # the calendar opens this appointment's panel (check-in: safety, session)
        url += f"&appointment={appointment.pk}"
    if getattr(request, "htmx", False):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_POST
@staff_view(Perm.SCHEDULE_EDIT)
def appointment_move(request: HttpRequest, actor: Actor, appointment_id: int) -> HttpResponse:
    appointment = appts.get_appointment(actor, appointment_id, channel="web", audit=False)
    form = MoveForm(actor, appointment.location, request.POST)
    if not form.is_valid():
        return _panel(request, actor, appointment, form)
    start = dt.datetime.combine(
        form.cleaned_data["date"], form.cleaned_data["time"], tzinfo=appointment.location.tz
    )
    try:
        result = appts.move_appointment(
            actor,
            appointment,
            start=start,
            practitioner=form.cleaned_data["practitioner"],
            room=form.cleaned_data["room"],
            channel="web",
        )
    except DomainError as exc:
        fresh = appts.get_appointment(actor, appointment_id, channel="web", audit=False)
        return _panel(request, actor, fresh, form, exc)
    if result.shift_offer is not None and result.shift_offer.proposals:
        messages.warning(
            request,
            _(
                "Moved. Later sessions of the course no longer keep the plan's interval; "
                "re-plan them from the plan's booking page."
            ),
        )
    return _done(request, result.appointment, _("Appointment moved."))


@require_POST
@staff_view(Perm.SCHEDULE_EDIT)
def appointment_action(
    request: HttpRequest, actor: Actor, appointment_id: int, action: str
) -> HttpResponse:
    appointment = appts.get_appointment(actor, appointment_id, channel="web", audit=False)
    try:
        if action == "check-in":
            check_in_form = CheckInForm(request.POST)
            check_in_form.is_valid()
            reason = check_in_form.cleaned_data.get("reason", "")
            try:
                appts.check_in(actor, appointment, reason=reason, channel="web")
            except DomainError as exc:
                if not any(e["field"] == "reason" for e in exc.errors):
                    raise
                apply_domain_errors(check_in_form, exc)
                fresh = appts.get_appointment(actor, appointment_id, channel="web", audit=False)
                return _panel(request, actor, fresh, check_in_form=check_in_form)
            message = _("Checked in.")
        elif action == "complete":
            appts.complete_appointment(actor, appointment, channel="web")
            message = _("Completed.")
        elif action == "no-show":
            appts.mark_no_show(actor, appointment, channel="web")
            message = _("Marked as a no-show.")
        elif action == "cancel":
            appts.cancel_appointment(
                actor, appointment, request.POST.get("reason", ""), channel="web"
            )
            message = _("Cancelled.")
        else:
            raise NotFound("not_found", _("Unknown action."))
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        fresh = appts.get_appointment(actor, appointment_id, channel="web", audit=False)
        return _panel(request, actor, fresh, error=exc)
    return _done(request, appointment, message, open_panel=action == "check-in")


# --- patient tab -----------------------------------------------------------------------------


@staff_view(Perm.SCHEDULE_VIEW)
def patient_appointments(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "appointments")
    rows = list(appts.list_appointments(actor, patient=patient.pk).select_related("plan__protocol"))
    now = timezone.now()
    plans = (
        TreatmentPlan.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .select_related("protocol")
        .prefetch_related(
            Prefetch(
                "appointments",
                Appointment.objects.filter(status__in=ACTIVE_STATUSES).select_related("location"),
            )
        )
        .order_by("-created_at")
    )
    timelines = []
    for plan in plans:
        by_index = {a.course_index: a for a in plan.appointments.all()}
        timelines.append(
            {
                "plan": plan,
                "sessions": [
                    {"index": i, "appointment": by_index.get(i)}
                    for i in range(1, plan.sessions_planned + 1)
                ],
                "can_book": plan.status in courses.OPEN_PLAN_STATUSES,
            }
        )
    context.update(
        {
            "upcoming": [a for a in rows if a.end >= now],
            "past": [a for a in rows if a.end < now][::-1],
            "timelines": timelines,
            "can_edit": actor.can(Perm.SCHEDULE_EDIT),
        }
    )
    return render(request, "web/scheduling/patient_appointments.html", context)
