"""The one scoping mechanism: every organization-owned row is read through `for_org`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

from mesocare.errors import NotFound

if TYPE_CHECKING:
    from mesocare.clinics.models import Organization

M = TypeVar("M", bound="OrgOwned")


class OrgQuerySet(models.QuerySet[M]):
    def for_org(self, organization: Organization | int) -> OrgQuerySet[M]:
        org_id = organization if isinstance(organization, int) else organization.pk
        return self.filter(organization_id=org_id)


class OrgOwned(models.Model):
    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, related_name="+"
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


def get_for_org(
    model: type[M], organization: Organization | int, pk: Any, *, queryset: Any = None
) -> M:
    """One object of this organization, or NotFound — never a hint that it exists elsewhere."""
    qs = queryset if queryset is not None else model.objects.all()
    try:
        found: Any = qs.for_org(organization).get(pk=pk)
        return found  # type: ignore[no-any-return]
    except (model.DoesNotExist, ValueError, TypeError):
        name = model._meta.verbose_name
        raise NotFound("not_found", f"No {name} with id {pk}.") from None
