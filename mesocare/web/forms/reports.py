"""The filter of the business reports: a period of local days, a location, a practitioner."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.reports.common import Filters
from mesocare.scheduling.services.calendars import TREATING_ROLES


class ReportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.TypedChoiceField(label=_("Location"), required=False, coerce=int)
    practitioner = forms.TypedChoiceField(label=_("Practitioner"), required=False, coerce=int)

    def __init__(
        self,
        actor: Actor,
        data: Any,
        *,
        default_days: int | None = None,
        ahead_days: int = 0,
        practitioner: bool = True,
        location: bool = True,
    ) -> None:
        today = timezone.localdate()
        start = today - dt.timedelta(days=default_days) if default_days else today.replace(day=1)
        end = today + dt.timedelta(days=ahead_days)
        defaults = {"date_from": start.isoformat(), "date_to": end.isoformat()}
        super().__init__({**defaults, **data.dict()} if data else defaults)
        if location:
            field: Any = self.fields["location"]
            field.choices = [
                ("", _("All locations")),
                *Location.objects.for_org(actor.org_id).order_by("name").values_list("pk", "name"),
            ]
        else:
            del self.fields["location"]
        if practitioner:
            field = self.fields["practitioner"]
            members = (
                Membership.objects.for_org(actor.org_id)
                .filter(role__in=TREATING_ROLES)
                .select_related("user")
                .order_by("user__full_name", "user__email")
            )
            field.choices = [
                ("", _("All practitioners")),
                *((m.pk, m.user.full_name or m.user.email) for m in members),
            ]
        else:
            del self.fields["practitioner"]

    def filters(self) -> Filters | None:
        if not self.is_valid():
            return None
        cd = self.cleaned_data
        return Filters(
            cd["date_from"],
            cd["date_to"],
            location_id=cd.get("location") or None,
            practitioner_id=cd.get("practitioner") or None,
        )
