"""Media: clinical photographs — only of patients whose consent to photography is in force: a
photography consent signed and not withdrawn or, for a patient who never signed one, a general
consent in force (every consent records the photo use the patient allows, at least clinical
records). A withdrawn photography consent stops the export of every photo of that patient. The
image itself is downloaded from the audited photo endpoint of the REST API with the same bearer
token."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse

from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import (
    FHIR_BASE_PATH,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import compact, practitioner_ref, ref, when
from mesocare.fhir.search import date_filter
from mesocare.outcomes.models import Photo
from mesocare.patients.models import Consent

MEDIA_TYPE = "http://terminology.hl7.org/CodeSystem/media-type"


def photo_consent_in_force() -> Q:
    mine = Consent.objects.filter(patient_id=OuterRef("patient_id"))
    in_force = mine.filter(withdrawn_on__isnull=True)
    return Q(Exists(in_force.filter(kind="photo"))) | (
        ~Q(Exists(mine.filter(kind="photo"))) & Q(Exists(in_force.filter(kind="general")))
    )


def _consented(qs: Any, ctx: MappingContext) -> Any:
    return qs.filter(photo_consent_in_force())


def build(photo: Photo, ctx: MappingContext) -> dict[str, Any]:
    site = ctx.base_url[: -len(FHIR_BASE_PATH)]
    url = site + reverse("api:photo_file", kwargs={"photo_id": photo.pk})
    return compact(
        {
            "status": "completed",
            "type": {"coding": [{"system": MEDIA_TYPE, "code": "image", "display": "Image"}]},
            "view": {"text": str(photo.get_view_display())},
            "subject": ref("Patient", photo.patient_id),
            "encounter": ref("Encounter", photo.session_id) if photo.session_id else None,
            "createdDateTime": when(photo.taken_at),
            "issued": when(photo.created_at),
            "operator": practitioner_ref(ctx, photo.uploaded_by_id)
            if photo.source == "staff"
            else ref("Patient", photo.patient_id),
            "bodySite": {"text": photo.body_zone} if photo.body_zone else None,
            "height": photo.height,
            "width": photo.width,
            "content": {
                "contentType": photo.content_type,
                "url": url,
                "size": photo.size_bytes,
                "creation": when(photo.taken_at),
            },
        }
    )


MEDIA = register(
    ResourceType(
        name="Media",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                Photo,
                build,
                last_updated="created_at",
                scope=_consented,
                filters={"created": date_filter("taken_at")},
            ),
        ),
        params=(SearchParam("created", "date", "When the photo was taken."),),
        documentation="Only photos of patients whose consent to photography is in force.",
    )
)
