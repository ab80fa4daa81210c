"""Forms for the records on a patient's chart: allergies, medications, conditions, weights,
consents."""

from __future__ import annotations

import base64
import binascii
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.catalog.models import Ingredient
from mesocare.patients.choices import (
    AllergySeverity,
    ConditionCode,
    ConsentKind,
    DrugClass,
    PhotoUse,
)
from mesocare.web.forms.widgets import DateInput

SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_MAX_BYTES = 200_000


# Nothing clinical is preselected: a class, condition or consent kind starts empty and must be
# chosen (the empty choice fails "required"); dates a person records start at today.
EMPTY = ("", "—")


class AllergyForm(forms.Form):
    prefix = "allergy"
    ingredient = forms.ModelChoiceField(
        label=_("Catalog ingredient"),
        queryset=Ingredient.objects.order_by("name"),
        required=False,
        empty_label=_("— free text below —"),
    )
    substance = forms.CharField(
        label=_("Substance"),
        max_length=200,
        required=False,
        help_text=_("Free text when the substance is not in the catalog."),
    )
    reaction = forms.CharField(label=_("Reaction"), max_length=200, required=False)
    severity = forms.ChoiceField(
        label=_("Severity"), choices=AllergySeverity.choices, initial=AllergySeverity.UNKNOWN
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("ingredient") and not (data.get("substance") or "").strip():
            self.add_error("substance", _("Choose a catalog ingredient or type a substance."))
        return data

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        ingredient = data["ingredient"]
        return {
            "ingredient_id": ingredient.pk if ingredient else None,
            "substance": data["substance"].strip() or None,
            "reaction": data["reaction"],
            "severity": data["severity"],
        }


class MedicationForm(forms.Form):
    prefix = "medication"
    name = forms.CharField(label=_("Medication"), max_length=200)
    drug_class = forms.ChoiceField(label=_("Class"), choices=[EMPTY, *DrugClass.choices])


class ConditionForm(forms.Form):
    prefix = "condition"
    code = forms.ChoiceField(label=_("Condition"), choices=[EMPTY, *ConditionCode.choices])
    body_area = forms.CharField(label=_("Body area"), max_length=64, required=False)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)


class WeightForm(forms.Form):
    prefix = "weight"
    kg = forms.DecimalField(
        label=_("Weight (kg)"),
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("1"),
        max_value=Decimal("400"),
    )
    measured_on = forms.DateField(
        label=_("Measured on"), widget=DateInput(), initial=timezone.localdate
    )


class ConsentForm(forms.Form):
    prefix = "consent"
    kind = forms.ChoiceField(label=_("Kind"), choices=[EMPTY, *ConsentKind.choices])
    version = forms.CharField(label=_("Version"), max_length=32)
    signed_on = forms.DateField(
        label=_("Signed on"), widget=DateInput(), initial=timezone.localdate
    )
    indication = forms.CharField(label=_("Indication"), max_length=64, required=False)
    photo_use = forms.ChoiceField(
        label=_("Photos may be used for"),
        choices=PhotoUse.choices,
        initial=PhotoUse.CLINICAL,
        help_text=_("Teaching and marketing use is given on a photography consent."),
    )
    signed_by = forms.CharField(label=_("Signed by"), max_length=200, required=False)
    signature = forms.CharField(
        label=_("Signature"),
        widget=forms.HiddenInput(),
        error_messages={"required": _("Ask the patient to sign in the box.")},
    )

    def clean_signature(self) -> str:
        value: str = self.cleaned_data["signature"].strip()
        if not value.startswith(SIGNATURE_PREFIX):
            raise forms.ValidationError(_("The signature must be a PNG drawing."))
        if len(value) > SIGNATURE_MAX_BYTES:
            raise forms.ValidationError(_("The signature drawing is too large."))
        try:
            raw = base64.b64decode(value[len(SIGNATURE_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise forms.ValidationError(_("The signature must be a PNG drawing.")) from None
        if not raw.startswith(b"\x89PNG\r\n\x1a\n"):
            raise forms.ValidationError(_("The signature must be a PNG drawing."))
        return value
