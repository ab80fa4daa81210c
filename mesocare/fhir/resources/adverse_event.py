"""AdverseEvent: a side effect after a session (charted by staff or reported by the patient),
with the lots injected in that session as suspect entities."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from mesocare.charting.models import InjectionRecord, SideEffect
from mesocare.clinics.permissions import Perm
from mesocare.fhir.definitions import CS_SIDE_EFFECT
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, practitioner_ref, ref, when
from mesocare.fhir.search import date_filter, local_code_filter

SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"


def lot_ids(side_effect: SideEffect) -> list[int]:
    """The lots injected in the side effect's session (prefetched), in first-use order."""
    return list(
        dict.fromkeys(
            component.lot_id
            for injection in side_effect.session.injections.all()
            for component in injection.components.all()
        )
    )


def build(side_effect: SideEffect, ctx: MappingContext) -> dict[str, Any]:
    label = str(side_effect.get_kind_display())
    grade = side_effect.grade
    severity = "mild" if grade <= 1 else "moderate" if grade == 2 else "severe"
    serious = grade >= 3
    details = "; ".join(t for t in (side_effect.notes, side_effect.action_taken) if t)
    recorder = (
        ref("Patient", side_effect.session.patient_id)
        if side_effect.source == "patient"
        else practitioner_ref(ctx, side_effect.recorded_by_id)
    )
    return compact(
        {
            "actuality": "actual",
            "event": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_SIDE_EFFECT}"),
                        "code": side_effect.kind,
                        "display": label,
                    }
                ],
                "text": f"{label}: {details}" if details else label,
            },
            "subject": ref("Patient", side_effect.session.patient_id),
            "encounter": ref("Encounter", side_effect.session_id),
            "date": when(side_effect.onset),
            "recordedDate": when(side_effect.recorded_at),
            "seriousness": {
                "coding": [
                    {
                        "system": SERIOUSNESS,
                        "code": "serious" if serious else "non-serious",
                        "display": "Serious" if serious else "Non-serious",
                    }
                ]
            },
            "severity": {
                "coding": [
                    {"system": SEVERITY, "code": severity, "display": severity.capitalize()}
                ],
                "text": str(side_effect.get_grade_display()),
            },
            "recorder": recorder,
            "suspectEntity": [{"instance": ref("Medication", pk)} for pk in lot_ids(side_effect)],
        }
    )


ADVERSE_EVENT = register(
    ResourceType(
        name="AdverseEvent",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                SideEffect,
                build,
                last_updated="recorded_at",
                patient_path="session__patient",
                select=("session",),
                prefetch=(
                    Prefetch(
                        "session__injections",
                        queryset=InjectionRecord.objects.prefetch_related("components"),
                    ),
                ),
                filters={
                    "date": date_filter("onset"),
                    "event": local_code_filter({CS_SIDE_EFFECT: "kind"}),
                },
            ),
        ),
        params=(
            SearchParam("date", "date", "When the side effect began."),
            SearchParam("event", "token", "The side effect (code system side-effect)."),
        ),
    )
)
