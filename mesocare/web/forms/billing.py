"""Forms of the till's staff pages: the organization's legal details."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.legal import FIELDS
from mesocare.clinics.models import LegalDetails

MAX_LOGO_BYTES = 5 * 1024 * 1024


class LegalDetailsForm(forms.ModelForm):
    """The clinic as seller on its invoices; the model's checks run on `is_valid`."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG; printed on invoices and other documents."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = LegalDetails
        fields = FIELDS

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        if logo is not None and logo.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(_("The logo is larger than 5 MB."))
        return logo
