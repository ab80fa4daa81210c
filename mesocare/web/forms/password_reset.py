from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ResetRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
