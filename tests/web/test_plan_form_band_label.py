"""The plan form's baseline assessment names its severity band as the scale does ("Type IV"),
not by the stored band code ("severe")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from mesocare.assessments.models import Assessment
from mesocare.web.views.plans import AssessmentChoiceField


def test_the_assessment_choice_reads_the_band_label_of_its_scale() -> None:
    assessment = Assessment(
        scale_id="glogau",
        total=Decimal("4"),
        band="severe",
        assessed_at=dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.UTC),
    )
    label = AssessmentChoiceField(queryset=Assessment.objects.none()).label_from_instance(
        assessment
    )
    assert "Type IV" in label
    assert "severe" not in label
