"""Time off in the staff UI: per location, the upcoming blocks of its practitioners and rooms,
a form to add one (times in the location's time zone) and a confirmed removal. Saving a block
over booked appointments keeps them booked and names them, linked, for the desk to move."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services import blocks
from mesocare.scheduling.services.calendars import TREATING_ROLES
from mesocare.web.views.base import apply_domain_errors, staff_view

SHOWN = 200  # upcoming blocks listed on the page
NAMED = 10  # affected appointments linked in the message
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what a datetime-local input sends


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format=LOCAL_INPUT)


class BlockForm(forms.Form):
    """Validate inside ``timezone.override(location.tz)``: the inputs are local times there."""

    practitioner = forms.ModelChoiceField(
        label=gettext_lazy("Practitioner"),
        queryset=Membership.objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy("Leave or training: not bookable at any location."),
    )
    room = forms.ModelChoiceField(
        label=gettext_lazy("Room"),
        queryset=Room.objects.none(),
        required=False,
        empty_label="—",
        help_text=gettext_lazy("Maintenance: nobody is booked in the room."),
    )
    start = forms.DateTimeField(
        label=gettext_lazy("From"), input_formats=[LOCAL_INPUT], widget=LocalDateTimeInput()
    )
    end = forms.DateTimeField(
        label=gettext_lazy("Until"), input_formats=[LOCAL_INPUT], widget=LocalDateTimeInput()
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=blocks.REASON_MAX_LENGTH, required=False
    )

    def __init__(self, actor: Actor, location: Location, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        practitioner_field: Any = self.fields["practitioner"]
        practitioner_field.queryset = (
            Membership.objects.for_org(actor.org_id)
            .filter(is_active=True, role__in=TREATING_ROLES, working_hours__location=location)
            .select_related("user")
            .distinct()
            .order_by("user__full_name", "id")
        )
        practitioner_field.label_from_instance = lambda m: m.user.full_name or m.user.email
        room_field: Any = self.fields["room"]
        room_field.queryset = Room.objects.for_org(actor.org_id).filter(
            location=location, is_active=True
        )
        room_field.label_from_instance = lambda r: r.name


def _url(location: Location) -> str:
    return reverse("web:time-off", kwargs={"location_id": location.pk})


def _local(moment: Any, tz: Any) -> str:
    return date_format(moment.astimezone(tz), "D j M Y H:i")


def _calendar_link(appointment: Appointment) -> str:
    local_day = appointment.start.astimezone(appointment.location.tz).date()
    return (
        reverse("web:calendar")
        + f"?location={appointment.location_id}&date={local_day.isoformat()}"
        + f"&appointment={appointment.pk}"
    )


def affected_message(affected: list[Appointment]) -> SafeString:
    """The appointments inside a new block, each a link to it on the calendar."""
    links = format_html_join(
        ", ",
        '<a href="{}">{} · {}</a>',
        (
            (_calendar_link(a), a.patient.full_name, _local(a.start, a.location.tz))
            for a in affected[:NAMED]
        ),
    )
    more = ""
    if len(affected) > NAMED:
        more = " " + _("and %(n)d more") % {"n": len(affected) - NAMED}
    text = ngettext(
        "%(n)d booked appointment falls inside this time off and stays booked; move or cancel it:",
        "%(n)d booked appointments fall inside this time off and stay booked; move or cancel them:",
        len(affected),
    ) % {"n": len(affected)}
    return format_html("{} {}{}", text, links, more)


def _subject(block: Block) -> str:
    who = ""
    if block.practitioner is not None:
        who = block.practitioner.user.full_name or block.practitioner.user.email
    if who and block.room:
        return _("%(who)s in %(room)s") % {"who": who, "room": block.room.name}
    return who or (block.room.name if block.room else "")


def _location(actor: Actor, location_id: int) -> Location:
    return get_for_org(Location, actor.org_id, location_id)


@staff_view(Perm.SCHEDULE_VIEW)
def time_off(request: HttpRequest, actor: Actor, location_id: int) -> HttpResponse:
    location = _location(actor, location_id)
    can_edit = actor.can(Perm.SCHEDULE_EDIT)
    form: BlockForm | None = BlockForm(actor, location) if can_edit else None
    if request.method == "POST":
        actor.require(Perm.SCHEDULE_EDIT)
        form = BlockForm(actor, location, request.POST)
        with timezone.override(location.tz):
            valid = form.is_valid()
        if valid:
            try:
                created = blocks.create_block(actor, channel="web", **form.cleaned_data)
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, _("Time off saved."))
                if created.affected:
                    messages.warning(request, affected_message(created.affected))
                return redirect(_url(location))
    upcoming = list(
        blocks.list_blocks(actor, location=location.pk, start_from=timezone.now())[: SHOWN + 1]
    )
    context = {
        "location": location,
        "locations": list(Location.objects.for_org(actor.org_id).filter(is_active=True)),
        "blocks": [(b, _subject(b)) for b in upcoming[:SHOWN]],
        "more": len(upcoming) > SHOWN,
        "form": form,
        "can_edit": can_edit,
        "timezone": location.timezone,
    }
    return render(request, "web/scheduling/time_off.html", context)


@staff_view(Perm.SCHEDULE_EDIT)
def time_off_delete(
    request: HttpRequest, actor: Actor, location_id: int, block_id: int
) -> HttpResponse:
    """GET asks for confirmation; POST removes the block (the time becomes bookable again)."""
    location = _location(actor, location_id)
    block = get_for_org(Block, actor.org_id, block_id, queryset=blocks.block_queryset(actor))
    back_url = _url(location)
    if request.method == "POST":
        try:
            blocks.delete_block(actor, block, channel="web")
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Time off removed."))
        return redirect(back_url)
    tz = location.tz
    return render(
        request,
        "web/confirm.html",
        {
            "title": _("Remove time off"),
            "question": _(
                "Remove the time off of %(who)s from %(start)s to %(end)s? "
                "That time becomes bookable again."
            )
            % {
                "who": _subject(block),
                "start": _local(block.start, tz),
                "end": _local(block.end, tz),
            },
            "button": _("Remove"),
            "cancel_url": back_url,
        },
    )


urlpatterns = [
    path("calendar/<int:location_id>/time-off", time_off, name="time-off"),
    path(
        "calendar/<int:location_id>/time-off/<int:block_id>/delete",
        time_off_delete,
        name="time-off-delete",
    ),
]
