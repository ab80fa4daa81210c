"""Reached from the calendar: the location's waitlist (who waits for a slot, and adding a
patient to it) and calendar feeds (an iCalendar link for a phone or desktop calendar; the
link is shown once, only its hash is kept, and it can be revoked)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.audit.services import record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError, NotFound
from mesocare.patients.models import Patient
from mesocare.scheduling.choices import WaitlistStatus
from mesocare.scheduling.models import CalendarFeed
from mesocare.scheduling.services import feeds, waitlist
from mesocare.scheduling.services.calendars import TREATING_ROLES
from mesocare.web.views.base import apply_domain_errors, staff_view

# --- waitlist ----------------------------------------------------------------------------------


class WaitlistForm(forms.Form):
    patient = forms.ModelChoiceField(
        label=gettext_lazy("Patient"),
        queryset=Patient.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Search for the patient and choose one.")},
    )
    earliest = forms.DateField(
        label=gettext_lazy("Earliest date"), widget=forms.DateInput({"type": "date"})
    )
    latest = forms.DateField(
        label=gettext_lazy("Latest date"),
        required=False,
        widget=forms.DateInput({"type": "date"}),
    )
    duration_min = forms.IntegerField(
        label=gettext_lazy("Duration (minutes)"), initial=30, min_value=1, max_value=720
    )
    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Practitioner"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label=gettext_lazy("Any"),
    )
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, max_length=2000, widget=forms.TextInput
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        patient_field: Any = self.fields["patient"]
        patient_field.queryset = Patient.objects.for_org(actor.org_id)
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.queryset = (
            Membership.objects.for_org(actor.org_id)
            .filter(is_active=True, role__in=TREATING_ROLES)
            .select_related("user")
            .order_by("user__full_name", "id")
        )
        practitioner_field.label_from_instance = lambda m: m.user.full_name or m.user.email


@staff_view(Perm.SCHEDULE_VIEW)
def waitlist_page(request: HttpRequest, actor: Actor, location_id: int) -> HttpResponse:
    location = get_for_org(Location, actor.org_id, location_id)
    can_edit = actor.can(Perm.SCHEDULE_EDIT)
    form = None
    status = 200
    if can_edit:
        form = WaitlistForm(actor, request.POST or None)
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    waitlist.add_to_waitlist(
                        actor,
                        patient=data["patient"],
                        location=location,
                        earliest=data["earliest"],
                        latest=data["latest"],
                        duration_min=data["duration_min"],
                        practitioner=data["practitioner"],
                        notes=data["notes"],
                        channel="web",
                    )
                except DomainError as exc:
                    if isinstance(exc, NotFound):
                        raise
                    apply_domain_errors(form, exc)
                else:
                    messages.success(request, _("Added to the waitlist."))
                    return redirect("web:waitlist", location_id=location.pk)
            status = 422
    elif request.method == "POST":
        actor.require(Perm.SCHEDULE_EDIT)
    entries = list(
        waitlist.list_waitlist(actor, location=location.pk).filter(
            status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
        )[:200]
    )
    if entries:
        record_list_read(
            actor,
            "scheduling.waitlistentry",
            [e.patient_id for e in entries],
            summary=f"waitlist of {location.name} ({len(entries)} shown)",
            channel="web",
        )
    chosen = None
    if form is not None and form.is_bound and form.is_valid():
        chosen = form.cleaned_data["patient"]
    context = {
        "location": location,
        "entries": entries,
        "form": form,
        "chosen": chosen,
        "timezone": location.timezone,
    }
    return render(request, "web/scheduling/waitlist.html", context, status=status)


# --- calendar feeds ----------------------------------------------------------------------------


@staff_view(Perm.SCHEDULE_VIEW)
def feed_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    rows = list(
        feeds.list_feeds(actor)
        .filter(revoked_at__isnull=True, patient__isnull=True)
        .select_related("practitioner__user", "created_by__user")
        .order_by("-created_at", "-id")
    )
    new_url = request.session.pop("new_feed_url", None)
    return render(
        request,
        "web/scheduling/feeds.html",
        {
            "feeds": rows,
            "new_url": new_url,
            "can_have_feed": actor.membership.role in TREATING_ROLES,
        },
    )


@require_POST
@staff_view(Perm.SCHEDULE_VIEW)
def feed_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    """A feed of the signed-in practitioner's own appointments."""
    try:
        _feed, raw = feeds.create_feed(actor, practitioner=actor.membership, channel="web")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
        return redirect("web:feeds")
    request.session["new_feed_url"] = request.build_absolute_uri(
        reverse("web:ical-feed", kwargs={"token": raw})
    )
    messages.success(request, _("Calendar feed created. Copy its address now: it is shown once."))
    return redirect("web:feeds")


@require_POST
@staff_view(Perm.SCHEDULE_VIEW)
def feed_revoke(request: HttpRequest, actor: Actor, feed_id: int) -> HttpResponse:
    feed = get_for_org(CalendarFeed, actor.org_id, feed_id)
    try:
        feeds.revoke_feed(actor, feed, channel="web")
    except DomainError as exc:
        if isinstance(exc, NotFound):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Calendar feed revoked."))
    return redirect("web:feeds")


urlpatterns = [
    path("calendar/<int:location_id>/waitlist", waitlist_page, name="waitlist"),
    path("calendar/feeds", feed_list, name="feeds"),
    path("calendar/feeds/new", feed_create, name="feed-create"),
    path("calendar/feeds/<int:feed_id>/revoke", feed_revoke, name="feed-revoke"),
]
