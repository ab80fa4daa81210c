"""Regressions from the browser journey: a safety block on the plan form showed only a
one-line message (no rule name, no source), and error lists carried role="alert" on the
<ul> itself, which hides their items from assistive technology."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from mesocare.catalog.models import Protocol
from mesocare.patients.services import records


def test_a_blocked_plan_shows_each_finding_with_its_rule_and_source(clinic: Any) -> None:
    admin, patient = clinic.actor("admin"), clinic.patient
    today = timezone.localdate()
    patient.pregnancy_status, patient.pregnancy_status_on = "not_pregnant", today
    patient.save()
    records.record_weight(admin, patient, kg=Decimal(60), measured_on=today)
    records.add_consent(
        admin, patient, kind="treatment", version="1", indication="localized_fat_body",
        signed_on=today - dt.timedelta(days=1),
    )  # fmt: skip
    records.add_allergy(admin, patient, substance="Soy", severity="moderate")
    protocol = Protocol.objects.get(organization__isnull=True, code="localized_fat_body_pc_dc")
    client = Client()
    client.force_login(clinic.user("practitioner"))
    response = client.post(f"/patients/{patient.pk}/plans", {"protocol": protocol.pk})
    html = response.content.decode()
    assert "Allergy to an ingredient" in html  # the rule's name
    assert "Source: " in html and "Vedamurthy" in html  # and where it comes from
    assert 'role="alert"><ul class="errorlist">' in html
    assert '<ul class="errorlist" role="alert">' not in html
