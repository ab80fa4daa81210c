"""The till's corrections through the API: a new version of a course offer (the old one
withdrawn, sold courses keep their terms), cancelling a course with the refund paid back at
once, refunds of a credit note, a credit note of chosen lines; bad input is problem+json on
the field and changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mesocare.billing.models import CreditNote, PackageOffer, PatientPackage, Payment

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def test_a_new_version_of_a_course_offer(clinic: Any, till: Any) -> None:
    sold = till.sell()
    admin = clinic.api("admin")
    problem(admin.post(f"packages/{till.offer.pk}/revise", {"price": "-1"}), 422, "price")
    problem(admin.post(f"packages/{till.offer.pk}/revise", {}), 422, "price")
    problem(clinic.api("reception").post(f"packages/{till.offer.pk}/revise", {"price": "1"}), 403)
    assert PackageOffer.objects.count() == 1
    response = admin.post(f"packages/{till.offer.pk}/revise", {"price": "540.00", "sessions": 5})
    assert response.status_code == 201, response.content
    new = response.json()
    assert new["id"] != till.offer.pk and new["price"] == "540.00" and new["sessions"] == 5
    assert new["active"] is True and new["protocol_id"] == till.offer.protocol_id
    old = admin.get(f"packages/{till.offer.pk}").json()
    assert old["active"] is False and old["price"] == "600.00"
    # the old one is no longer sold, nor revised again
    problem(
        clinic.api("reception").post(
            f"patients/{clinic.patient.pk}/packages",
            {"offer_id": till.offer.pk, "location_id": clinic.location.pk},
        ),
        422,
        "offer_id",
    )
    problem(admin.post(f"packages/{till.offer.pk}/revise", {"price": "1"}), 409)
    sold.refresh_from_db()
    assert sold.price == Decimal("600.00") and sold.sessions_total == 6


def test_cancel_a_course_with_the_refund_then_refund_and_credit_lines(
    clinic: Any, till: Any
) -> None:
    admin, desk = clinic.api("admin"), clinic.api("reception")
    package = till.sell()
    loc = clinic.location.pk
    paid = desk.post(
        "payments",
        {
            "amount": "600.00",
            "method": "cash",
            "location_id": loc,
            "invoice_id": package.invoice_id,
        },
    )
    assert paid.status_code == 201
    till.signed_session()
    url = f"patients/{clinic.patient.pk}/packages/{package.pk}/cancel"
    problem(admin.post(url, {"reason": "x", "refund_method": "bitcoin"}), 422)
    assert PatientPackage.objects.get(pk=package.pk).status == "active"
    assert not CreditNote.objects.exists()
    response = admin.post(url, {"reason": "moving", "refund_method": "bank_transfer"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["refund_payment_id"] is not None
    refund = Payment.objects.get(pk=body["refund_payment_id"])
    # 600 × 5/6 = 500 less the 30 fee
    assert refund.amount == Decimal("-470.00") and refund.credit_note_id == body["credit_note_id"]
    account = desk.get(f"patients/{clinic.patient.pk}/account").json()
    assert Decimal(account["balance"]) == 0

    # a retail sale: credit one of two serums, refund it in two methods, never more
    sale = desk.post(
        "invoices",
        {
            "kind": "retail",
            "patient_id": clinic.patient.pk,
            "location_id": loc,
            "items": [{"item_id": till.product.pk, "quantity": "2"}],
        },
    ).json()
    desk.post(
        "payments",
        {"amount": "60.00", "method": "cash", "location_id": loc, "invoice_id": sale["id"]},
    )
    line_id = sale["lines"][0]["id"]
    problem(
        admin.post(
            f"invoices/{sale['id']}/credit-notes",
            {"reason": "returned", "lines": [{"line_id": line_id, "quantity": "-1"}]},
        ),
        422,
    )
    note = admin.post(
        f"invoices/{sale['id']}/credit-notes",
        {"reason": "returned", "lines": [{"line_id": line_id, "quantity": "1"}]},
    ).json()
    assert note["gross_total"] == "30.00"
    refund_body = {
        "kind": "refund",
        "method": "voucher",
        "location_id": loc,
        "credit_note_id": note["id"],
    }
    problem(desk.post("payments", {**refund_body, "amount": "30.01"}), 422, "amount")
    problem(desk.post("payments", {**refund_body, "amount": "5", "currency": "USD"}), 422)
    assert desk.post("payments", {**refund_body, "amount": "30.00"}).status_code == 201
    problem(desk.post("payments", {**refund_body, "amount": "0.01"}), 422, "amount")
