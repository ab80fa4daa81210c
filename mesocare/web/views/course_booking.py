"""Staff pages: book a whole course of a plan (the options, the choice, the booking).

The calendar, appointments and the patient tab are in `mesocare/web/views/scheduling.py`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError, NotFound
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.services import courses
from mesocare.scheduling.services.calendars import TREATING_ROLES
from mesocare.web.views.base import staff_view
from mesocare.web.views.scheduling import _locations

# --- book a course ---------------------------------------------------------------------------


class ProposalForm(forms.Form):
    location = forms.ModelChoiceField(
        label=gettext_lazy("Location"), queryset=Location.objects.none()
    )
    earliest = forms.DateField(
        label=gettext_lazy("Earliest date"), widget=forms.DateInput({"type": "date"})
    )
    window_start = forms.TimeField(
        label=gettext_lazy("From (time of day)"),
        required=False,
        widget=forms.TimeInput({"type": "time"}),
    )
    window_end = forms.TimeField(
        label=gettext_lazy("Until (time of day)"),
        required=False,
        widget=forms.TimeInput({"type": "time"}),
    )
    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Practitioner"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any"),
    )
    same_practitioner = forms.BooleanField(
        label=gettext_lazy("Same practitioner for every session"), required=False, initial=True
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        location_field: Any = self.fields["location"]
        location_field.queryset = Location.objects.for_org(actor.org_id).filter(is_active=True)
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.queryset = (
            Membership.objects.for_org(actor.org_id)
            .filter(is_active=True, role__in=TREATING_ROLES)
            .select_related("user")
        )
        practitioner_field.label_from_instance = lambda m: m.user.full_name or m.user.email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("window_start"), data.get("window_end")
        if (start is None) != (end is None):
            self.add_error("window_end", _("Give both ends of the window, or neither."))
        elif start is not None and end is not None and not start < end:
            self.add_error("window_end", _("The window must end after it starts."))
        return data


def _plan_for_booking(actor: Actor, plan_id: int) -> TreatmentPlan:
    return get_for_org(
        TreatmentPlan,
        actor.org_id,
        plan_id,
        queryset=TreatmentPlan.objects.select_related("patient", "protocol"),
    )


def _encode(proposal: courses.CourseProposal) -> str:
    return json.dumps(
        [[s.index, s.start.isoformat(), s.practitioner_id, s.room_id] for s in proposal.sessions]
    )


def _decode(actor: Actor, raw: str) -> list[courses.SessionChoice]:
    try:
        rows = json.loads(raw)
        out = []
        for index, start, practitioner, room in rows:
            out.append(
                courses.SessionChoice(
                    int(index),
                    dt.datetime.fromisoformat(start),
                    get_for_org(Membership, actor.org_id, practitioner),
                    get_for_org(
                        Room, actor.org_id, room, queryset=Room.objects.select_related("location")
                    ),
                )
            )
    except (ValueError, TypeError) as exc:
        raise NotFound("not_found", _("That proposal cannot be read.")) from exc
    return out


def _names(actor: Actor) -> tuple[dict[int, str], dict[int, str]]:
    people = {
        m.pk: m.user.full_name or m.user.email
        for m in Membership.objects.for_org(actor.org_id).select_related("user")
    }
    rooms = {r.pk: r.name for r in Room.objects.for_org(actor.org_id)}
    return people, rooms


@staff_view(Perm.SCHEDULE_EDIT)
def book_course(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    """The wizard: pick location, window and practitioner; see the optimal course and the
    alternatives; confirm one (all sessions booked, or none)."""
    plan = _plan_for_booking(actor, plan_id)
    context: dict[str, Any] = {"plan": plan, "patient": plan.patient}
    if request.method == "POST":
        try:
            courses.book_course(
                actor, plan, _decode(actor, request.POST.get("sessions", "")), channel="web"
            )
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            context["error"] = exc
            context["conflicts"] = exc.context.get("conflicts") or []
            context["findings"] = exc.context.get("findings") or []
        else:
            messages.success(request, _("The course is booked."))
            return redirect("web:patient-appointments", patient_id=plan.patient_id)
    data = request.GET if "location" in request.GET else None
    locations = _locations(actor)
    form = ProposalForm(
        actor,
        data,
        initial={
            "location": actor.membership.default_location_id
            or (locations[0].pk if locations else None),
            "earliest": timezone.localdate(),
            "same_practitioner": True,
        },
    )
    context["form"] = form
    if data is not None and form.is_valid():
        cleaned = form.cleaned_data
        window = None
        if cleaned.get("window_start") and cleaned.get("window_end"):
            window = (cleaned["window_start"], cleaned["window_end"])
        try:
            options = courses.propose_course(
                actor,
                plan,
                cleaned["location"],
                cleaned["earliest"],
                practitioner=cleaned.get("practitioner"),
                same_practitioner=bool(cleaned.get("same_practitioner")),
                window=window,
                alternatives=3,
            )
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            context["error"] = exc
        else:
            tz = cleaned["location"].tz
            people, rooms = _names(actor)
            context["options"] = options
            context["timezone"] = cleaned["location"].timezone  # templates render in it
            context["proposals"] = [
                {
                    "n": n,
                    "deviation_days": p.deviation_days,
                    "finish": p.finish.astimezone(tz),
                    "encoded": _encode(p),
                    "sessions": [
                        {
                            "index": s.index,
                            "start": s.start.astimezone(tz),
                            "end": s.end.astimezone(tz),
                            "practitioner": people.get(s.practitioner_id, "?"),
                            "room": rooms.get(s.room_id or 0, "—"),
                        }
                        for s in p.sessions
                    ],
                }
                for n, p in enumerate(options.proposals)
            ]
    if getattr(request, "htmx", False) and request.method == "GET":
        return render(request, "web/scheduling/_proposals.html", context)
    return render(request, "web/scheduling/book_course.html", context)
