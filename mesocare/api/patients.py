"""Patients and their intake records over the API."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.patients_schemas import (
    AllergyIn,
    AllergyOut,
    ConditionIn,
    ConditionOut,
    ConsentIn,
    ConsentOut,
    MedicationIn,
    MedicationOut,
    PatientIn,
    PatientOut,
    PatientPage,
    PatientPatch,
    WeightIn,
    WeightOut,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.audit.services import record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import NotFound
from mesocare.patients.models import Allergy, Condition, Consent, Medication, Patient, Weight
from mesocare.patients.services import records, registry

router = Router(tags=["patients"])


class PageQuery(Schema):
    q: str = Field("", max_length=200, description="name prefix, birth date or phone")
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)
    include_inactive: bool = False
    count: bool = Field(False, description="also return the exact number of matches")


def _allergy_out(a: Allergy) -> dict[str, Any]:
    return {
        "id": a.pk,
        "substance": a.substance,
        "ingredient_id": a.ingredient_id,
        "allergen_family": a.allergen_family.code if a.allergen_family else None,
        "reaction": a.reaction,
        "severity": a.severity,
        "is_active": a.is_active,
        "recorded_at": a.recorded_at,
    }


def _patient_out(actor: Actor, p: Patient) -> dict[str, Any]:
    clinical = actor.can(Perm.CLINICAL_VIEW)
    active_allergies = [a for a in p.allergies.all() if a.is_active]
    out: dict[str, Any] = {
        **{f: getattr(p, f) for f in PatientOut.model_fields if hasattr(p, f)},
        "age": p.age_on(timezone.localdate()),
        "allergies": [_allergy_out(a) for a in active_allergies],
        "clinical_redacted": not clinical,
        "latest_weight": None,
        # Blank in the database means "not recorded": null in the API.
        "childbearing_potential": p.childbearing_potential or None,
        "childbearing_potential_reason": p.childbearing_potential_reason or None,
    }
    if clinical:
        out["latest_weight"] = records.latest_weight(p)
    else:
        out.update(dict.fromkeys(registry.INTAKE_FIELDS))
    return out


def _open(request: HttpRequest, patient_id: int) -> tuple[Actor, Patient]:
    actor = actor_of(request)
    return actor, registry.get_patient(actor, patient_id)


def _detail(actor: Actor, patient_id: int) -> dict[str, Any]:
    patient = (
        Patient.objects.for_org(actor.org_id)
        .prefetch_related(Prefetch("allergies", Allergy.objects.select_related("allergen_family")))
        .get(pk=patient_id)
    )
    return _patient_out(actor, patient)


@router.get("/patients", response={200: PatientPage, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_VIEW)
def list_patients(request: HttpRequest, params: Query[PageQuery]) -> dict[str, Any]:
    """Search or list patients. `next_offset` is null on the last page; `count` (exact) is only
    computed when asked for with `count=true`, because counting every match of a short prefix
    costs more than finding the first page."""
    actor = actor_of(request)
    qs = registry.search_patients(actor, params.q, include_inactive=params.include_inactive)
    rows = list(qs[params.offset : params.offset + params.limit + 1])
    more = len(rows) > params.limit
    record_list_read(
        actor,
        "patients.patient",
        [p.pk for p in rows[: params.limit]],
        summary=f"patient search ({len(rows[: params.limit])} shown)",
        channel="api",
    )
    return {
        "count": qs.count() if params.count else None,
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": params.offset + params.limit if more else None,
        "items": rows[: params.limit],
    }


@router.post("/patients", response={201: PatientOut, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_EDIT)
def create_patient(request: HttpRequest, payload: PatientIn) -> tuple[int, dict[str, Any]]:
    actor = actor_of(request)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    patient = registry.register_patient(actor, **data)
    return 201, _detail(actor, patient.pk)


@router.get("/patients/{patient_id}", response={200: PatientOut, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_VIEW)
def get_patient(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    actor, patient = _open(request, patient_id)
    return _detail(actor, patient.pk)


@router.patch("/patients/{patient_id}", response={200: PatientOut, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_EDIT)
def update_patient(request: HttpRequest, patient_id: int, payload: PatientPatch) -> dict[str, Any]:
    actor = actor_of(request)
    patient = registry.get_patient(actor, patient_id)
    changes = payload.dict(exclude_unset=True)
    for text_field in (
        "email",
        "phone",
        "address",
        "notes",
        "childbearing_potential",
        "childbearing_potential_reason",
    ):
        if text_field in changes and changes[text_field] is None:
            changes[text_field] = ""
    registry.update_patient(actor, patient, **changes)
    return _detail(actor, patient.pk)


def _list(request: HttpRequest, patient_id: int, model: Any) -> QuerySet[Any]:
    actor = actor_of(request)
    patient = registry.get_patient(actor, patient_id)
    return records.list_records(actor, patient, model)


@router.get(
    "/patients/{patient_id}/allergies", response={200: list[AllergyOut], **PROBLEM_RESPONSES}
)
@requires(Perm.ALLERGY_VIEW)
def list_allergies(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    return [_allergy_out(a) for a in _list(request, patient_id, Allergy)]


@router.post("/patients/{patient_id}/allergies", response={201: AllergyOut, **PROBLEM_RESPONSES})
@requires(Perm.INTAKE_RECORD)
def add_allergy(request: HttpRequest, patient_id: int, payload: AllergyIn) -> tuple[int, Any]:
    actor, patient = _open(request, patient_id)
    allergy = records.add_allergy(
        actor,
        patient,
        substance=payload.substance,
        ingredient_id=payload.ingredient,
        reaction=payload.reaction,
        severity=payload.severity,
    )
    return 201, _allergy_out(allergy)


@router.get(
    "/patients/{patient_id}/medications", response={200: list[MedicationOut], **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_VIEW)
def list_medications(request: HttpRequest, patient_id: int) -> QuerySet[Medication]:
    return _list(request, patient_id, Medication)


@router.post(
    "/patients/{patient_id}/medications", response={201: MedicationOut, **PROBLEM_RESPONSES}
)
@requires(Perm.INTAKE_RECORD)
def add_medication(request: HttpRequest, patient_id: int, payload: MedicationIn) -> tuple[int, Any]:
    actor, patient = _open(request, patient_id)
    return 201, records.add_medication(actor, patient, **payload.dict())


@router.get(
    "/patients/{patient_id}/conditions", response={200: list[ConditionOut], **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_VIEW)
def list_conditions(request: HttpRequest, patient_id: int) -> QuerySet[Condition]:
    return _list(request, patient_id, Condition)


@router.post("/patients/{patient_id}/conditions", response={201: ConditionOut, **PROBLEM_RESPONSES})
@requires(Perm.INTAKE_RECORD)
def add_condition(request: HttpRequest, patient_id: int, payload: ConditionIn) -> tuple[int, Any]:
    actor, patient = _open(request, patient_id)
    return 201, records.add_condition(actor, patient, **payload.dict())


RECORD_KINDS: dict[str, type[Allergy] | type[Medication] | type[Condition]] = {
    "allergies": Allergy,
    "medications": Medication,
    "conditions": Condition,
}


@router.delete(
    "/patients/{patient_id}/{kind}/{record_id}",
    response={204: None, **PROBLEM_RESPONSES},
    summary="End an allergy, medication or condition (kept in history)",
)
@requires(Perm.CLINICAL_EDIT)
def end_record(
    request: HttpRequest, patient_id: int, kind: str, record_id: int
) -> tuple[int, None]:
    if kind not in RECORD_KINDS:
        raise NotFound("not_found", f"No record kind {kind!r}.")
    actor, patient = _open(request, patient_id)
    instance = records.get_record(actor, patient, RECORD_KINDS[kind], record_id)
    records.deactivate_record(actor, instance)
    return 204, None


def _consent_out(c: Consent) -> dict[str, Any]:
    return {
        **{f: getattr(c, f) for f in ConsentOut.model_fields if hasattr(c, f)},
        "id": c.pk,
        "has_signature": bool(c.signature),
    }


@router.get(
    "/patients/{patient_id}/consents", response={200: list[ConsentOut], **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_VIEW)
def list_consents(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    return [_consent_out(c) for c in _list(request, patient_id, Consent)]


@router.post("/patients/{patient_id}/consents", response={201: ConsentOut, **PROBLEM_RESPONSES})
@requires(Perm.INTAKE_RECORD)
def add_consent(request: HttpRequest, patient_id: int, payload: ConsentIn) -> tuple[int, Any]:
    actor, patient = _open(request, patient_id)
    return 201, _consent_out(records.add_consent(actor, patient, **payload.dict()))


@router.post(
    "/patients/{patient_id}/consents/{consent_id}/withdraw",
    response={200: ConsentOut, **PROBLEM_RESPONSES},
)
@requires(Perm.INTAKE_RECORD)
def withdraw_consent(request: HttpRequest, patient_id: int, consent_id: int) -> dict[str, Any]:
    actor, patient = _open(request, patient_id)
    consent = records.get_record(actor, patient, Consent, consent_id, to_change=Perm.INTAKE_RECORD)
    return _consent_out(records.withdraw_consent(actor, consent))


@router.get("/patients/{patient_id}/weights", response={200: list[WeightOut], **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def list_weights(request: HttpRequest, patient_id: int) -> QuerySet[Weight]:
    return _list(request, patient_id, Weight)


@router.post("/patients/{patient_id}/weights", response={201: WeightOut, **PROBLEM_RESPONSES})
@requires(Perm.INTAKE_RECORD)
def add_weight(request: HttpRequest, patient_id: int, payload: WeightIn) -> tuple[int, Any]:
    actor, patient = _open(request, patient_id)
    return 201, records.record_weight(
        actor, patient, kg=payload.kg, measured_on=payload.measured_on
    )
