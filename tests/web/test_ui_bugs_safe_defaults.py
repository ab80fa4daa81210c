"""Issue 18, safe form defaults: nothing clinical is preselected (medication class, condition,
consent kind, photo zone start empty and are required) and recorded dates start at today.
Form tests (the forms render server-side)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mesocare.web.forms.records import ConditionForm, ConsentForm, MedicationForm, WeightForm


@pytest.mark.parametrize(
    ("form_class", "field"),
    [(MedicationForm, "drug_class"), (ConditionForm, "code"), (ConsentForm, "kind")],
)
def test_clinical_selects_start_empty_and_are_required(form_class: type, field: str) -> None:
    form = form_class()
    html = str(form[field])
    first_option = html[html.index("<option") : html.index("</option>")]
    assert 'value=""' in first_option
    assert "required" in html
    prefix = form.prefix
    bound = form_class(data={f"{prefix}-{field}": ""})
    assert not bound.is_valid()
    assert field in bound.errors


@pytest.mark.parametrize(
    ("form_class", "field"), [(WeightForm, "measured_on"), (ConsentForm, "signed_on")]
)
def test_recorded_dates_start_at_today(form_class: type, field: str) -> None:
    form = form_class()
    assert form[field].value() == timezone.localdate()
