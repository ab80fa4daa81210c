"""Issue 18, bug 11 and the session page's speed: the total volume of an injection is points ×
volume per point (filled in by the server when left empty, refused when it disagrees, through
the page and the API), the lot choices name product, lot, local expiry and mL left, and the
session page with a zone selected keeps its query count whatever the session holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from mesocare.catalog.models import Protocol, Zone
from mesocare.charting.models import InjectionRecord
from mesocare.charting.services import injections
from mesocare.web.bodymap import ZONE_CODES
from mesocare.web.views.charting import lot_label

# Queries of the session page with a zone selected, as the practitioner, on a session opened
# with a protocol and holding injections ("same as last time" found in an earlier session).
# On the demo clinic: 18, was 22 (usable lots read once, the suggestion picks from them, its
# components without what totals need). Here 19: this member has no default location, so the
# time zone takes one query more. A query per row would break the second bound.
SESSION_WITH_ZONE_QUERIES = 19


def browser(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def form_body(chart: Any, **overrides: str) -> dict[str, str]:
    body = {
        "zone": "chin",
        "technique": "papule",
        "depth_mm": "1",
        "points": "20",
        "volume_per_point_ml": "0.05",
        "total_volume_ml": "",
        "needle_kind": "needle",
        "lot_1": str(chart.caffeine.pk),
        "volume_1": "1",
    }
    body.update(overrides)
    return body


def test_an_empty_total_is_points_times_volume_per_point(chart: Any) -> None:
    session = chart.session()
    response = browser(chart.clinic).post(f"/sessions/{session.pk}/injections", form_body(chart))
    assert response.status_code == 302
    injection = InjectionRecord.objects.get(session=session)
    assert injection.total_volume_ml == Decimal("1.000")
    assert injection.volume_per_point_ml == Decimal("0.050")


def test_a_total_that_disagrees_with_points_times_volume_is_refused_beside_it(chart: Any) -> None:
    session = chart.session()
    response = browser(chart.clinic).post(
        f"/sessions/{session.pk}/injections",
        form_body(chart, total_volume_ml="1.5", volume_1="1.5"),
    )
    assert response.status_code == 422
    form = response.context["injection_form"]
    assert form.errors["total_volume_ml"] == ["20 points × 0.05 mL make 1 mL, not 1.5 mL."]
    assert not InjectionRecord.objects.filter(session=session).exists()


def test_without_volume_per_point_the_total_is_required(chart: Any) -> None:
    session = chart.session()
    response = browser(chart.clinic).post(
        f"/sessions/{session.pk}/injections", form_body(chart, volume_per_point_ml="")
    )
    assert response.status_code == 422
    assert response.context["injection_form"].errors["total_volume_ml"] == [
        "Give the total volume, or the volume per point to compute it."
    ]


def test_the_api_applies_the_same_rule(chart: Any) -> None:
    session = chart.session()
    api = chart.clinic.api("practitioner")
    body = chart.injection(chart.caffeine, "1.5", volume_per_point_ml="0.05")
    response = api.post(f"sessions/{session.pk}/injections", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "total_volume_ml"
    body = chart.injection(chart.caffeine, "1", volume_per_point_ml="0.05")
    assert api.post(f"sessions/{session.pk}/injections", body).status_code == 201


@given(
    points=st.integers(min_value=1, max_value=10000),
    thousandths=st.integers(min_value=1, max_value=100_000),
)
def test_volume_from_points_is_the_exact_product(points: int, thousandths: int) -> None:
    per_point = Decimal(thousandths) / 1000
    total = injections.volume_from_points(points, per_point)
    assert total == points * per_point
    assert total is not None and total.as_tuple().exponent == -3


def test_volume_from_points_needs_both() -> None:
    assert injections.volume_from_points(None, Decimal("0.05")) is None
    assert injections.volume_from_points(20, None) is None
    assert injections.volume_from_points(40, Decimal("0.075")) == Decimal("3.000")


def test_a_lot_reads_product_lot_local_expiry_and_what_is_left(chart: Any) -> None:
    lot = chart.caffeine
    lot.expiry = dt.date(2027, 1, 31)
    with translation.override("en"):
        english = lot_label(lot)
    with translation.override("it"):
        italian = lot_label(lot)
    name = lot.product.name
    assert english == f"{name} · lot {lot.lot_number} · expires 01/31/2027 · 50 mL left"
    assert italian == f"{name} · lotto {lot.lot_number} · scad. 31/01/2027 · 50 mL rimasti"


def test_the_form_offers_each_usable_lot_by_its_full_label(chart: Any) -> None:
    session = chart.session()
    html = browser(chart.clinic).get(f"/sessions/{session.pk}?zone=chin").content.decode()
    assert f"lot {chart.caffeine.lot_number} · expires" in html
    assert " mL left</option>" in html
    assert chart.expired.lot_number not in html  # an expired lot is not offered


@pytest.mark.django_db
def test_every_catalog_zone_is_on_the_body_map() -> None:
    assert set(Zone.objects.values_list("code", flat=True)) == set(ZONE_CODES)


def test_the_session_page_with_a_zone_keeps_its_query_count(
    chart: Any, django_assert_max_num_queries: Any
) -> None:
    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    doctor = chart.clinic.actor("practitioner")
    earlier = chart.session(protocol=protocol)
    lots = (chart.caffeine, chart.lidocaine)
    components = tuple(injections.ComponentIn(lot.pk, Decimal("0.5")) for lot in lots)
    data = injections.InjectionIn(
        zone="thigh_lateral_l",
        technique="nappage",
        depth_mm=Decimal(2),
        points=10,
        total_volume_ml=Decimal(1),
        components=components,
        out_of_range_reason="larger area",
        override_reason="interval agreed with the patient",
    )
    injections.chart_injection(doctor, earlier, data)
    session = chart.session(protocol=protocol)
    for _ in range(2):
        injections.chart_injection(doctor, session, data)
    client = browser(chart.clinic)
    url = f"/sessions/{session.pk}?zone=thigh_lateral_l"
    with django_assert_max_num_queries(SESSION_WITH_ZONE_QUERIES):
        response = client.get(url)
    assert "Prefilled: same as last time" in response.content.decode()
    for number in ("A", "B", "C"):
        chart.lot("caffeine_20", f"CAF-{number}", "10")
    for _ in range(6):
        injections.chart_injection(doctor, session, data)
    with django_assert_max_num_queries(SESSION_WITH_ZONE_QUERIES):
        assert client.get(url).status_code == 200
