"""CompiledQuery: the ORM's objects, from SQL compiled once."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesocare.accounts.models import ApiToken
from mesocare.clinics.models import Membership
from mesocare.lib.compiled_query import CompiledQuery
from tests.conftest import Clinic

FIELDS = ("membership__user", "membership__organization", "membership__default_location")


def _token_query(**kinds: type) -> CompiledQuery[ApiToken]:
    return CompiledQuery(
        lambda org, name: (
            ApiToken.objects.select_related(*FIELDS)
            .filter(organization_id=org, name=name, revoked_at__isnull=True)
            .order_by("pk")
        ),
        **kinds,
    )


def _state(token: ApiToken) -> Any:
    m = token.membership
    return (
        [getattr(token, f.attname) for f in ApiToken._meta.concrete_fields],
        [getattr(m, f.attname) for f in Membership._meta.concrete_fields],
        [getattr(m.user, f.attname) for f in type(m.user)._meta.concrete_fields],
        m.organization.slug,
        m.default_location and m.default_location.name,
    )


def test_the_objects_are_the_orms_with_their_related_rows(clinic: Clinic) -> None:
    admin = clinic.members["admin"]
    admin.default_location = clinic.location
    admin.save()
    ApiToken.issue(admin, name="desk")
    ApiToken.issue(clinic.members["reception"], name="desk")  # no default location
    query = _token_query(org=int, name=str)
    orm = list(
        ApiToken.objects.select_related(*FIELDS)
        .filter(organization_id=clinic.org.pk, name="desk", revoked_at__isnull=True)
        .order_by("pk")
    )
    compiled = query.fetch(org=clinic.org.pk, name="desk")
    assert [_state(t) for t in compiled] == [_state(t) for t in orm]
    assert compiled[0].membership.default_location == clinic.location
    assert compiled[1].membership.default_location is None
    assert compiled[0].created_at.tzinfo is not None
    with CaptureQueriesContext(connection) as queries:
        assert compiled[0].membership.user.email == admin.user.email
    assert len(queries) == 0


def test_each_call_reads_the_database_again(clinic: Clinic) -> None:
    token, _raw = ApiToken.issue(clinic.members["admin"], name="api")
    query = _token_query(org=int, name=str)
    assert query.first(org=clinic.org.pk, name="api") == token
    ApiToken.objects.filter(pk=token.pk).update(name="renamed")
    with CaptureQueriesContext(connection) as queries:
        assert query.first(org=clinic.org.pk, name="api") is None
    assert len(queries) == 1
    assert query.first(org=str(clinic.org.pk), name="renamed") == token


def test_values_of_the_wrong_kind_are_refused(clinic: Clinic) -> None:
    query = _token_query(org=int, name=str)
    with pytest.raises(TypeError):
        query.fetch(org=clinic.org.pk, name=None)
    with pytest.raises(ValueError):
        query.fetch(org="not a number", name="api")


def test_shapes_it_cannot_build_are_refused_when_first_run(db: Any) -> None:
    with pytest.raises(ValueError, match="model objects only"):
        CompiledQuery(lambda pk: ApiToken.objects.filter(pk=pk).values("name"), pk=int).fetch(pk=1)
    with pytest.raises(ValueError, match="'name' is not a value"):
        CompiledQuery(lambda name: ApiToken.objects.filter(name__startswith=name), name=str).fetch(
            name="x"
        )
    with pytest.raises(TypeError):
        CompiledQuery(lambda when: ApiToken.objects.filter(created_at=when), when=object)
