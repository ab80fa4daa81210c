"""Patient registration and editing: demographics, plus pregnancy and breastfeeding (intake)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mesocare.patients.choices import (
    AllergyStatus,
    Channel,
    ChildbearingPotential,
    ChildbearingReason,
    Language,
    PregnancyStatus,
    SexAtBirth,
)
from mesocare.patients.services import registry
from mesocare.web.forms.widgets import DateInput

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # a type of django-stubs only

DEMOGRAPHIC_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex_at_birth",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "address",
    "tax_code",
    "notes",
)


YES_NO_CHOICES = [("", _("Not recorded")), ("yes", _("Yes")), ("no", _("No"))]


def _recorded_on(label: _StrPromise) -> forms.DateField:
    """The date an intake answer was recorded; the service takes today when it is empty."""
    return forms.DateField(
        label=label, required=False, widget=DateInput(), help_text=_("Today when left empty.")
    )


class PatientForm(forms.Form):
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    family_name = forms.CharField(label=_("Family name"), max_length=100)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput())
    sex_at_birth = forms.ChoiceField(label=_("Sex at birth"), choices=SexAtBirth.choices)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=Channel.choices, initial=Channel.EMAIL
    )
    language = forms.ChoiceField(
        label=_("Language of messages"),
        choices=[("", _("The clinic's language")), *Language.choices],
        required=False,
    )
    address = forms.CharField(
        label=_("Address"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )
    tax_code = forms.CharField(
        label=_("Tax code"),
        required=False,
        max_length=32,
        help_text=_("Codice fiscale or another tax number; printed on invoices."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea({"rows": 3})
    )
    pregnancy_status = forms.ChoiceField(
        label=_("Pregnancy status"),
        choices=[("", _("Not recorded")), *PregnancyStatus.choices],
        required=False,
    )
    pregnancy_status_on = _recorded_on(_("Pregnancy status recorded on"))
    breastfeeding = forms.ChoiceField(
        label=_("Breastfeeding"), choices=YES_NO_CHOICES, required=False
    )
    breastfeeding_on = _recorded_on(_("Breastfeeding recorded on"))
    childbearing_potential = forms.ChoiceField(
        label=_("Childbearing potential"),
        choices=[("", _("Not recorded")), *ChildbearingPotential.choices],
        required=False,
    )
    childbearing_potential_reason = forms.ChoiceField(
        label=_("Reason (when no)"),
        choices=[("", _("Not recorded")), *ChildbearingReason.choices],
        required=False,
    )
    reliable_contraception = forms.ChoiceField(
        label=_("Reliable contraception"), choices=YES_NO_CHOICES, required=False
    )
    reliable_contraception_on = _recorded_on(_("Contraception recorded on"))
    allergy_status = forms.ChoiceField(
        label=_("Allergies"),
        choices=AllergyStatus.choices,
        initial=AllergyStatus.UNKNOWN,
        required=False,  # not sent: unchanged
        help_text=_(
            'Record "No known allergies" only after asking. Adding an allergy on the patient '
            'page sets "Has allergies".'
        ),
    )

    def __init__(self, *args: Any, intake: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.intake = intake
        if not intake:
            for name in registry.INTAKE_FIELDS | registry.ALLERGY_FIELDS:
                del self.fields[name]

    @staticmethod
    def initial_from(patient: Any, *, clinical: bool) -> dict[str, Any]:
        """The form's initial values; intake values only for roles that may read them."""
        initial = {name: getattr(patient, name) for name in DEMOGRAPHIC_FIELDS}
        initial["allergy_status"] = patient.allergy_status  # every role reads allergies
        if clinical:
            initial.update({name: getattr(patient, name) for name in registry.INTAKE_FIELDS})
            for name in ("breastfeeding", "reliable_contraception"):
                value = getattr(patient, name)
                initial[name] = "" if value is None else ("yes" if value else "no")
        return initial

    def service_values(self, *, only_given_intake: bool = False) -> dict[str, Any]:
        """Keyword arguments for register_patient/update_patient. With `only_given_intake`
        (a role that does not see the recorded intake) blank intake fields mean "unchanged"."""
        data = self.cleaned_data
        values: dict[str, Any] = {name: data[name] for name in DEMOGRAPHIC_FIELDS}
        if not self.intake:
            return values
        intake: dict[str, Any] = {
            "pregnancy_status": data["pregnancy_status"],
            "pregnancy_status_on": data["pregnancy_status_on"],
            "breastfeeding": {"yes": True, "no": False}.get(data["breastfeeding"]),
            "breastfeeding_on": data["breastfeeding_on"],
            "childbearing_potential": data["childbearing_potential"],
            "childbearing_potential_reason": data["childbearing_potential_reason"],
            "reliable_contraception": {"yes": True, "no": False}.get(
                data["reliable_contraception"]
            ),
            "reliable_contraception_on": data["reliable_contraception_on"],
        }
        if only_given_intake:
            if not intake["pregnancy_status"]:
                intake.pop("pregnancy_status")
                intake.pop("pregnancy_status_on")
            if intake["breastfeeding"] is None:
                intake.pop("breastfeeding")
                intake.pop("breastfeeding_on")
            if not intake["childbearing_potential"]:
                intake.pop("childbearing_potential")
                intake.pop("childbearing_potential_reason")
            if intake["reliable_contraception"] is None:
                intake.pop("reliable_contraception")
                intake.pop("reliable_contraception_on")
        for date_field in ("pregnancy_status_on", "breastfeeding_on", "reliable_contraception_on"):
            if date_field in intake and intake[date_field] is None:
                intake.pop(date_field)  # the service stamps today
        values.update(intake)
        # Recorded (who, when) when answered: on a new patient unless still "not asked",
        # on an existing one when the answer changed.
        status = data.get("allergy_status")
        changed = "allergy_status" in self.changed_data
        if status and (changed or (not self.initial and status != AllergyStatus.UNKNOWN)):
            values["allergy_status"] = status
        return values


class PatientSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
