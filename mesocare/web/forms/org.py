"""Organization set-up forms: locations with opening hours, rooms, staff, working hours."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.choices import Role, RoomKind, Weekday
from mesocare.clinics.models import Location
from mesocare.web.forms.widgets import TimeInput

TIMEZONES = sorted(zoneinfo.available_timezones())


def _locations(org_id: int) -> Any:
    return Location.objects.for_org(org_id).filter(is_active=True).order_by("name")


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    timezone = forms.ChoiceField(
        label=_("Time zone"), choices=[(tz, tz) for tz in TIMEZONES], initial="Europe/Rome"
    )
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea({"rows": 2})
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class IntervalForm(forms.Form):
    """One weekly interval; a row with neither time is ignored."""

    weekday = forms.TypedChoiceField(label=_("Day"), choices=Weekday.choices, coerce=int)
    opens = forms.TimeField(label=_("From"), required=False, widget=TimeInput())
    closes = forms.TimeField(label=_("Until"), required=False, widget=TimeInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens"), data.get("closes")
        if opens is None and closes is None:
            return data
        if opens is None:
            self.add_error("opens", _("Give the start time."))
        elif closes is None:
            self.add_error("closes", _("Give the end time."))
        elif opens >= closes:
            self.add_error("closes", _("Must be later than the start time."))
        return data


def formset_intervals(formset: forms.BaseFormSet) -> list[tuple[int, dt.time, dt.time]]:  # type: ignore[type-arg]
    """The (weekday, from, until) rows of a valid IntervalFormSet, blank rows left out."""
    found = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("opens") and data.get("closes"):
            found.append((data["weekday"], data["opens"], data["closes"]))
    return sorted(found)


IntervalFormSet = formset_factory(IntervalForm, extra=3)

WORKING_WEEK = [(day, dt.time(9), dt.time(18)) for day in range(5)]


def interval_initial(rows: Any) -> list[dict[str, Any]]:
    return [{"weekday": d, "opens": o, "closes": c} for d, o, c in rows]


class RoomForm(forms.Form):
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=RoomKind.choices)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = _locations(org_id)  # type: ignore[attr-defined]


class StaffAddForm(forms.Form):
    """An invitation: the invitee sets their own name and password."""

    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    default_location = forms.ModelChoiceField(
        label=_("Default location"), queryset=Location.objects.none(), required=False
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_location"].queryset = _locations(org_id)  # type: ignore[attr-defined]

    def service_values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        location = data.pop("default_location")
        return {**data, "default_location_id": location.pk if location else None}


class StaffEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    title = forms.CharField(label=_("Title"), max_length=100, required=False)
    default_location = forms.ModelChoiceField(
        label=_("Default location"), queryset=Location.objects.none(), required=False
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_location"].queryset = _locations(org_id)  # type: ignore[attr-defined]
