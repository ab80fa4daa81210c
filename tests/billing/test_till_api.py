"""The till through the API: a course sold as a package, from the price list to the signed
session, the visit invoice, the payments and the day's takings; bad input as problem+json that
changes nothing; roles; bounded queries on every list; a new version of a course offer,
cancelling a course with its refund, refunds and credit notes of chosen lines."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from mesocare.billing.models import (
    CreditNote,
    Invoice,
    PackageOffer,
    PatientPackage,
    Payment,
    PriceItem,
    PriceVersion,
)
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = response.json()
    if field is not None:
        assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def state() -> tuple[int, ...]:
    return (
        Invoice.objects.count(),
        Payment.objects.count(),
        CreditNote.objects.count(),
        PriceVersion.objects.count(),
    )


def test_a_course_from_price_list_to_takings(clinic: Any, till: Any) -> None:
    admin, desk = clinic.api("admin"), clinic.api("reception")
    created = admin.post(
        "prices",
        {
            "code": "peel",
            "name": "Peel add-on",
            "kind": "addon",
            "amount": "35.00",
            "tax_category": "S",
            "tax_rate": "22",
        },
    )
    assert created.status_code == 201, created.content
    addon = created.json()
    assert addon["amount"] == "35.00" and addon["versions"][0]["amount"] == "35.00"

    offer = admin.post(
        "packages",
        {
            "name": "Course of 4",
            "protocol_id": till.protocol.pk,
            "sessions": 4,
            "price": "440.00",
            "max_instalments": 2,
            "exemption_code": "VATEX-EU-132-1C",
            "exemption_reason": "medical care",
        },
    ).json()
    sold = desk.post(
        f"patients/{clinic.patient.pk}/packages",
        {"offer_id": offer["id"], "location_id": clinic.location.pk, "instalments": 2},
    )
    assert sold.status_code == 201, sold.content
    package = sold.json()
    assert package["instalments"] == ["220.00", "220.00"]
    assert package["sessions_left"] == 4

    paid = desk.post(
        "payments",
        {
            "amount": "220.00",
            "method": "card_terminal",
            "reference": "POS 0042",
            "location_id": clinic.location.pk,
            "invoice_id": package["invoice_id"],
        },
    )
    assert paid.status_code == 201, paid.content

    session = till.signed_session()
    visit = desk.post(
        "invoices",
        {"kind": "visit", "session_id": session.pk, "items": [{"item_id": addon["id"]}]},
    )
    assert visit.status_code == 201, visit.content
    body = visit.json()
    assert [line["unit_price"] for line in body["lines"]] == ["0.00", "35.00"]
    assert body["gross_total"] == "42.70" and body["number"].endswith("/00002")
    desk.post(
        "payments",
        {
            "amount": "42.70",
            "method": "cash",
            "location_id": clinic.location.pk,
            "invoice_id": body["id"],
        },
    )

    packages = desk.get(f"patients/{clinic.patient.pk}/packages").json()
    assert (packages[0]["sessions_used"], packages[0]["sessions_left"]) == (1, 3)
    account = desk.get(f"patients/{clinic.patient.pk}/account").json()
    assert account["balance"] == "220.00"
    assert account["open_invoices"] == {str(package["invoice_id"]): "220.00"}

    today = timezone.localdate(timezone=clinic.location.tz).isoformat()
    takings = clinic.api("auditor").get("reports/takings", date=today)
    assert takings.status_code == 200
    row = takings.json()["locations"][0]
    assert {m["method"]: m["net"] for m in row["methods"]} == {
        "card_terminal": "220.00",
        "cash": "42.70",
    }
    assert row["total"] == "262.70" and row["invoices_issued"] == 2

    csv = desk.get("reports/takings.csv", date_from=today, date_to=today)
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    text = csv.content.decode()
    assert text.splitlines()[0].startswith("date,time,location,document")
    assert "POS 0042" in text and text.count("\n") == 5  # header, 2 invoices, 2 payments


def test_bad_input_is_problem_json_and_changes_nothing(
    clinic: Any, other_clinic: Any, till: Any
) -> None:
    admin, desk = clinic.api("admin"), clinic.api("reception")
    package = till.sell()
    invoice_id = package.invoice_id
    before = state()
    loc = clinic.location.pk
    # negative and over-precise amounts
    problem(
        desk.post(
            "payments",
            {"amount": "-5", "method": "cash", "location_id": loc, "invoice_id": invoice_id},
        ),
        422,
    )
    problem(
        desk.post(
            "payments",
            {"amount": "5.001", "method": "cash", "location_id": loc, "invoice_id": invoice_id},
        ),
        422,
        "amount",
    )
    problem(
        admin.post(
            "prices",
            {
                "code": "neg",
                "name": "Neg",
                "kind": "addon",
                "amount": "-1",
                "exemption_reason": "x",
            },
        ),
        422,
        "amount",
    )
    # another currency
    body = problem(
        desk.post(
            "payments",
            {
                "amount": "5.00",
                "currency": "USD",
                "method": "cash",
                "location_id": loc,
                "invoice_id": invoice_id,
            },
        ),
        422,
        "currency",
    )
    assert body["code"] == "currency_mismatch"
    # a credit note over the invoice
    line = Invoice.objects.get(pk=invoice_id).lines.get()
    body = problem(
        admin.post(
            f"invoices/{invoice_id}/credit-notes",
            {"reason": "too much", "lines": [{"line_id": line.pk, "quantity": "2"}]},
        ),
        422,
    )
    assert body["code"] == "credit_exceeds_invoice"
    # a package of another patient
    other = Patient.objects.create(
        organization=clinic.org,
        given_name="Anna",
        family_name="Bianchi",
        birth_date=dt.date(1980, 1, 1),
        sex_at_birth="female",
    )
    problem(admin.post(f"patients/{other.pk}/packages/{package.pk}/cancel", {"reason": "x"}), 404)
    # another organization's ids
    theirs = other_clinic.location.pk
    problem(
        desk.post(
            "payments",
            {"amount": "5.00", "method": "cash", "location_id": theirs, "invoice_id": invoice_id},
        ),
        404,
        "location_id",
    )
    problem(
        desk.post(
            f"patients/{other_clinic.patient.pk}/packages",
            {"offer_id": till.offer.pk, "location_id": loc},
        ),
        404,
    )
    problem(clinic.api("auditor").get(f"invoices/{invoice_id + 1000}"), 404)
    # a visit invoice of an unsigned session
    session = till.session()
    problem(desk.post("invoices", {"kind": "visit", "session_id": session.pk}), 409)
    # an invalid VAT treatment
    problem(
        admin.post(
            "prices",
            {"code": "v", "name": "V", "kind": "addon", "amount": "1", "tax_category": "S"},
        ),
        422,
        "tax_rate",
    )
    problem(
        admin.post("prices", {"code": "w", "name": "W", "kind": "addon", "amount": "1"}),
        422,
        "exemption_reason",
    )
    assert state() == before


def test_roles_reception_charges_admin_prices_and_credits_auditor_reads(
    clinic: Any, till: Any
) -> None:
    package = till.sell()
    desk, auditor = clinic.api("reception"), clinic.api("auditor")
    assert desk.patch(f"prices/{till.product.pk}", {"amount": "1.00"}).status_code == 403
    assert (
        desk.post(f"invoices/{package.invoice_id}/credit-notes", {"reason": "x"}).status_code == 403
    )
    assert auditor.get("invoices").status_code == 200
    assert (
        auditor.post(
            "payments",
            {
                "amount": "1.00",
                "method": "cash",
                "location_id": clinic.location.pk,
                "invoice_id": package.invoice_id,
            },
        ).status_code
        == 403
    )
    assert clinic.api("practitioner").get("invoices").status_code == 403


def test_a_new_price_is_a_new_version(clinic: Any, till: Any) -> None:
    admin = clinic.api("admin")
    later = (timezone.now() + dt.timedelta(days=30)).isoformat()
    response = admin.patch(
        f"prices/{till.product.pk}", {"amount": "26.00", "valid_from": later, "name": "Serum"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["amount"] == "24.59"  # still the price today
    assert [v["amount"] for v in body["versions"]] == ["26.00", "24.59"]
    assert PriceItem.objects.get(pk=till.product.pk).name == "Serum"


def test_lists_have_bounded_queries(
    clinic: Any, till: Any, django_assert_max_num_queries: Any
) -> None:
    api = clinic.api("admin")
    for _ in range(3):
        till.sell()
    paths = [
        ("prices", {}),
        ("packages", {}),
        (f"patients/{clinic.patient.pk}/packages", {}),
        ("invoices", {}),
        ("payments", {}),
        ("deposits", {}),
        ("reports/takings", {"date": timezone.localdate().isoformat()}),
    ]
    for path, params in paths:
        with django_assert_max_num_queries(14):
            assert api.get(path, **params).status_code == 200, path
    for _ in range(5):
        till.sell()
        api.post(
            "payments",
            {
                "amount": "10.00",
                "method": "cash",
                "location_id": clinic.location.pk,
                "patient_id": clinic.patient.pk,
            },
        )
    for path, params in paths:
        with django_assert_max_num_queries(14):
            assert api.get(path, **params).status_code == 200, path
    assert Decimal(api.get(f"patients/{clinic.patient.pk}/account").json()["balance"]) == Decimal(
        "4750.00"
    )


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
