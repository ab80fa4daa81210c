"""Consent: treatment, general, guardian and photography consents (with the photo use the
patient allows)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir.definitions import CS_CONSENT_KIND, CS_PHOTO_USE
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import LOINC, compact, day, ref
from mesocare.fhir.search import date_filter, token_filter
from mesocare.patients.models import Consent

SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
STATUS_FILTER = {"active": Q(withdrawn_on__isnull=True), "inactive": Q(withdrawn_on__isnull=False)}


def build(consent: Consent, ctx: MappingContext) -> dict[str, Any]:
    photo = consent.kind == "photo"
    scope_code, scope_display = (
        ("patient-privacy", "Privacy Consent") if photo else ("treatment", "Treatment")
    )
    kind_label = str(consent.get_kind_display())
    provision: dict[str, Any] = {
        "type": "permit",
        "period": compact({"start": day(consent.signed_on), "end": day(consent.withdrawn_on)}),
    }
    if photo:
        provision["code"] = [
            {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_PHOTO_USE}"),
                        "code": consent.photo_use,
                        "display": str(consent.get_photo_use_display()),
                    }
                ]
            }
        ]
    performer = (
        [{"display": consent.signed_by}]
        if consent.kind == "guardian" and consent.signed_by
        else [ref("Patient", consent.patient_id)]
    )
    return compact(
        {
            "status": "inactive" if consent.withdrawn_on else "active",
            "scope": {"coding": [{"system": SCOPE, "code": scope_code, "display": scope_display}]},
            "category": [
                {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]},
                {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_CONSENT_KIND}"),
                            "code": consent.kind,
                            "display": kind_label,
                        }
                    ],
                    "text": f"{kind_label} v{consent.version}",
                },
            ],
            "patient": ref("Patient", consent.patient_id),
            "dateTime": day(consent.signed_on),
            "performer": performer,
            "organization": [ref("Organization", consent.organization_id)],
            "policyRule": {"coding": [{"system": ACT_CODE, "code": "OPTIN", "display": "opt-in"}]},
            "provision": provision,
        }
    )


CONSENT = register(
    ResourceType(
        name="Consent",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                Consent,
                build,
                last_updated="recorded_at",
                filters={
                    "status": token_filter(STATUS_FILTER),
                    "date": date_filter("signed_on", date_only=True),
                },
            ),
        ),
        params=(
            SearchParam("status", "token", "active | inactive (withdrawn)"),
            SearchParam("date", "date", "When the consent was signed."),
        ),
    )
)
