"""Assessment services: scoring, storage with who/when, immutability, trend series."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mesocare.assessments import services
from mesocare.assessments.models import Assessment
from mesocare.errors import Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_recording_stores_total_band_scale_version_and_author(clinic: Any) -> None:
    actor = clinic.actor("practitioner")
    a = services.record_assessment(actor, clinic.patient, scale_id="gags", items={
        "forehead": 2, "right_cheek": 2, "left_cheek": 2, "nose": 1, "chin": 1,
        "chest_upper_back": 0,
    })  # fmt: skip
    assert (a.total, a.band) == (Decimal(14), "mild")
    assert a.scale_version and a.assessed_by == clinic.user("practitioner")


def test_a_stored_assessment_cannot_be_changed(clinic: Any) -> None:
    a = services.record_assessment(
        clinic.actor(), clinic.patient, scale_id="vas-pain", items={"score": 3}
    )
    a.total = Decimal(9)
    with pytest.raises(ValueError, match="immutable"):
        a.save()
    assert Assessment.objects.get(pk=a.pk).total == 3


def test_unknown_scale_by_path_is_not_found_and_by_body_is_invalid() -> None:
    with pytest.raises(NotFound):
        services.score("nope", {})
    with pytest.raises(Invalid) as caught:
        services.score("nope", {}, unknown_scale_field="scale")
    assert caught.value.errors == [{"field": "scale", "message": "Unknown scale nope."}]


def test_future_assessments_are_refused(clinic: Any) -> None:
    with pytest.raises(Invalid):
        services.record_assessment(
            clinic.actor(),
            clinic.patient,
            scale_id="vas-pain",
            items={"score": 3},
            assessed_at=timezone.now() + dt.timedelta(days=1),
        )


def test_another_organizations_patient_is_not_found(clinic: Any, other_clinic: Any) -> None:
    with pytest.raises(NotFound):
        services.record_assessment(
            clinic.actor(), other_clinic.patient, scale_id="vas-pain", items={"score": 3}
        )


def test_reception_cannot_record(clinic: Any) -> None:
    with pytest.raises(Forbidden):
        services.record_assessment(
            clinic.actor("reception"), clinic.patient, scale_id="vas-pain", items={"score": 3}
        )


def test_trend_is_oldest_first_per_scale(clinic: Any) -> None:
    actor = clinic.actor()
    now = timezone.now()
    for days, score in ((10, 7), (5, 5), (1, 2)):
        services.record_assessment(
            actor, clinic.patient, scale_id="vas-pain", items={"score": score},
            assessed_at=now - dt.timedelta(days=days),
        )  # fmt: skip
    series = services.trend(list(services.list_assessments(actor, clinic.patient)))
    assert [p["total"] for p in series["vas-pain"]] == [7, 5, 2]
