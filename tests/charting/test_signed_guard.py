"""A signed session is immutable in the models too, not only in the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mesocare.charting.models import (
    Amendment,
    CocktailComponent,
    InjectionRecord,
    SessionSigned,
    SideEffect,
    TreatmentSession,
)
from mesocare.charting.services import injections, sessions
from mesocare.errors import Conflict


def _signed_session(chart: Any) -> TreatmentSession:
    actor = chart.clinic.actor("practitioner")
    session = chart.session()
    data = injections.InjectionIn(
        zone="abdomen_ul",
        technique="nappage",
        depth_mm=Decimal(2),
        points=10,
        total_volume_ml=Decimal(1),
        components=(injections.ComponentIn(chart.caffeine.pk, Decimal(1)),),
    )
    injections.chart_injection(actor, session, data)
    injections.add_side_effect(actor, session, kind="erythema", grade=1)
    return sessions.sign_session(actor, session)


def test_saving_or_deleting_a_signed_session_raises(chart: Any) -> None:
    session = TreatmentSession.objects.get(pk=_signed_session(chart).pk)
    session.notes = "rewritten"
    with pytest.raises(SessionSigned):
        session.save()
    with pytest.raises(SessionSigned):
        session.delete()


def test_rows_of_a_signed_session_cannot_change(chart: Any) -> None:
    session = _signed_session(chart)
    injection = InjectionRecord.objects.get(session=session)
    injection.depth_mm = Decimal(9)
    with pytest.raises(SessionSigned):
        injection.save()
    with pytest.raises(SessionSigned):
        injection.delete()
    component = CocktailComponent.objects.get(injection=injection)
    component.volume_ml = Decimal(5)
    with pytest.raises(SessionSigned):
        component.save()
    effect = SideEffect.objects.get(session=session)
    effect.grade = 3
    with pytest.raises(SessionSigned):
        effect.save()
    with pytest.raises(SessionSigned):
        InjectionRecord.objects.filter(session=session).update(points=99)
    with pytest.raises(SessionSigned):
        CocktailComponent.objects.filter(injection=injection).delete()
    new = InjectionRecord(
        organization=session.organization,
        session=session,
        n=2,
        zone_id="chin",
        technique="papule",
        depth_mm=1,
        points=1,
        total_volume_ml=1,
        created_by=chart.clinic.user("practitioner"),
    )
    with pytest.raises(SessionSigned):
        new.save()
    assert InjectionRecord.objects.get(pk=injection.pk).depth_mm == Decimal(2)


def test_amendments_are_append_only(chart: Any) -> None:
    session = _signed_session(chart)
    amendment = sessions.add_amendment(
        chart.clinic.actor("practitioner"),
        session,
        reason="pain score given after signing",
        changes=[sessions.Change("session", "pain_vas", "4")],
    )
    assert amendment.changes == [
        {"target": "session", "n": None, "field": "pain_vas", "old": None, "new": "4"}
    ]
    amendment.reason = "other"
    with pytest.raises(Conflict):
        amendment.save()
    with pytest.raises(Conflict):
        amendment.delete()
    assert Amendment.objects.count() == 1
