"""Staff pages of online booking: the settings (open or closed, cut-off, policy text), the
services offered online, and the queue of patient-reported intake to confirm."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.booking.models import OnlineBookingSettings, OnlineService
from mesocare.booking.services import intake, setup
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Conflict, DomainError
from mesocare.web.views.base import apply_domain_errors, staff_view

QUEUE_SHOWN = 100


class SettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = OnlineBookingSettings
        fields = ["enabled", "cutoff_hours", "policy_text"]
        widgets = {"policy_text": forms.Textarea(attrs={"rows": 3})}


class ServiceForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = OnlineService
        fields = list(setup.SERVICE_FIELDS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "policy_text": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "cutoff_hours": gettext_lazy("Empty: the clinic's setting."),
            "policy_text": gettext_lazy("Empty: the clinic's policy text."),
        }

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["protocol"]
        field.queryset = Protocol.objects.filter(
            organization_id__in=[actor.org_id]
        ) | Protocol.objects.filter(organization__isnull=True)
        field.required = False

    def _post_clean(self) -> None:  # the service validates (and reports) the model
        pass


@staff_view(Perm.ORG_MANAGE)
def settings_page(request: HttpRequest, actor: Actor) -> HttpResponse:
    current = setup.settings_of(actor.org_id)
    form = SettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            setup.update_settings(
                actor, **{f: form.cleaned_data[f] for f in SettingsForm.Meta.fields}
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Online booking settings saved."))
            return redirect("web:online-booking")
    return render(
        request,
        "web/online_booking/settings.html",
        {
            "form": form,
            "settings": current,
            "services": list(setup.list_services(actor)),
            "public_url": request.build_absolute_uri(f"/book/{actor.organization.slug}/"),
        },
    )


@staff_view(Perm.ORG_MANAGE)
def service_page(request: HttpRequest, actor: Actor, service_id: int | None = None) -> HttpResponse:
    service = setup.get_service(actor, service_id) if service_id is not None else None
    form = ServiceForm(actor, request.POST or None, instance=service)
    if request.method == "POST" and form.is_valid():
        fields: dict[str, Any] = {n: form.cleaned_data.get(n) for n in setup.SERVICE_FIELDS}
        for name in ("description", "price_text", "room_kind", "policy_text"):
            fields[name] = fields[name] or ""
        try:
            setup.save_service(actor, service, **fields)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Service saved."))
            return redirect("web:online-booking")
    return render(request, "web/online_booking/service.html", {"form": form, "service": service})


@staff_view(Perm.CLINICAL_VIEW)
def intake_queue(request: HttpRequest, actor: Actor) -> HttpResponse:
    shown = list(intake.intake_queue(actor)[:QUEUE_SHOWN])
    intake.record_queue_read(actor, shown)
    return render(
        request,
        "web/online_booking/intake_queue.html",
        {"submissions": shown, "can_confirm": actor.can(Perm.CLINICAL_EDIT)},
    )


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def intake_confirm(request: HttpRequest, actor: Actor, submission_id: int) -> HttpResponse:
    try:
        intake.confirm_intake(actor, submission_id)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Intake confirmed."))
    return redirect("web:online-booking-intake")


urlpatterns = [
    path("online-booking", settings_page, name="online-booking"),
    path("online-booking/services/new", service_page, name="online-service-new"),
    path("online-booking/services/<int:service_id>", service_page, name="online-service"),
    path("online-booking/intake", intake_queue, name="online-booking-intake"),
    path(
        "online-booking/intake/<int:submission_id>/confirm",
        intake_confirm,
        name="online-booking-intake-confirm",
    ),
]
