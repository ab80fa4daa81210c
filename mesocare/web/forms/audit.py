"""The audit log's filters, shared by the page and its CSV export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Membership
from mesocare.web.forms.widgets import DateInput
from mesocare.web.labels import object_type_name


class AuditFilterForm(forms.Form):
    actor = forms.TypedChoiceField(label=_("Who"), required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any")), *AuditAction.choices]
    )
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    patient = forms.IntegerField(label=_("Patient ID"), required=False, min_value=1)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org_id = org_id
        people = (
            Membership.objects.for_org(org_id)
            .select_related("user")
            .order_by("user__email")
            .values_list("user_id", "user__email")
        )
        self.fields["actor"].choices = [("", _("Anyone")), *people]  # type: ignore[attr-defined]
        types = (
            AuditEvent.objects.for_org(org_id)
            .order_by("object_type")
            .values_list("object_type", flat=True)
            .distinct()
        )
        self.fields["object_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *sorted(((t, object_type_name(t)) for t in types if t), key=lambda c: c[1]),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("Must not be before the start date."))
        return data

    def filter(self, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if not self.is_bound or not self.is_valid():
            return qs
        data = self.cleaned_data
        if data.get("actor"):
            qs = qs.filter(actor_id=data["actor"])
        if data.get("action"):
            qs = qs.filter(action=data["action"])
        if data.get("object_type"):
            qs = qs.filter(object_type=data["object_type"])
        if data.get("patient"):
            qs = qs.filter(patient_id=data["patient"])
        if data.get("date_from"):
            qs = qs.filter(at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(at__date__lte=data["date_to"])
        return qs

    def summary(self) -> str:
        if not self.is_bound or not self.is_valid():
            return "all"
        parts = [f"{k}={v}" for k, v in self.cleaned_data.items() if v not in (None, "")]
        return ", ".join(parts) or "all"
