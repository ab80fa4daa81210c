"""Stock pages: lots list, receiving (with a scan), waste, recall and recipients."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mesocare.catalog.models import Product
from mesocare.inventory.models import ProductLot


def browser(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _receive(client: Client, clinic: Any, **extra: Any) -> Any:
    product = Product.objects.get(organization__isnull=True, code="caffeine_20")
    data = {
        "product": product.pk,
        "location": clinic.location.pk,
        "lot_number": "W1",
        "expiry": "2030-01-31",
        "quantity": "10",
        **extra,
    }
    return client.post("/stock/receive", data)


def test_receive_then_list_with_on_hand(clinic: Any, django_assert_max_num_queries: Any) -> None:
    client = browser(clinic, "reception")
    assert _receive(client, clinic).status_code == 302
    for i in range(10):
        _receive(client, clinic, lot_number=f"X{i}")
    with django_assert_max_num_queries(20):
        html = client.get("/stock").content.decode()
    assert "W1" in html and "10.000 mL" in html


def test_receiving_by_scan_reads_lot_and_expiry(clinic: Any) -> None:
    client = browser(clinic)
    response = _receive(
        client, clinic, gs1="(01)09501101530003(17)300100(10)SCANNED", lot_number="", expiry=""
    )
    assert response.status_code == 302
    lot = ProductLot.objects.get()
    assert (lot.lot_number, str(lot.expiry)) == ("SCANNED", "2030-01-31")


def test_waste_recall_and_recipients_pages(clinic: Any) -> None:
    client = browser(clinic)
    _receive(client, clinic)
    lot = ProductLot.objects.get()
    response = client.post(
        f"/stock/lots/{lot.pk}/movements",
        {"kind": "waste", "quantity_ml": "20", "reason": "dropped"},
    )
    assert response.status_code == 422  # more than on hand
    client.post(
        f"/stock/lots/{lot.pk}/movements", {"kind": "waste", "quantity_ml": "1", "reason": "x"}
    )
    response = client.post(f"/stock/lots/{lot.pk}/recall", {"reason": "notice", "confirm": "on"})
    assert response.status_code == 302
    lot.refresh_from_db()
    assert lot.recalled and lot.on_hand_ml == 9
    assert client.get(f"/stock/lots/{lot.pk}/recipients").status_code == 200
    csv = client.get(f"/stock/lots/{lot.pk}/recipients.csv")
    assert csv["Content-Type"].startswith("text/csv")


def test_stock_nav_link_and_stranger_404(clinic: Any, other_clinic: Any) -> None:
    client = browser(clinic, "auditor")
    assert "/stock" in client.get("/").content.decode()
    _receive(browser(clinic), clinic)
    lot = ProductLot.objects.get()
    stranger = browser(other_clinic)
    assert stranger.get(f"/stock/lots/{lot.pk}").status_code == 404
    assert browser(clinic, "auditor").post("/stock/receive", {}).status_code == 403
