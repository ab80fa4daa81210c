"""The form renderer writes the same markup as Django's widget templates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils import translation
from django.utils.safestring import mark_safe

from mesocare.lib.form_renderer import FormRenderer


class Everything(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—"), ("a", "A & B"), ("c", mark_safe("<b>C</b>"))])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("x", "Other")],
        required=False,
    )
    numbers = forms.TypedChoiceField(choices=[(1, 1), (2, Decimal("2.5"))], coerce=int)
    many = forms.MultipleChoiceField(choices=[("a", "A"), ("b", "B")], required=False)
    name = forms.CharField(max_length=20, widget=forms.TextInput({"placeholder": 'say "hi"'}))
    amount = forms.DecimalField(decimal_places=2, required=False)
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    agree = forms.BooleanField(required=False)
    notes = forms.CharField(widget=forms.Textarea({"rows": 2}), required=False)
    mail = forms.EmailField(required=False, disabled=True)


BOUND: dict[str, Any] = {
    "kind": "a",
    "grouped": "pear",
    "numbers": "2",
    "many": ["a", "b"],
    "name": "<Anna>",
    "amount": "1234.5",
    "day": "2026-12-07",
    "secret": "s&cret",
    "hidden": "h",
    "agree": "on",
    "notes": "line 1\n<line 2>",
}


def _html(form: forms.Form) -> dict[str, str]:
    return {name: str(form[name]) for name in form.fields}


@pytest.mark.parametrize("data", [None, BOUND, {"amount": "x"}])
@pytest.mark.parametrize("language", ["en", "it"])
def test_each_widget_reads_as_the_templates_write_it(data: Any, language: str) -> None:
    initial = {"day": dt.date(2026, 1, 2), "amount": Decimal("1000.25"), "kind": "c"}
    with translation.override(language):
        fast = Everything(data, initial=initial, renderer=FormRenderer())
        slow = Everything(data, initial=initial, renderer=DjangoTemplates())
        assert _html(fast) == _html(slow)


def test_other_widgets_are_left_to_their_templates() -> None:
    class Radios(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)

    fast = Radios(renderer=FormRenderer())
    assert str(fast["pick"]) == str(Radios(renderer=DjangoTemplates())["pick"])
    assert 'type="radio"' in str(fast["pick"])
