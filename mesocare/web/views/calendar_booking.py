"""Booking from the calendar, beyond an existing patient's single visit: a **consultation** for a
new patient (registered and booked in one step, no plan), and the **week grid**'s free slots
(each day and practitioner or room shows its first free times, each a link that opens the
booking form for it).

The booking form itself (`BookForm`) and its view live in `mesocare.web.views.scheduling`; this
module holds the parts they share with the week grid.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, OpeningHours, WorkingHours
from mesocare.errors import Invalid
from mesocare.patients.choices import SexAtBirth
from mesocare.patients.models import Patient
from mesocare.patients.services.registry import register_patient
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.web.forms.widgets import DateInput

EXISTING, CONSULTATION = "existing", "consultation"
NEW_PATIENT_FIELDS = ("given_name", "family_name", "birth_date", "sex_at_birth", "phone", "email")
SLOT_MINUTES = 30
FREE_SHOWN = 4  # free times listed per day and column in the week grid


class VisitFields(forms.Form):
    """The booking form's choice between a patient on file and a new patient's consultation,
    and the new patient's details (asked only for a consultation)."""

    visit = forms.ChoiceField(
        label=gettext_lazy("Kind of visit"),
        choices=[
            (EXISTING, gettext_lazy("A visit for a patient on file")),
            (CONSULTATION, gettext_lazy("A consultation for a new patient")),
        ],
        initial=EXISTING,
        widget=forms.RadioSelect,
        required=False,  # a visit for a patient on file unless a consultation is chosen
    )
    new_given_name = forms.CharField(
        label=gettext_lazy("Given name"), max_length=100, required=False
    )
    new_family_name = forms.CharField(
        label=gettext_lazy("Family name"), max_length=100, required=False
    )
    new_birth_date = forms.DateField(
        label=gettext_lazy("Born on"), required=False, widget=DateInput()
    )
    new_sex_at_birth = forms.ChoiceField(
        label=gettext_lazy("Sex at birth"),
        choices=[("", pgettext_lazy("select", "Choose")), *SexAtBirth.choices],
        required=False,
    )
    new_phone = forms.CharField(label=gettext_lazy("Phone"), max_length=40, required=False)
    new_email = forms.EmailField(label=gettext_lazy("Email"), required=False)

    def clean_visit_fields(self, data: dict[str, Any]) -> None:
        """Require the patient on file, or the new patient's name, birth date and sex."""
        if data.get("visit") == CONSULTATION:
            for name in ("new_given_name", "new_family_name", "new_birth_date", "new_sex_at_birth"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("Needed to register the new patient."))
        elif not data.get("patient") and "patient" not in self.errors:
            self.add_error("patient", _("Search for the patient and choose one."))

    def new_patient_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[f"new_{name}"] for name in NEW_PATIENT_FIELDS}
        values["given_name"] = values["given_name"].strip()
        values["family_name"] = values["family_name"].strip()
        return values


def book_for_new_patient(
    actor: Actor, form: VisitFields, *, book: Any, notes: str
) -> tuple[Patient, Appointment]:
    """Register the new patient and book their consultation, both or neither. ``book`` books
    for a patient (the view's call of `book_appointment`). A registration error is put next to
    its field of the form (and re-raised)."""
    try:
        with transaction.atomic():
            patient = register_patient(actor, **form.new_patient_values())
            appointment = book(patient, notes or _("First consultation"))
    except Invalid as exc:
        for error in exc.errors:
            name = f"new_{error.get('field', '')}"
            if name in form.fields:
                form.add_error(name, error.get("message", exc.message))
        raise
    return patient, appointment


def book_appointment_call(actor: Actor, data: dict[str, Any], start: dt.datetime) -> Any:
    """The view's booking of one appointment for a patient (shared by both kinds of visit)."""

    def book(patient: Patient, notes: str) -> Appointment:
        return appts.book_appointment(
            actor,
            patient=patient,
            practitioner=data["practitioner"],
            room=data["room"],
            start=start,
            duration_min=data["duration_min"],
            notes=notes,
            channel="web",
        )

    return book


# --- the week grid's free slots ---------------------------------------------------------------


def _hours(
    actor: Actor, location: Location, by: str
) -> dict[int | None, dict[int, list[tuple[dt.time, dt.time]]]]:
    """{column key (None = the location): {weekday: [(opens, closes)]}} (one query)."""
    hours: dict[int | None, dict[int, list[tuple[dt.time, dt.time]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if by == "room":
        for row in OpeningHours.objects.filter(location=location):
            hours[None][row.weekday].append((row.opens, row.closes))
        return hours
    for w in WorkingHours.objects.for_org(actor.org_id).filter(location=location):
        hours[w.membership_id][w.weekday].append((w.opens, w.closes))
    return hours


def _busy(cell: dict[str, Any]) -> list[tuple[dt.datetime, dt.datetime]]:
    spans = [(a.start, a.end) for a in cell["appointments"] if a.status != "no_show"]
    spans += [(off["block"].start, off["block"].end) for off in cell["time_off"]]
    return spans


def free_starts(
    day: dt.date,
    intervals: Sequence[tuple[dt.time, dt.time]],
    busy: Sequence[tuple[dt.datetime, dt.datetime]],
    tz: Any,
    now: dt.datetime,
    *,
    step: int = SLOT_MINUTES,
    limit: int = FREE_SHOWN,
) -> list[dt.datetime]:
    """The first ``limit`` starts of a free ``step``-minute slot on ``day`` within the working
    intervals, not overlapping anything busy, not in the past."""
    found: list[dt.datetime] = []
    for opens, closes in sorted(intervals):
        start = dt.datetime.combine(day, opens, tzinfo=tz)
        until = dt.datetime.combine(day, closes, tzinfo=tz)
        while start + dt.timedelta(minutes=step) <= until:
            end = start + dt.timedelta(minutes=step)
            if start >= now and not any(b0 < end and start < b1 for b0, b1 in busy):
                found.append(start)
                if len(found) >= limit:
                    return found
            start = end
    return found


def attach_free_slots(
    actor: Actor, location: Location, by: str, week: list[dict[str, Any]], columns: Sequence[Any]
) -> None:
    """Give each week cell ``free`` (its first free times) and ``full`` (working, none free)."""
    hours = _hours(actor, location, by)
    now = timezone.now()
    tz = location.tz
    today = now.astimezone(tz).date()
    for row in week:
        day = row["day"]
        for column, cell in zip(columns, row["cells"], strict=True):
            weekly = hours[None if by == "room" else column.key]
            # a day gone by has no free time to offer (and is never "fully booked")
            intervals = weekly.get(day.weekday(), []) if day >= today else []
            cell["key"], cell["label"] = column.key, column.label
            cell["free"] = free_starts(day, intervals, _busy(cell), tz, now) if intervals else []
            cell["full"] = bool(intervals) and not cell["free"]
