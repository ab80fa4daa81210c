"""Issue 18, bug 6: the demo clinic's pages as an Italian practitioner sees them. The patient
page, a plan with its review, the assessments and a scale form, the session page with a zone
chosen and the dashboard's patient alerts show Italian and none of the English they showed:
scale items and anchors, severity bands, review outcomes and reasons, body zones, lots and the
alerts written from check-ins."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from mesocare.assessments.models import Assessment
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.models import Membership
from mesocare.notify.choices import AlertKind
from mesocare.notify.models import Alert
from mesocare.plans.choices import PlanStatus, ReviewOutcome
from mesocare.plans.models import TreatmentPlan


class _Text(HTMLParser):
    """What a person reads: text outside scripts and styles, plus labels in attributes."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._hidden += tag in self.HIDDEN
        for name, value in attrs:
            if name in ("aria-label", "title", "alt", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._hidden -= tag in self.HIDDEN and self._hidden > 0

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.parts.append(" ".join(data.split()))


def text_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    parser = _Text()
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


def shows(text: str, italian: list[str], english: list[str], page: str) -> None:
    assert [w for w in italian if w not in text] == [], f"{page}: Italian missing"
    assert [w for w in english if w in text] == [], f"{page}: English shown"


@pytest.mark.django_db
def test_an_italian_practitioner_reads_the_demo_clinic_in_italian(demo_clinic: None) -> None:
    member = Membership.objects.get(user__email="practitioner@demo.mesocare.test")
    member.user.language = "it"
    member.user.save(update_fields=["language"])
    client = Client()
    client.force_login(member.user)

    plan = (
        TreatmentPlan.objects.filter(
            status__in=[PlanStatus.ACTIVE, PlanStatus.REVIEW_NEEDED],
            baseline_assessment__scale_id="hexsel-css",
        )
        .exclude(review_outcome="")
        .first()
    )
    assert plan is not None, "the demo clinic has a reviewed Hexsel plan in progress"
    outcome = ReviewOutcome(plan.review_outcome)
    with translation.override("it"):
        outcome_it = str(outcome.label)
    with translation.override("en"):
        outcome_en = str(outcome.label)
    page = text_of(client.get(f"/plans/{plan.pk}"))
    shows(
        page,
        ["Attivo" if plan.status == PlanStatus.ACTIVE else "Rivalutazione necessaria"],
        ["Principio attivo"],
        "plan status",
    )
    shows(
        page,
        [outcome_it, "A. Numero di depressioni evidenti", "3 — Aspetto «a materasso»"],
        [
            outcome_en,
            "A. Number of evident depressions",
            "'Mattress' appearance",
            "Hexsel Cellulite Severity Scale",
            "sessions done",
            "continue the course",
            "Course booked.",
        ],
        "plan page and its review",
    )

    patient = text_of(client.get(f"/patients/{plan.patient_id}"))
    shows(patient, ["Panoramica", "Allergie"], ["Overview", "No known allergies"], "patient")

    assessment = Assessment.objects.filter(scale_id="hexsel-css").exclude(band="").first()
    assert assessment is not None
    history = text_of(client.get(f"/patients/{assessment.patient_id}/assessments"))
    bands_it = {"none": "Nessuna cellulite", "mild": "Lieve", "moderate": "Moderata"}
    bands_it["severe"] = "Grave"
    shows(
        history,
        ["Scala di gravità della cellulite di Hexsel (CSS)", bands_it[assessment.band]],
        ["Hexsel Cellulite Severity Scale", "Severe", "Moderate", "Mild"],
        "assessments",
    )
    form = text_of(
        client.get(f"/patients/{assessment.patient_id}/assessments/new?scale=hexsel-css")
    )
    shows(
        form,
        ["B. Profondità delle depressioni", "1 — Aspetto «a buccia d'arancia»"],
        ["B. Depth of depressions", "'Orange peel' appearance", "Rate each area"],
        "scale form",
    )

    session = TreatmentSession.objects.filter(signed_at__isnull=True).order_by("-pk").first()
    assert session is not None
    charting = text_of(client.get(f"/sessions/{session.pk}?zone=thigh_posterior_l"))
    shows(
        charting,
        ["Coscia, posteriore, sinistra", "mL rimasti", "Retro", "Fronte"],
        ["Thigh, posterior, left", "mL left", "expires"],
        "session page",
    )

    assert Alert.objects.filter(kind=AlertKind.CHECK_IN, acknowledged_at__isnull=True).exists()
    dashboard = text_of(client.get("/"))
    shows(
        dashboard,
        ["Avvisi sui pazienti", "ha segnalato dopo la seduta", "grado 3"],
        ["reported after the session", "Pain grade", "Swelling grade"],
        "dashboard alerts",
    )
