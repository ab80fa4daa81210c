"""Forms of the public booking pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from mesocare.booking.services.intake import IntakeAnswers, Visitor
from mesocare.patients.choices import (
    ChildbearingPotential,
    ConditionCode,
    DrugClass,
    Language,
    PregnancyStatus,
    SexAtBirth,
)

YES_NO = [("", _("Choose")), ("no", _("No")), ("yes", _("Yes"))]
# What a patient can answer about medicines without knowing drug classes.
MEDICATION_CHOICES = [(c.value, c.label) for c in DrugClass if c != DrugClass.OTHER]
MAX_LINES = 20


def _lines(text: str, field: str) -> list[str]:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise forms.ValidationError(_("Give at most %(n)d, one per line."), params={"n": MAX_LINES})
    if any(len(line) > 200 for line in lines):
        raise forms.ValidationError(_("Keep each line under 200 characters."))
    return lines


class ProofOfWorkMixin(forms.Form):
    pow_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=200)
    pow_nonce = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    # A honeypot: hidden from people by the stylesheet, filled in by form-filling robots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )


class DetailsForm(ProofOfWorkMixin):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sex_at_birth = forms.ChoiceField(
        label=_("Sex at birth"),
        choices=[("", _("Choose"))] + [(c.value, c.label) for c in SexAtBirth],
    )
    email = forms.EmailField(label=_("Email"))
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False)
    allergy_answer = forms.ChoiceField(
        label=_("Do you have any allergies?"),
        choices=[
            ("", _("Choose")),
            ("no", _("No, none that I know of")),
            ("yes", _("Yes (list them below)")),
        ],
    )
    allergies = forms.CharField(
        label=_("Your allergies (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    medication_classes = forms.MultipleChoiceField(
        label=_("Do you take any of these?"),
        choices=MEDICATION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    medications = forms.CharField(
        label=_("Other medicines you take (one per line)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )
    conditions = forms.MultipleChoiceField(
        label=_("Do you have any of these?"),
        choices=ConditionCode.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    pregnancy_status = forms.ChoiceField(
        label=_("Are you pregnant?"),
        choices=[("", _("Does not apply"))] + [(c.value, c.label) for c in PregnancyStatus],
        required=False,
    )
    breastfeeding = forms.ChoiceField(
        label=_("Are you breastfeeding?"), choices=YES_NO, required=False
    )
    childbearing_potential = forms.ChoiceField(
        label=_("Could you become pregnant?"),
        choices=[("", _("Does not apply"))] + [(c.value, c.label) for c in ChildbearingPotential],
        required=False,
    )
    weight_kg = forms.DecimalField(
        label=_("Weight (kg)"),
        min_value=Decimal(20),
        max_value=Decimal(400),
        max_digits=5,
        decimal_places=1,
    )
    accept_policy = forms.BooleanField(
        label=_("I have read the deposit and cancellation policy above.")
    )

    def clean_birth_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["birth_date"]
        if value > timezone.localdate() or value.year < 1900:
            raise forms.ValidationError(_("Give your real birth date."))
        return value

    def clean_allergies(self) -> list[str]:
        return _lines(self.cleaned_data.get("allergies", ""), "allergies")

    def clean_medications(self) -> list[str]:
        return _lines(self.cleaned_data.get("medications", ""), "medications")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        answer, listed = data.get("allergy_answer"), data.get("allergies")
        if answer == "yes" and not listed:
            self.add_error("allergies", _("List your allergies, one per line."))
        if answer == "no" and listed:
            self.add_error("allergy_answer", _("You listed allergies: answer yes."))
        sex, birth = data.get("sex_at_birth"), data.get("birth_date")
        if sex in ("female", "intersex") and birth is not None:
            age = (timezone.localdate() - birth).days // 365
            if 12 <= age <= 55:
                for name in ("pregnancy_status", "breastfeeding", "childbearing_potential"):
                    if not data.get(name):
                        self.add_error(name, _("Please answer this question."))
        return data

    def visitor(self) -> Visitor:
        d = self.cleaned_data
        return Visitor(
            given_name=d["given_name"].strip(),
            family_name=d["family_name"].strip(),
            birth_date=d["birth_date"],
            sex_at_birth=d["sex_at_birth"],
            email=d["email"].strip().lower(),
            phone=d.get("phone", "").strip(),
            language=_booking_language(),
        )

    def answers(self) -> IntakeAnswers:
        d = self.cleaned_data
        medications = [(str(DrugClass(c).label), c) for c in d.get("medication_classes", [])]
        medications += [(name, DrugClass.OTHER.value) for name in d.get("medications", [])]
        feeding = d.get("breastfeeding")
        return IntakeAnswers(
            allergies=list(d.get("allergies", [])),
            no_known_allergies=d.get("allergy_answer") == "no",
            medications=medications,
            conditions=list(d.get("conditions", [])),
            pregnancy_status=d.get("pregnancy_status", ""),
            breastfeeding=None if not feeding else feeding == "yes",
            childbearing_potential=d.get("childbearing_potential", ""),
            weight_kg=d.get("weight_kg"),
        )


class SlotForm(ProofOfWorkMixin):
    slot = forms.CharField(max_length=120)


def _booking_language() -> str:
    """The language the page was read in becomes the language of the patient's messages."""
    language = (translation.get_language() or "").split("-")[0]
    return language if language in Language.values else ""
