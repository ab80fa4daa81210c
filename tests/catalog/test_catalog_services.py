"""Catalog services: visibility per organization, copies, versions and course rules."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.catalog import services
from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.core.planning import ANY_BAND, NO_SCALE
from mesocare.errors import Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def default(code: str = "pain_lidocaine") -> Protocol:
    return Protocol.objects.get(organization__isnull=True, code=code)


def test_every_curated_protocol_has_valid_course_rules_and_a_version() -> None:
    for protocol in Protocol.objects.filter(organization__isnull=True):
        rules = services.course_rules(protocol)
        assert rules.sessions_by_band
        assert services.current_version(protocol).version == protocol.version


def test_scale_less_protocols_plan_with_the_any_rule() -> None:
    rules = services.course_rules(default("striae_ha_silicon_linear"))
    assert rules.scale_id == NO_SCALE
    assert dict(rules.sessions_by_band) == {ANY_BAND: 5}


def test_rules_read_the_same_from_a_protocol_and_its_snapshot() -> None:
    protocol = default("cellulite_cocktail_nappage")
    snapshot = services.current_version(protocol).snapshot
    assert services.course_rules(protocol) == services.course_rules(snapshot)


def test_an_organization_sees_defaults_and_its_own_protocols_only(
    clinic: Any, other_clinic: Any
) -> None:
    theirs = services.copy_protocol(other_clinic.actor(), default())
    ours = services.copy_protocol(clinic.actor(), default())
    visible = set(services.list_protocols(clinic.actor()).values_list("pk", flat=True))
    assert ours.pk in visible and theirs.pk not in visible
    assert default().pk in visible
    with pytest.raises(NotFound):
        services.get_protocol(clinic.actor(), theirs.pk)


def test_a_copy_keeps_products_and_records_where_it_came_from(clinic: Any) -> None:
    source = default()
    copy = services.copy_protocol(clinic.actor(), source, {"name": "Ours"}, reason="local")
    assert copy.copied_from == source
    assert copy.version == 1
    assert [link.product_id for link in copy.product_links.all()] == [
        link.product_id for link in source.product_links.all()
    ]
    assert ProtocolVersion.objects.get(protocol=copy).snapshot["name"] == "Ours"


def test_defaults_cannot_be_updated(clinic: Any) -> None:
    with pytest.raises(Forbidden):
        services.update_protocol(clinic.actor(), default(), {"name": "x"})


def test_each_real_update_is_a_new_version(clinic: Any) -> None:
    actor = clinic.actor("practitioner")
    copy = services.copy_protocol(actor, default())
    copy = services.update_protocol(actor, copy, {"maintenance_interval_days": 90}, reason="a")
    copy = services.update_protocol(actor, copy, {"maintenance_interval_days": 90}, reason="b")
    copy = services.update_protocol(actor, copy, {"notes": "New notes"}, reason="c")
    versions = list(copy.versions.values_list("version", "reason"))
    assert versions == [(1, f"copy of {default().code} v{default().version}"), (2, "a"), (3, "c")]


def test_an_update_that_breaks_the_rules_is_invalid_and_changes_nothing(clinic: Any) -> None:
    actor = clinic.actor()
    copy = services.copy_protocol(actor, default())
    with pytest.raises(Invalid) as caught:
        services.update_protocol(actor, copy, {"response_check_session": 0})
    assert caught.value.errors[0]["field"] == "response_check_session"
    copy.refresh_from_db()
    assert copy.version == 1 and copy.response_check_session == 3


def test_auditors_cannot_copy(clinic: Any) -> None:
    with pytest.raises(Forbidden):
        services.copy_protocol(clinic.actor("auditor"), default())


def test_ingredient_search_uses_synonyms_and_accents() -> None:
    assert [i.code for i in services.search_ingredients("LIGNOCAÏNE")] == ["lidocaine"]
    assert len(services.search_ingredients("")) > 20
