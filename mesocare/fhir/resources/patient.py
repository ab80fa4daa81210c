"""Patient: demographics and contact details."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, day
from mesocare.fhir.search import date_filter, token_filter
from mesocare.patients.models import Patient

# http://hl7.org/fhir/R4/valueset-administrative-gender.html
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
GENDER_FILTER = {
    "female": Q(sex_at_birth="female"),
    "male": Q(sex_at_birth="male"),
    "other": Q(sex_at_birth="intersex"),
    "unknown": Q(sex_at_birth="unknown"),
}
ACTIVE = {"true": Q(is_active=True), "false": Q(is_active=False)}


COLUMNS = (
    "is_active",
    "family_name",
    "given_name",
    "phone",
    "email",
    "sex_at_birth",
    "birth_date",
    "address",
    "organization_id",
)


def build(patient: Any, ctx: MappingContext) -> dict[str, Any]:
    """``patient``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    telecom = []
    if patient.phone:
        telecom.append({"system": "phone", "value": patient.phone})
    if patient.email:
        telecom.append({"system": "email", "value": patient.email})
    return compact(
        {
            "active": patient.is_active,
            "name": [
                {
                    "use": "official",
                    "family": patient.family_name,
                    "given": [patient.given_name],
                    "text": Patient.full_name.fget(patient),  # type: ignore[attr-defined]
                }
            ],
            "telecom": telecom,
            "gender": GENDER.get(patient.sex_at_birth, "unknown"),
            "birthDate": day(patient.birth_date),
            "address": [{"text": patient.address}] if patient.address else [],
            "managingOrganization": {"reference": f"Organization/{patient.organization_id}"},
        }
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_patient", name)

    return q.resource(
        "Patient",
        c("id"),
        {
            "active": q.raw(c("is_active")),
            "name": q.arr(
                q.obj(
                    {
                        "use": q.const("official"),
                        "family": q.string(c("family_name")),
                        "given": q.arr(q.string(c("given_name"))),
                        "text": q.string(f"{c('given_name')} || ' ' || {c('family_name')}"),
                    }
                )
            ),
            "telecom": q.some(
                (
                    f"{c('phone')} <> ''",
                    q.obj({"system": q.const("phone"), "value": q.string(c("phone"))}),
                ),
                (
                    f"{c('email')} <> ''",
                    q.obj({"system": q.const("email"), "value": q.string(c("email"))}),
                ),
            ),
            "gender": q.string(f"COALESCE({q.lookup(GENDER, c('sex_at_birth'))}, 'unknown')"),
            "birthDate": q.day(c("birth_date")),
            "address": q.when(
                f"{c('address')} <> ''", q.arr(q.obj({"text": q.string(c("address"))}))
            ),
            "managingOrganization": q.ref("Organization", c("organization_id")),
        },
    )


PATIENT = register(
    ResourceType(
        name="Patient",
        perm=Perm.PATIENT_VIEW,
        sources=(
            Source(
                Patient,
                build,
                last_updated="updated_at",
                patient_path="pk",
                columns=COLUMNS,
                sql=sql,
                filters={
                    "birthdate": date_filter("birth_date", date_only=True),
                    "gender": token_filter(GENDER_FILTER),
                    "active": token_filter(ACTIVE),
                },
            ),
        ),
        params=(
            SearchParam("birthdate", "date", "The patient's date of birth."),
            SearchParam("gender", "token", "female | male | other | unknown"),
            SearchParam("active", "token", "true | false"),
        ),
    )
)
