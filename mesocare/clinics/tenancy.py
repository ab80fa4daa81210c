"""The one scoping mechanism: every organization-owned row is read through `for_org`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models
from django.utils.translation import gettext as _

from mesocare.errors import NotFound
from mesocare.lib.compiled_query import CompiledQuery

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


class OrgLookup(Generic[M]):
    """`get_for_org` for a lookup made on every request (the booking's practitioner, room and
    patient): the same statement, its SQL compiled once per process. It finds one row by its
    key, so it has no ORDER BY: the model's ordering (a patient's by family name) would let
    the planner walk the organization's rows in that order to find the one, which it did on
    a table without statistics (2,000 rows read for one)."""

    def __init__(self, model: type[M], *select_related: str) -> None:
        self._name = model._meta.verbose_name
        self._query: CompiledQuery[Any] = CompiledQuery(
            lambda org, pk: (
                model.objects.select_related(*select_related)
                .filter(organization_id=org, pk=pk)
                .order_by()
            ),
            org=int,
            pk=int,
        )

    def __call__(self, organization: Organization | int, pk: Any) -> M:
        try:
            found = self._query.first(org=org_id_of(organization), pk=pk)
        except (ValueError, TypeError):
            found = None
        if found is None:
            raise NotFound("not_found", f"No {self._name} with id {pk}.")
        return found


def org_id_of(owner: Any) -> int:
    """The organization id of an actor (`org_id`), an organization or a bare id."""
    if isinstance(owner, int):
        return owner
    org_id = getattr(owner, "org_id", None)
    return int(org_id if org_id is not None else owner.pk)


def in_org(owner: Any, *objects: Any) -> bool:
    """Whether every object given (None is skipped) belongs to this actor's organization."""
    org_id = org_id_of(owner)
    return all(obj is None or obj.organization_id == org_id for obj in objects)


def require_in_org(owner: Any, *objects: Any, error: Exception | None = None) -> None:
    """Every object given (None is skipped) belongs to this actor's organization, or raise.

    The error is NotFound naming the first foreign object's kind ("No appointment with this
    id."), never a hint that it exists elsewhere; a caller whose contract is another error (a
    field-level Invalid, a Forbidden) passes it."""
    org_id = org_id_of(owner)
    for obj in objects:
        if obj is not None and obj.organization_id != org_id:
            if error is not None:
                raise error
            raise NotFound("not_found", _("No %s with this id.") % obj._meta.verbose_name)
