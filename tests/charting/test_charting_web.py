"""The session page (tablet UI): body map, injection form, totals, signing, PDF."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from mesocare.charting.models import InjectionRecord
from mesocare.charting.services import injections


def browser(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _chart(chart: Any, session: Any, n: int) -> None:
    for _ in range(n):
        data = injections.InjectionIn(
            zone="abdomen_ul",
            technique="nappage",
            depth_mm=Decimal(2),
            points=10,
            total_volume_ml=Decimal("0.5"),
            components=(injections.ComponentIn(chart.caffeine.pk, Decimal("0.5")),),
        )
        injections.chart_injection(chart.clinic.actor("practitioner"), session, data)


def test_the_body_map_has_every_catalog_zone_as_a_focusable_labelled_link(chart: Any) -> None:
    from mesocare.catalog.models import Zone

    session = chart.session()
    html = browser(chart.clinic).get(f"/sessions/{session.pk}").content.decode()
    for zone in Zone.objects.all():
        assert f'id="zone-{zone.code}" data-zone="{zone.code}"' in html
        assert f'href="?zone={zone.code}#inject" aria-label="{zone.name}"' in html


def test_tapping_a_zone_opens_the_form_prefilled_from_the_protocol(chart: Any) -> None:
    from mesocare.catalog.models import Protocol

    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    session = chart.session(protocol=protocol)
    response = browser(chart.clinic).get(f"/sessions/{session.pk}?zone=thigh_lateral_l")
    html = response.content.decode()
    assert "Prefilled from the protocol" in html
    assert 'name="depth_mm" value="2.00"' in html or 'name="depth_mm" value="2"' in html
    assert f'<option value="{chart.caffeine.pk}" selected' in html


def test_charting_through_the_form_deducts_stock(chart: Any) -> None:
    session = chart.session()
    response = browser(chart.clinic).post(
        f"/sessions/{session.pk}/injections",
        {
            "zone": "chin",
            "technique": "papule",
            "depth_mm": "1",
            "points": "5",
            "total_volume_ml": "2",
            "needle_kind": "needle",
            "lot_1": str(chart.caffeine.pk),
            "volume_1": "2",
        },
    )
    assert response.status_code == 302
    chart.caffeine.refresh_from_db()
    assert chart.caffeine.on_hand_ml == 48
    assert InjectionRecord.objects.get(session=session).zone_id == "chin"


def test_a_safety_block_is_shown_beside_the_form(chart: Any) -> None:
    session = chart.session()
    body = {
        "zone": "chin",
        "technique": "papule",
        "depth_mm": "1",
        "points": "5",
        "total_volume_ml": "1",
        "needle_kind": "needle",
        "lot_1": str(chart.expired.pk),
        "volume_1": "1",
    }
    response = browser(chart.clinic).post(f"/sessions/{session.pk}/injections", body)
    # The expired lot is not offered: the form refuses the choice before the service.
    assert response.status_code == 422


def test_session_page_queries_do_not_grow_with_injections(
    chart: Any, django_assert_max_num_queries: Any
) -> None:
    session = chart.session()
    client = browser(chart.clinic)
    _chart(chart, session, 2)
    with django_assert_max_num_queries(40) as few:
        assert client.get(f"/sessions/{session.pk}").status_code == 200
    _chart(chart, session, 15)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(f"/sessions/{session.pk}").status_code == 200


def test_signing_needs_the_confirmation_and_then_offers_amendments(chart: Any) -> None:
    session = chart.session()
    _chart(chart, session, 1)
    client = browser(chart.clinic)
    assert client.post(f"/sessions/{session.pk}/sign", {}).status_code == 422
    assert client.post(f"/sessions/{session.pk}/sign", {"confirm": "on"}).status_code == 302
    html = client.get(f"/sessions/{session.pk}").content.decode()
    assert "Add amendment" in html and "Chart injection" not in html
    response = client.post(
        f"/sessions/{session.pk}/amendments",
        {"reason": "wrong depth", "target_field": "injection:depth_mm", "n": "1", "value": "3"},
    )
    assert response.status_code == 302
    html = client.get(f"/sessions/{session.pk}").content.decode()
    assert "wrong depth" in html and "amended" in html


def test_the_summary_prints_as_pdf(chart: Any) -> None:
    session = chart.session()
    _chart(chart, session, 2)
    response = browser(chart.clinic).get(f"/sessions/{session.pk}/summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_sessions_tab_and_walk_in(chart: Any) -> None:
    client = browser(chart.clinic)
    patient = chart.clinic.patient
    html = client.get(f"/patients/{patient.pk}/sessions").content.decode()
    assert "Start a walk-in session" in html
    response = client.post(
        f"/patients/{patient.pk}/sessions/new", {"location": chart.clinic.location.pk}
    )
    assert response.status_code == 302 and "/sessions/" in response["Location"]


def test_reception_cannot_open_sessions_and_strangers_get_404(
    chart: Any, other_clinic: Any
) -> None:
    session = chart.session()
    assert browser(chart.clinic, "reception").get(f"/sessions/{session.pk}").status_code == 403
    stranger = Client()
    stranger.force_login(other_clinic.user("practitioner"))
    assert stranger.get(f"/sessions/{session.pk}").status_code == 404
    assert stranger.get(f"/sessions/{session.pk}/summary.pdf").status_code == 404
