"""Plan services: creation follows the protocol's band rule (property), reviews and states."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.assessments.services import record_assessment
from mesocare.catalog.models import Protocol
from mesocare.catalog.services import copy_protocol, course_rules, update_protocol
from mesocare.core.scales import get_scale
from mesocare.errors import Conflict, Forbidden, Invalid, NotFound
from mesocare.patients.services import registry
from mesocare.plans import services
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import PlanEvent

pytestmark = pytest.mark.django_db

# Scored curated protocols and the number of items of their scale.
SCORED = [
    "cellulite_cocktail_nappage", "submental_fat_deoxycholic_acid", "acne_active_ha_silicon",
    "rejuvenation_face_ha", "hair_male_minoxidil", "hair_female_dutasteride", "pain_procaine",
    "melasma_txa_weekly",
]  # fmt: skip


def default(code: str) -> Protocol:
    return Protocol.objects.get(organization__isnull=True, code=code)


@st.composite
def baseline_items(draw: st.DrawFn, scale_id: str) -> dict[str, Any]:
    items: dict[str, Any] = {}
    for item in get_scale(scale_id).items:
        if item.choices:
            items[item.key] = draw(st.sampled_from(item.choices))
        elif item.step is not None:
            tenths = draw(st.integers(int(item.minimum * 10), int(item.maximum * 10)))
            items[item.key] = float(Decimal(tenths) / 10)
        else:
            items[item.key] = draw(st.integers(int(item.minimum), int(item.maximum)))
    return items


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), code=st.sampled_from(SCORED))
def test_plan_creation_gives_the_band_rules_session_count(
    clinic: Any, data: st.DataObject, code: str
) -> None:
    """Property: a stored plan has exactly the sessions the protocol's rule gives the baseline
    band (or the 'any' rule), one planned session per count; no rule → 422, nothing stored."""
    protocol = default(code)
    actor = clinic.actor("practitioner")
    # The dutasteride protocols would otherwise stop at the teratogen screen.
    registry.update_patient(actor, clinic.patient, reliable_contraception=True)
    items = data.draw(baseline_items(protocol.scale))
    baseline = record_assessment(actor, clinic.patient, scale_id=protocol.scale, items=items)
    rules = course_rules(protocol)
    band = baseline.band or None
    expected = rules.sessions_for(band)
    if band is None and baseline.total <= get_scale(protocol.scale).total_min:
        expected = None
    before = protocol.version
    beyond = rules.max_baseline_total is not None and baseline.total > rules.max_baseline_total
    if beyond:
        with pytest.raises(Invalid) as caught:
            services.create_plan(actor, clinic.patient, protocol=protocol, baseline=baseline)
        assert caught.value.code == "above_protocol_maximum"
        return
    if expected is None:
        with pytest.raises(Invalid) as caught:
            services.create_plan(actor, clinic.patient, protocol=protocol, baseline=baseline)
        assert caught.value.code == "nothing_to_treat"
        return
    plan = services.create_plan(actor, clinic.patient, protocol=protocol, baseline=baseline)
    assert plan.sessions_planned == plan.sessions_by_rule == expected
    assert plan.planned_sessions.count() == expected
    assert plan.protocol_version.version == before


def test_a_plan_is_stored_with_its_event_and_protocol_version(clinic: Any) -> None:
    actor = clinic.actor("practitioner")
    plan = services.create_plan(actor, clinic.patient, protocol=default("striae_ha_silicon_linear"))
    assert plan.status == PlanStatus.PROPOSED
    assert plan.protocol_version.snapshot["sessions_by_band"] == {"any": 5}
    event = PlanEvent.objects.get(plan=plan)
    assert (event.kind, event.by) == ("created", clinic.user("practitioner"))


def test_another_organizations_patient_or_plan_is_not_found(clinic: Any, other_clinic: Any) -> None:
    actor = clinic.actor()
    with pytest.raises(NotFound):
        services.create_plan(
            actor, other_clinic.patient, protocol=default("striae_ha_silicon_linear")
        )
    theirs = services.create_plan(
        other_clinic.actor(), other_clinic.patient, protocol=default("striae_ha_silicon_linear")
    )
    with pytest.raises(NotFound):
        services.get_plan(actor, theirs.pk)


def test_an_inactive_protocol_cannot_be_planned(clinic: Any) -> None:
    actor = clinic.actor()
    copy = copy_protocol(actor, default("striae_ha_silicon_linear"))
    update_protocol(actor, copy, {"is_active": False}, reason="retired")
    with pytest.raises(Invalid):
        services.create_plan(actor, clinic.patient, protocol=copy)


def test_transitions_refuse_what_the_state_machine_does_not_allow(clinic: Any) -> None:
    actor = clinic.actor()
    plan = services.create_plan(actor, clinic.patient, protocol=default("striae_ha_silicon_linear"))
    with pytest.raises(Conflict):
        services.change_status(actor, plan, "complete")
    services.change_status(actor, plan, "activate")
    services.change_status(actor, plan, "stop", reason="adverse reaction")
    plan.refresh_from_db()
    assert plan.status == PlanStatus.STOPPED
    assert plan.status_reason == "adverse reaction"
    with pytest.raises(Conflict):
        services.change_status(actor, plan, "activate", reason="again")
    kinds = list(PlanEvent.objects.filter(plan=plan).values_list("kind", flat=True))
    assert kinds == ["created", "activated", "stopped"]


def test_every_transition_from_every_state_is_defined_or_refused(clinic: Any) -> None:
    actor = clinic.actor()
    for action, (sources, target, _kind) in services.TRANSITIONS.items():
        for status in PlanStatus.values:
            plan = services.create_plan(
                actor, clinic.patient, protocol=default("striae_ha_silicon_linear")
            )
            type(plan).objects.filter(pk=plan.pk).update(status=status)
            if status in sources:
                changed = services.change_status(actor, plan, action, reason="because")
                assert changed.status == target
            else:
                with pytest.raises(Conflict):
                    services.change_status(actor, plan, action, reason="because")


def test_a_reception_actor_cannot_plan(clinic: Any) -> None:
    with pytest.raises(Forbidden):
        services.create_plan(
            clinic.actor("reception"),
            clinic.patient,
            protocol=default("striae_ha_silicon_linear"),
        )


def test_review_defaults_sessions_done_to_the_plans_assessments(clinic: Any) -> None:
    actor = clinic.actor()
    baseline = record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": 8})
    plan = services.create_plan(
        actor, clinic.patient, protocol=default("pain_lidocaine"), baseline=baseline
    )
    services.change_status(actor, plan, "activate")
    outcomes = [services.review_plan(actor, plan, items={"score": s}).review for s in (7, 6, 5)]
    assert [r.sessions_done for r in outcomes] == [1, 2, 3]
    assert [r.outcome.value for r in outcomes] == ["too_early", "too_early", "responding"]
    assert services.sessions_done_default(plan) == 3


def test_male_dutasteride_plans_norwood_va_but_not_vi(clinic: Any) -> None:
    """The Abdallah trial treated Norwood III vertex to V: the protocol's maximum stage is V/Va."""
    actor = clinic.actor("practitioner")
    registry.update_patient(actor, clinic.patient, reliable_contraception=True)
    protocol = default("hair_male_dutasteride")
    va = record_assessment(actor, clinic.patient, scale_id="norwood", items={"stage": "Va"})
    assert (
        services.create_plan(actor, clinic.patient, protocol=protocol, baseline=va).sessions_planned
        == 7
    )
    vi = record_assessment(actor, clinic.patient, scale_id="norwood", items={"stage": "VI"})
    with pytest.raises(Invalid) as caught:
        services.create_plan(actor, clinic.patient, protocol=protocol, baseline=vi)
    assert caught.value.code == "above_protocol_maximum"
    assert caught.value.errors[0]["field"] == "baseline_assessment"
