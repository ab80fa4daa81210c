"""Group: the patients seen at one location (``Group/<location id>``), the patient sets that
``Group/<id>/$export`` exports. An actual group of persons; its size is ``quantity`` (members
are not listed: a Group export gives every one of them). Its last change is the latest change
of an appointment at the location (else the organization's creation). Groups are not part of
an export themselves: they are derived from the appointments, which are."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import latest_of, latest_related, ref
from mesocare.fhir.search import token_filter
from mesocare.scheduling.models import Appointment

ACTUAL = {"true": Q(), "false": Q(pk__in=[])}
COLUMNS = ("name", "is_active", "organization_id", "group_size")


def _size() -> Any:
    seen = (
        Appointment.objects.filter(location=OuterRef("pk"))
        .order_by()
        .values("location")
        .annotate(n=Count("patient", distinct=True))
        .values("n")[:1]
    )
    return Coalesce(Subquery(seen), 0)


def build(location: Any, ctx: MappingContext) -> dict[str, Any]:
    """``location``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    return {
        "active": location.is_active,
        "type": "person",
        "actual": True,
        "name": f"Patients seen at {location.name}",
        "quantity": location.group_size,
        "managingEntity": ref("Organization", location.organization_id),
    }


GROUP = register(
    ResourceType(
        name="Group",
        perm=Perm.PATIENT_VIEW,
        patient_data=False,
        exported=False,
        documentation=(
            "The patients seen at one location (Group/<Location id>), for Group/<id>/$export."
        ),
        sources=(
            Source(
                Location,
                build,
                last_updated="group_updated",
                patient_path=None,
                annotations={
                    "group_size": _size(),
                    "group_updated": latest_of(
                        "organization__created_at",
                        latest_related(Appointment.objects.all(), "location", "updated_at"),
                    ),
                },
                columns=COLUMNS,
                filters={"actual": token_filter(ACTUAL)},
            ),
        ),
        params=(SearchParam("actual", "token", "true (every group here is actual)"),),
    )
)
