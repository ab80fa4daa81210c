"""A component carries copies of its injection's session, number and zone (the recall trace
reads them without the injection): set by every way a component is written, and kept equal to
the injection's when either row changes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mesocare.charting.models import CocktailComponent, InjectionRecord
from mesocare.charting.services import injections, sessions


def _copies() -> list[tuple[Any, ...]]:
    return sorted(
        CocktailComponent.objects.values_list("pk", "session_id", "injection_n", "zone_id")
    )


def _from_injections() -> list[tuple[Any, ...]]:
    return sorted(
        CocktailComponent.objects.values_list(
            "pk", "injection__session_id", "injection__n", "injection__zone_id"
        )
    )


def _chart(chart: Any, session: Any, zone: str, *lots: Any) -> InjectionRecord:
    data = injections.InjectionIn(
        zone=zone,
        technique="nappage",
        depth_mm=Decimal(2),
        points=10,
        total_volume_ml=Decimal(len(lots)),
        components=tuple(injections.ComponentIn(lot.pk, Decimal(1)) for lot in lots),
    )
    return injections.chart_injection(chart.clinic.actor("practitioner"), session, data)


def test_charting_an_injection_gives_each_component_its_session_number_and_zone(
    chart: Any,
) -> None:
    session = chart.session()
    _chart(chart, session, "abdomen_ul", chart.caffeine)
    second = _chart(chart, session, "flank_l", chart.caffeine, chart.lidocaine)
    assert _copies() == _from_injections()
    assert {(c.session_id, c.injection_n, c.zone_id) for c in second.components.all()} == {
        (session.pk, 2, "flank_l")
    }


def test_bulk_created_components_get_their_copies_from_an_instance_or_an_id(
    chart: Any,
) -> None:
    session = chart.session()
    first = _chart(chart, session, "abdomen_ul", chart.caffeine)
    second = _chart(chart, session, "thigh_lateral_l", chart.caffeine)
    CocktailComponent.objects.bulk_create(
        [
            CocktailComponent(
                organization=chart.clinic.org,
                injection=first,
                lot=chart.lidocaine,
                volume_ml=Decimal("0.5"),
            ),
            CocktailComponent(
                organization=chart.clinic.org,
                injection_id=second.pk,
                lot=chart.lidocaine,
                volume_ml=Decimal("0.5"),
            ),
        ]
    )
    assert CocktailComponent.objects.count() == 4
    assert _copies() == _from_injections()


def test_changing_an_injection_changes_its_components_copies(chart: Any) -> None:
    session = chart.session()
    injection = _chart(chart, session, "abdomen_ul", chart.caffeine, chart.lidocaine)
    InjectionRecord.objects.filter(pk=injection.pk).update(zone_id="flank_r", n=7)
    assert set(injection.components.values_list("injection_n", "zone_id")) == {(7, "flank_r")}
    injection.refresh_from_db()
    injection.zone_id = "abdomen_ur"
    injection.save()
    assert set(injection.components.values_list("zone_id", flat=True)) == {"abdomen_ur"}
    assert _copies() == _from_injections()


def test_moving_a_component_or_writing_its_copies_takes_them_from_its_injection(
    chart: Any,
) -> None:
    session = chart.session()
    first = _chart(chart, session, "abdomen_ul", chart.caffeine)
    second = _chart(chart, session, "flank_l", chart.lidocaine)
    component = first.components.get()
    CocktailComponent.objects.filter(pk=component.pk).update(injection=second)
    CocktailComponent.objects.filter(pk=component.pk).update(zone_id="chin", injection_n=9)
    assert _copies() == _from_injections()
    component.refresh_from_db()
    assert (component.injection_n, component.zone_id) == (2, "flank_l")


def test_amending_a_signed_session_leaves_the_charted_rows_and_their_copies(chart: Any) -> None:
    actor = chart.clinic.actor("practitioner")
    session = chart.session()
    _chart(chart, session, "abdomen_ul", chart.caffeine)
    sessions.sign_session(actor, session)
    before = _copies()
    sessions.add_amendment(
        actor,
        session,
        reason="zone misread",
        changes=[sessions.Change("injection", "zone", "flank_l", 1)],
    )
    assert _copies() == before == _from_injections()


def test_saving_a_component_moved_to_another_injection_takes_that_ones_copies(
    chart: Any,
) -> None:
    session = chart.session()
    first = _chart(chart, session, "abdomen_ul", chart.caffeine)
    second = _chart(chart, session, "flank_l", chart.lidocaine)
    component = CocktailComponent.objects.get(injection=first)
    component.injection_id = second.pk
    component.save()
    assert _copies() == _from_injections()
    assert CocktailComponent.objects.filter(injection=second, zone_id="flank_l").count() == 2
