"""The lots API: receive (fields or GS1 scan), list with on hand, movements, recall,
recipients and their CSV, tenancy."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Product

PROBLEM = "application/problem+json"


def product_id(code: str = "lidocaine_1pct") -> int:
    return Product.objects.get(organization__isnull=True, code=code).pk


def receive(api: Any, clinic: Any, **body: Any) -> Any:
    payload = {
        "product": product_id(),
        "location": clinic.location.pk,
        "lot_number": "A1",
        "expiry": "2030-01-31",
        "quantity": "20",
        **body,
    }
    return api.post("lots", payload)


def test_receiving_stock_returns_the_lot_with_on_hand(api, clinic) -> None:  # type: ignore[no-untyped-def]
    response = receive(api, clinic, supplier="Acme Pharma")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["lot_number"] == "A1" and Decimal(body["on_hand"]) == 20
    assert body["product_name"].startswith("Lidocaine 1%")


def test_receiving_from_a_gs1_scan_finds_the_product_by_gtin(api, clinic) -> None:  # type: ignore[no-untyped-def]
    Product.objects.filter(pk=product_id()).update(gtin="09501101530003")
    scan = "]d2010950110153000317300100\x1d10SCAN-9"
    response = api.post("lots", {"gs1": scan, "location": clinic.location.pk, "quantity": "5"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["product"], body["lot_number"], body["expiry"]) == (
        product_id(),
        "SCAN-9",
        "2030-01-31",
    )


def test_an_unreadable_scan_is_a_field_error(api, clinic) -> None:  # type: ignore[no-untyped-def]
    response = api.post(
        "lots", {"gs1": "(01)09501101530004(10)X", "location": clinic.location.pk, "quantity": 1}
    )
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "gs1"


def test_receiving_without_lot_or_scan_is_a_validation_problem(api, clinic) -> None:  # type: ignore[no-untyped-def]
    response = api.post("lots", {"location": clinic.location.pk, "quantity": "1"})
    assert response.status_code == 422 and response["Content-Type"] == PROBLEM


def test_lots_filter_by_product_and_location_in_bounded_queries(  # type: ignore[no-untyped-def]
    api, clinic, django_assert_max_num_queries
) -> None:
    for i in range(12):
        receive(api, clinic, lot_number=f"L{i}")
    receive(api, clinic, lot_number="DCA", product=product_id("deoxycholic_acid_10"))
    with django_assert_max_num_queries(6):
        response = api.get("lots", product=product_id(), location=clinic.location.pk)
    assert response.status_code == 200
    assert len(response.json()) == 12


def test_waste_adjust_and_return_move_stock_with_a_reason(api, clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(api, clinic).json()
    for kind, qty in (("waste", "1.5"), ("adjust", "-0.5"), ("adjust", "0.25"), ("return", "3")):
        response = api.post(
            f"lots/{lot['id']}/movements", {"kind": kind, "quantity_ml": qty, "reason": "x"}
        )
        assert response.status_code == 201, response.content
    detail = api.get(f"lots/{lot['id']}").json()
    assert Decimal(detail["on_hand"]) == Decimal("15.25")
    assert sum(Decimal(m["quantity_ml"]) for m in detail["movements"]) == Decimal("15.25")


def test_taking_out_more_than_on_hand_is_409(api, clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(api, clinic, quantity="1").json()
    response = api.post(
        f"lots/{lot['id']}/movements", {"kind": "waste", "quantity_ml": "2", "reason": "broken"}
    )
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "insufficient_stock"


def test_only_an_admin_may_allow_negative_stock(clinic) -> None:  # type: ignore[no-untyped-def]
    path = f"locations/{clinic.location.pk}/stock-setting"
    assert clinic.api("practitioner").put(path, {"allow_negative": True}).status_code == 403
    assert clinic.api("admin").put(path, {"allow_negative": True}).json()["allow_negative"]


def test_recall_marks_the_lot_and_is_audited(api, clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(api, clinic).json()
    response = api.post(f"lots/{lot['id']}/recall", {"reason": "supplier notice 2024-17"})
    assert response.status_code == 200 and response.json()["recalled"]
    assert api.post(f"lots/{lot['id']}/recall", {"reason": "again"}).status_code == 409
    assert AuditEvent.objects.filter(object_type="inventory.productlot", action="update").exists()


def test_reception_receives_stock_but_cannot_recall(clinic) -> None:  # type: ignore[no-untyped-def]
    reception = clinic.api("reception")
    lot = receive(reception, clinic)
    assert lot.status_code == 201
    response = reception.post(f"lots/{lot.json()['id']}/recall", {"reason": "r"})
    assert response.status_code == 403


def test_recipients_csv_has_a_header_and_is_an_audited_export(api, clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(api, clinic).json()
    response = api.get(f"lots/{lot['id']}/recipients.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0].startswith("patient_id,patient,")
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_lots_of_another_organization_are_404(api, clinic, other_clinic) -> None:  # type: ignore[no-untyped-def]
    theirs = receive(other_clinic.api(), other_clinic).json()
    for path in (f"lots/{theirs['id']}", f"lots/{theirs['id']}/recipients"):
        assert api.get(path).status_code == 404
    assert api.post(f"lots/{theirs['id']}/recall", {"reason": "x"}).status_code == 404
    assert api.get("lots").json() == []
    # Another organization's location is not found, like any object of another organization.
    response = receive(api, clinic, location=other_clinic.location.pk)
    assert response.status_code == 404


def test_stock_alerts_endpoint(api, clinic) -> None:  # type: ignore[no-untyped-def]
    receive(api, clinic, expiry="2000-01-31")
    body = api.get("stock/alerts").json()
    assert body["near_expiry"][0]["expired"] is True
