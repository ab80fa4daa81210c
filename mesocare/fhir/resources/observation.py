"""Observation, from four tables:

- ``assessment-<id>``: a scored severity scale — the total as the value, the band as the
  interpretation, one component per item (code system ``scale-item``: no LOINC codes exist for
  these scales);
- ``weight-<id>``: body weight, LOINC 29463-7, in kg;
- ``measurement-<id>``: circumferences (UCUM ``cm``), skinfolds (``mm``) and weights (LOINC
  29463-7, ``kg``) at a named landmark;
- ``check-in-<id>``: a patient's side-effect check-in after a session, one component per
  answer.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.clinics.permissions import Perm
from mesocare.core.scales import UnknownScaleError, get_scale
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import (
    CHECK_IN_CODE,
    CHECK_IN_ITEMS,
    CS_CHECK_IN,
    CS_LANDMARK,
    CS_MEASUREMENT,
    CS_SCALE,
    CS_SCALE_ITEM,
)
from mesocare.fhir.outcome import bad_request
from mesocare.fhir.registry import (
    Filter,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import (
    LOINC,
    UCUM,
    compact,
    day,
    number,
    practitioner_ref,
    quantity,
    ref,
    when,
)
from mesocare.fhir.search import date_filter, local_code_filter, split_token, token_filter
from mesocare.outcomes.models import Measurement
from mesocare.patients.models import Weight
from mesocare.portal.models import CheckInResponse

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
CATEGORIES = ("survey", "vital-signs", "exam")
BODY_WEIGHT = (LOINC, "29463-7", "Body weight")
SCORE = "{score}"


def _category(code: str) -> list[dict[str, Any]]:
    display = {"survey": "Survey", "vital-signs": "Vital Signs", "exam": "Exam"}[code]
    return [{"coding": [{"system": CATEGORY_SYSTEM, "code": code, "display": display}]}]


def category_filter(mine: dict[str, Q]) -> Filter:
    """The categories this source's rows can have; any other known category matches none."""

    def build(raw: str) -> Q:
        system, code = split_token(raw)
        if system and system != CATEGORY_SYSTEM:
            return Q(pk__in=[])
        if code not in CATEGORIES:
            raise bad_request(
                _("Unknown code %(code)s; known: %(known)s.")
                % {"code": code, "known": ", ".join(CATEGORIES)}
            )
        return mine.get(code, Q(pk__in=[]))

    return build


def fixed_code_filter(system: str, code: str) -> Filter:
    """Every row of the source has this one code."""

    def build(raw: str) -> Q:
        token_system, token_code = split_token(raw)
        if token_system not in (None, system) or token_code != code:
            return Q(pk__in=[])
        return Q()

    return build


def _score(value: Any) -> dict[str, Any]:
    return {
        "value": number(value),
        "unit": "score",
        "system": "http://unitsofmeasure.org",
        "code": SCORE,
    }


# --- assessments --------------------------------------------------------------------------


def _item_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool) or value is None:
        return {"valueString": str(value)}
    if isinstance(value, (int, float, Decimal)):
        return {"valueQuantity": _score(Decimal(str(value)))}
    try:
        return {"valueQuantity": _score(Decimal(str(value)))}
    except InvalidOperation:
        return {"valueString": str(value)}


def build_assessment(assessment: Assessment, ctx: MappingContext) -> dict[str, Any]:
    try:
        scale = get_scale(assessment.scale_id)
        scale_name = scale.name
        labels = {item.key: item.label for item in scale.items}
        bands = {band.code: band.label for band in scale.bands}
    except UnknownScaleError:
        scale_name, labels, bands = assessment.scale_id, {}, {}
    components = [
        {
            "code": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_SCALE_ITEM}"),
                        "code": f"{assessment.scale_id}.{key}",
                        "display": f"{scale_name}: {labels.get(key, key)}",
                    }
                ],
                "text": labels.get(key, key),
            },
            **_item_value(value),
        }
        for key, value in (assessment.items or {}).items()
    ]
    return compact(
        {
            "status": "final",
            "category": _category("survey"),
            "code": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_SCALE}"),
                        "code": assessment.scale_id,
                        "display": scale_name,
                    }
                ],
                "text": scale_name,
            },
            "subject": ref("Patient", assessment.patient_id),
            "effectiveDateTime": when(assessment.assessed_at),
            "issued": when(assessment.created_at),
            "performer": [p for p in [practitioner_ref(ctx, assessment.assessed_by_id)] if p],
            "valueQuantity": _score(assessment.total),
            "interpretation": [{"text": str(bands.get(assessment.band, assessment.band))}]
            if assessment.band
            else [],
            "bodySite": {"text": assessment.body_area} if assessment.body_area else None,
            "note": [{"text": assessment.notes}] if assessment.notes else [],
            "component": components,
        }
    )


ASSESSMENTS = Source(
    Assessment,
    build_assessment,
    id_prefix="assessment",
    last_updated="created_at",
    filters={
        "date": date_filter("assessed_at"),
        "code": local_code_filter({CS_SCALE: "scale_id"}),
        "category": category_filter({"survey": Q()}),
        "status": token_filter({"final": Q()}),
    },
)


# --- weights --------------------------------------------------------------------------------


def _body_weight() -> dict[str, Any]:
    system, code, display = BODY_WEIGHT
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def build_weight(weight: Any, ctx: MappingContext) -> dict[str, Any]:
    """``weight``: a row of WEIGHT_COLUMNS (see `mesocare.fhir.registry`)."""
    return compact(
        {
            "status": "final",
            "category": _category("vital-signs"),
            "code": _body_weight(),
            "subject": ref("Patient", weight.patient_id),
            "effectiveDateTime": day(weight.measured_on),
            "performer": [p for p in [practitioner_ref(ctx, weight.recorded_by_id)] if p],
            "valueQuantity": quantity(weight.kg, "kg"),
        }
    )


def sql_weight(ctx: MappingContext) -> str:
    """`build_weight` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_weight", name)

    performer = q.practitioner(ctx.membership_by_user, c("recorded_by_id"))
    return q.resource(
        "Observation",
        f"'weight-' || {c('id')}",
        {
            "status": q.const("final"),
            "category": q.const(_category("vital-signs")),
            "code": q.const(_body_weight()),
            "subject": q.ref("Patient", c("patient_id")),
            "effectiveDateTime": q.day(c("measured_on")),
            "performer": q.when(f"{performer} IS NOT NULL", f"('[' || {performer} || ']')"),
            "valueQuantity": q.obj(
                {
                    "value": q.Json(q.number(c("kg"))),
                    "unit": q.const("kg"),
                    "system": q.const(UCUM),
                    "code": q.const("kg"),
                }
            ),
        },
    )


WEIGHT_COLUMNS = ("patient_id", "measured_on", "recorded_by_id", "kg")
WEIGHTS = Source(
    Weight,
    build_weight,
    id_prefix="weight",
    last_updated="recorded_at",
    columns=WEIGHT_COLUMNS,
    sql=sql_weight,
    filters={
        "date": date_filter("measured_on", date_only=True),
        "code": fixed_code_filter(LOINC, BODY_WEIGHT[1]),
        "category": category_filter({"vital-signs": Q()}),
        "status": token_filter({"final": Q()}),
    },
)


# --- measurements ---------------------------------------------------------------------------


def build_measurement(measurement: Measurement, ctx: MappingContext) -> dict[str, Any]:
    kind_label = str(measurement.get_kind_display())
    codings = [
        {
            "system": ctx.canonical(f"CodeSystem/{CS_MEASUREMENT}"),
            "code": measurement.kind,
            "display": kind_label,
        }
    ]
    if measurement.kind == "weight":
        codings.insert(0, _body_weight()["coding"][0])
    site = None
    if measurement.landmark:
        text = str(measurement.get_landmark_display())
        if measurement.distance_cm is not None:
            text += f", {number(measurement.distance_cm)} cm"
        site = {
            "coding": [
                {
                    "system": ctx.canonical(f"CodeSystem/{CS_LANDMARK}"),
                    "code": measurement.landmark,
                    "display": str(measurement.get_landmark_display()),
                }
            ],
            "text": text,
        }
    return compact(
        {
            "status": "final",
            "category": _category("vital-signs" if measurement.kind == "weight" else "exam"),
            "code": {"coding": codings, "text": kind_label},
            "subject": ref("Patient", measurement.patient_id),
            "encounter": ref("Encounter", measurement.session_id)
            if measurement.session_id
            else None,
            "effectiveDateTime": day(measurement.measured_on),
            "performer": [p for p in [practitioner_ref(ctx, measurement.measured_by_id)] if p],
            "valueQuantity": quantity(measurement.value, measurement.unit),
            "bodySite": site,
            "note": [{"text": measurement.notes}] if measurement.notes else [],
        }
    )


MEASUREMENTS = Source(
    Measurement,
    build_measurement,
    id_prefix="measurement",
    last_updated="created_at",
    filters={
        "date": date_filter("measured_on", date_only=True),
        "code": lambda raw: _measurement_code(raw),
        "category": category_filter({"vital-signs": Q(kind="weight"), "exam": ~Q(kind="weight")}),
        "status": token_filter({"final": Q()}),
    },
)


def _measurement_code(raw: str) -> Q:
    system, code = split_token(raw)
    if system == LOINC or (system is None and code == BODY_WEIGHT[1]):
        return Q(kind="weight") if code == BODY_WEIGHT[1] else Q(pk__in=[])
    return local_code_filter({CS_MEASUREMENT: "kind"})(raw)


# --- check-ins ------------------------------------------------------------------------------


def _check_in_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, (int, Decimal)):
        return {"valueQuantity": _score(value)}
    return {"valueString": str(value)}


def build_check_in(response: CheckInResponse, ctx: MappingContext) -> dict[str, Any]:
    system = ctx.canonical(f"CodeSystem/{CS_CHECK_IN}")
    components = [
        {
            "code": {"coding": [{"system": system, "code": key, "display": label}], "text": label},
            **_check_in_value(getattr(response, key)),
        }
        for key, label in CHECK_IN_ITEMS
    ]
    code, display = CHECK_IN_CODE
    return compact(
        {
            "status": "final",
            "category": _category("survey"),
            "code": {
                "coding": [{"system": system, "code": code, "display": display}],
                "text": display,
            },
            "subject": ref("Patient", response.patient_id),
            "encounter": ref("Encounter", response.session_id),
            "effectiveDateTime": when(response.submitted_at),
            "performer": [ref("Patient", response.patient_id)],
            "note": [{"text": response.notes}] if response.notes else [],
            "component": components,
        }
    )


CHECK_INS = Source(
    CheckInResponse,
    build_check_in,
    id_prefix="check-in",
    last_updated="submitted_at",
    filters={
        "date": date_filter("submitted_at"),
        "code": lambda raw: _check_in_code(raw),
        "category": category_filter({"survey": Q()}),
        "status": token_filter({"final": Q()}),
    },
)


def _check_in_code(raw: str) -> Q:
    system, code = split_token(raw)
    matches = code == CHECK_IN_CODE[0] and (
        system is None or system.endswith(f"/CodeSystem/{CS_CHECK_IN}")
    )
    return Q() if matches else Q(pk__in=[])


OBSERVATION = register(
    ResourceType(
        name="Observation",
        perm=Perm.CLINICAL_VIEW,
        sources=(ASSESSMENTS, WEIGHTS, MEASUREMENTS, CHECK_INS),
        params=(
            SearchParam("date", "date", "When the observation was made."),
            SearchParam(
                "code",
                "token",
                "A scale (code system scale), body weight (LOINC 29463-7), a measurement kind "
                "or the side-effect check-in.",
            ),
            SearchParam("category", "token", "survey | vital-signs | exam"),
            SearchParam("status", "token", "final"),
        ),
    )
)
