"""Catalog browser: indications → protocols with citations and evidence; copy a default and
edit the copy (every saved change is a new protocol version)."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.catalog import services
from mesocare.catalog.choices import EvidenceLevel, Technique
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import RoomKind
from mesocare.clinics.permissions import Perm
from mesocare.core.scales import all_scales
from mesocare.core.scheduling.durations import MAX_DURATION_MIN, MIN_DURATION_MIN
from mesocare.errors import DomainError
from mesocare.web.labels import scale_text
from mesocare.web.views.base import apply_domain_errors, staff_view

DECIMAL_FIELDS = (
    "depth_mm_min", "depth_mm_max", "volume_per_point_ml_min", "volume_per_point_ml_max",
    "volume_per_session_ml_min", "volume_per_session_ml_max",
)  # fmt: skip
NUMBER_FIELDS = (
    "interval_min_days", "interval_target_days", "interval_max_days", "response_check_session",
    "session_duration_min",
)  # fmt: skip


class ProtocolForm(forms.Form):
    """The editable parts of a clinic protocol, flat as the service takes them."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    technique = forms.ChoiceField(label=gettext_lazy("Technique"), choices=Technique.choices)
    depth_mm_min = forms.DecimalField(label=gettext_lazy("Depth min (mm)"), min_value=0)
    depth_mm_max = forms.DecimalField(label=gettext_lazy("Depth max (mm)"), min_value=0)
    volume_per_point_ml_min = forms.DecimalField(
        label=gettext_lazy("Volume per point min (mL)"), min_value=0
    )
    volume_per_point_ml_max = forms.DecimalField(
        label=gettext_lazy("Volume per point max (mL)"), min_value=0
    )
    volume_per_session_ml_min = forms.DecimalField(
        label=gettext_lazy("Volume per session min (mL)"), min_value=0
    )
    volume_per_session_ml_max = forms.DecimalField(
        label=gettext_lazy("Volume per session max (mL)"), min_value=0
    )
    scale = forms.ChoiceField(label=gettext_lazy("Scale"), required=False)
    sessions_by_band = forms.CharField(
        label=gettext_lazy("Sessions by band"),
        help_text=gettext_lazy('JSON, e.g. {"mild": 4, "moderate": 6}; "any" for every band.'),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    interval_min_days = forms.IntegerField(label=gettext_lazy("Interval min (days)"), min_value=1)
    interval_target_days = forms.IntegerField(
        label=gettext_lazy("Interval target (days)"), min_value=1
    )
    interval_max_days = forms.IntegerField(label=gettext_lazy("Interval max (days)"), min_value=1)
    response_check_session = forms.IntegerField(
        label=gettext_lazy("Response check at session"), min_value=1
    )
    responder_min_improvement = forms.DecimalField(
        label=gettext_lazy("Responder: minimum improvement (points)"), required=False
    )
    target_band = forms.CharField(label=gettext_lazy("Target band"), required=False)
    maintenance_interval_days = forms.IntegerField(
        label=gettext_lazy("Maintenance interval (days)"), required=False, min_value=1
    )
    session_duration_min = forms.IntegerField(
        label=gettext_lazy("Session duration (min)"),
        min_value=MIN_DURATION_MIN,
        max_value=MAX_DURATION_MIN,
    )
    room_kind = forms.ChoiceField(label=gettext_lazy("Room"), choices=RoomKind.choices)
    evidence_level = forms.ChoiceField(
        label=gettext_lazy("Evidence level"), choices=EvidenceLevel.choices
    )
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, widget=forms.Textarea)
    is_active = forms.BooleanField(label=gettext_lazy("In use"), required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason for this change"), max_length=255, required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scale = self.fields["scale"]
        assert isinstance(scale, forms.ChoiceField)
        scale.choices = [("", _("None (fixed course)"))] + [
            (s.id, scale_text(s.name)) for s in all_scales() if s.higher_is_worse
        ]

    @staticmethod
    def initial_from(p: Protocol) -> dict[str, Any]:
        fields = (*DECIMAL_FIELDS, *NUMBER_FIELDS, "name", "technique", "scale", "target_band")
        initial = {f: getattr(p, f) for f in fields}
        initial.update(
            sessions_by_band=json.dumps(p.sessions_by_band),
            responder_min_improvement=p.responder_min_improvement,
            maintenance_interval_days=p.maintenance_interval_days,
            room_kind=p.room_kind,
            evidence_level=p.evidence_level,
            notes=p.notes,
            is_active=p.is_active,
        )
        return initial

    def clean_sessions_by_band(self) -> dict[str, Any]:
        try:
            value = json.loads(self.cleaned_data["sessions_by_band"])
        except ValueError:
            raise forms.ValidationError(_("Not valid JSON.")) from None
        if not isinstance(value, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        ):
            raise forms.ValidationError(_("Give band → number of sessions."))
        return value

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("reason", None)
        return data


def _indications(actor: Actor) -> list[Any]:
    return list(services.list_indications(actor))


@staff_view()
def catalog_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    indications = _indications(actor)
    rows = [(i, services.indication_citations(i)) for i in indications]
    return render(request, "web/catalog/index.html", {"rows": rows})


@staff_view()
def protocol_detail(request: HttpRequest, actor: Actor, protocol_id: int) -> HttpResponse:
    protocol = services.get_protocol(actor, protocol_id)
    versions = list(protocol.versions.select_related("created_by").order_by("-version")[:20])
    context = {
        "protocol": protocol,
        "versions": versions,
        "can_manage": actor.can(Perm.CATALOG_MANAGE),
        "bands": sorted(protocol.sessions_by_band.items()),
    }
    return render(request, "web/catalog/protocol.html", context)


@require_POST
@staff_view(Perm.CATALOG_MANAGE)
def protocol_copy(request: HttpRequest, actor: Actor, protocol_id: int) -> HttpResponse:
    source = services.get_protocol(actor, protocol_id)
    copy = services.copy_protocol(actor, source, channel="web")
    messages.success(request, _("Copied into your clinic: edit your copy below."))
    return redirect("web:protocol-edit", protocol_id=copy.pk)


@staff_view(Perm.CATALOG_MANAGE)
def protocol_edit(request: HttpRequest, actor: Actor, protocol_id: int) -> HttpResponse:
    protocol = services.get_protocol(actor, protocol_id)
    if protocol.is_default:
        messages.error(request, _("Curated defaults are read-only: copy it to edit."))
        return redirect("web:protocol-detail", protocol_id=protocol.pk)
    form = ProtocolForm(request.POST or None, initial=ProtocolForm.initial_from(protocol))
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.update_protocol(
                actor,
                protocol,
                form.changes(),
                reason=form.cleaned_data["reason"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Saved as version %(v)d.") % {"v": updated.version})
            return redirect("web:protocol-detail", protocol_id=protocol.pk)
    return render(request, "web/catalog/edit.html", {"protocol": protocol, "form": form})


urlpatterns = [
    path("catalog", catalog_index, name="catalog"),
    path("catalog/protocols/<int:protocol_id>", protocol_detail, name="protocol-detail"),
    path("catalog/protocols/<int:protocol_id>/copy", protocol_copy, name="protocol-copy"),
    path("catalog/protocols/<int:protocol_id>/edit", protocol_edit, name="protocol-edit"),
]
