"""Staff pages: book one appointment from the calendar (the form, with a new patient's
registration, and its patient search).

The calendar itself is in `mesocare/web/views/scheduling.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mesocare.audit.services import record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError, Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.patients.services.registry import search_patients
from mesocare.scheduling.services.calendars import TREATING_ROLES
from mesocare.web.views.base import apply_domain_errors, staff_view
from mesocare.web.views.calendar_booking import (
    CONSULTATION,
    VisitFields,
    book_appointment_call,
    book_for_new_patient,
)
from mesocare.web.views.scheduling import _done, _locations

# --- book from the calendar ------------------------------------------------------------------

DURATIONS = (15, 20, 30, 45, 60, 90, 120)


class BookForm(VisitFields):
    """One appointment from an empty slot of the calendar: any single visit of a patient on
    file, or a consultation for a new patient (registered with it); course sessions are booked
    from the plan, where the course's rules apply."""

    patient = forms.ModelChoiceField(
        label=gettext_lazy("Patient"),
        queryset=Patient.objects.none(),
        widget=forms.RadioSelect,
        required=False,
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput({"type": "date"}))
    time = forms.TimeField(label=gettext_lazy("Time"), widget=forms.TimeInput({"type": "time"}))
    duration_min = forms.TypedChoiceField(
        label=gettext_lazy("Duration"),
        coerce=int,
        choices=[],
        initial=30,
    )
    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Practitioner"), queryset=Membership.objects.none()
    )
    room = forms.ModelChoiceField(label=gettext_lazy("Room"), queryset=Room.objects.none())
    notes = forms.CharField(
        label=gettext_lazy("Reason for the visit"),
        required=False,
        max_length=2000,
        widget=forms.TextInput,
    )

    def __init__(self, actor: Actor, location: Location, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient_field: Any = self.fields["patient"]
        patient_field.queryset = Patient.objects.for_org(actor.org_id)
        duration_field: Any = self.fields["duration_min"]
        duration_field.choices = [
            (m, ngettext("%(n)d minute", "%(n)d minutes", m) % {"n": m}) for m in DURATIONS
        ]
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.queryset = (
            Membership.objects.for_org(actor.org_id)
            .filter(is_active=True, role__in=TREATING_ROLES)
            .select_related("user")
            .order_by("user__full_name", "id")
        )
        practitioner_field.label_from_instance = lambda m: m.user.full_name or m.user.email
        room_field: Any = self.fields["room"]
        room_field.queryset = Room.objects.for_org(actor.org_id).filter(
            location=location, is_active=True
        )
        room_field.label_from_instance = lambda r: r.name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.clean_visit_fields(data)
        return data


def _book_location(actor: Actor, raw: str | None) -> Location:
    locations = _locations(actor)
    location = next((loc for loc in locations if str(loc.pk) == (raw or "")), None)
    if location is None:
        raise NotFound("not_found", _("No location with this id."))
    return location


def _book_panel(
    request: HttpRequest,
    actor: Actor,
    location: Location,
    form: BookForm,
    *,
    chosen: Patient | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "form": form,
        "location": location,
        "chosen": chosen,
        "error": error,
        "conflicts": (error.context.get("conflicts") if error else None) or [],
    }
    if getattr(request, "htmx", False):
        # htmx swaps only successful answers into the calendar's side panel
        return render(request, "web/scheduling/_book_panel.html", context)
    return render(request, "web/scheduling/book.html", context, status=status)


@staff_view(Perm.SCHEDULE_EDIT)
def appointment_new(request: HttpRequest, actor: Actor) -> HttpResponse:
    """GET: the booking form for a slot (``?location&date&time&practitioner|room``), shown in
    the calendar's side panel. POST: book it; a conflict is explained next to the form."""
    source = request.POST if request.method == "POST" else request.GET
    location = _book_location(actor, source.get("location"))
    if request.method != "POST":
        initial: dict[str, Any] = {"duration_min": 30}
        for key in ("date", "time", "practitioner", "room", "visit"):
            if source.get(key):
                initial[key] = source[key]
        if "practitioner" not in initial and actor.membership.role in TREATING_ROLES:
            initial["practitioner"] = actor.membership.pk
        if "room" not in initial:
            first_room = (
                Room.objects.for_org(actor.org_id).filter(location=location, is_active=True).first()
            )
            initial["room"] = first_room.pk if first_room else None
        return _book_panel(request, actor, location, BookForm(actor, location, initial=initial))
    form = BookForm(actor, location, request.POST)
    if not form.is_valid():
        chosen = form.cleaned_data.get("patient") if hasattr(form, "cleaned_data") else None
        return _book_panel(request, actor, location, form, chosen=chosen, status=422)
    data = form.cleaned_data
    start = dt.datetime.combine(data["date"], data["time"], tzinfo=location.tz)
    book = book_appointment_call(actor, data, start)
    try:
        if data["visit"] == CONSULTATION:
            _new, appointment = book_for_new_patient(actor, form, book=book, notes=data["notes"])
        else:
            appointment = book(data["patient"], data["notes"])
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        registration = any(name.startswith("new_") for name in form.errors)
        if exc.errors and not registration:
            apply_domain_errors(form, exc)
        status = 422 if isinstance(exc, Invalid) else 409
        return _book_panel(
            request, actor, location, form, chosen=data["patient"], error=exc, status=status
        )
    return _done(request, appointment, _("Appointment booked."), open_panel=True)


@staff_view(Perm.SCHEDULE_EDIT)
def book_patient_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The booking panel's patient search: up to 8 matches as radio choices (audited read)."""
    q = request.GET.get("q", "")[:200]
    results = list(search_patients(actor, q)[:8]) if q.strip() else []
    if results:
        record_list_read(
            actor,
            "patients.patient",
            [p.pk for p in results],
            summary=f"booking patient search ({len(results)} shown)",
            channel="web",
        )
    return render(request, "web/scheduling/_book_patients.html", {"results": results, "q": q})
