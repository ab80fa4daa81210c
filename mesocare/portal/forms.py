from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mesocare.outcomes.imaging import MAX_BYTES
from mesocare.portal.choices import Level

PAIN_CHOICES = [(i, str(i)) for i in range(11)]


class CheckInForm(forms.Form):
    pain_vas = forms.TypedChoiceField(
        label=_("Pain now, from 0 (none) to 10 (worst imaginable)"),
        choices=PAIN_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "scale"}),
    )
    bruising = forms.ChoiceField(
        label=_("Bruising"), choices=Level.choices, widget=forms.RadioSelect, initial=Level.NONE
    )
    swelling = forms.ChoiceField(
        label=_("Swelling"), choices=Level.choices, widget=forms.RadioSelect, initial=Level.NONE
    )
    redness = forms.ChoiceField(
        label=_("Redness"), choices=Level.choices, widget=forms.RadioSelect, initial=Level.NONE
    )
    warmth = forms.BooleanField(label=_("The area feels hot"), required=False)
    nodules = forms.BooleanField(label=_("Lumps under the skin"), required=False)
    fever = forms.BooleanField(label=_("Fever (38 °C or more) or chills"), required=False)
    discharge = forms.BooleanField(label=_("Pus or fluid coming out"), required=False)
    skin_colour_change = forms.BooleanField(
        label=_("Skin turned white, grey or mottled"), required=False
    )
    notes = forms.CharField(
        label=_("Anything else you want to tell us"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = forms.FileField(
        label=_("A photo of the area (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )

    def clean_photo(self) -> object:
        photo = self.cleaned_data.get("photo")
        if photo and photo.size > MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 15 MB."))
        return photo
