"""The till's admin and correction pages: an admin edits a price (a new version from a day,
invoices keep their price) and withdraws it, puts a new version of a course on sale, changes
the cancellation policy (a new version); cancels a course with its refund; refunds a credit
note by a method; credits chosen lines. Reception reads; bad input re-renders beside the field
and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mesocare.billing.models import (
    CancellationPolicy,
    CreditNote,
    PackageOffer,
    Payment,
    PriceVersion,
)
from mesocare.billing.services import invoicing, payments
from mesocare.billing.services.invoicing import ItemRequest

pytestmark = pytest.mark.django_db

D = Decimal


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _field_error(response: Any, field: str) -> bool:
    return f'id="id_{field}_error"' in _html(response)


def test_admin_sets_a_new_price_from_a_day_and_withdraws_the_item(
    till: Any, django_assert_max_num_queries: Any
) -> None:
    admin = _client(till.clinic, "admin")
    item = till.addon
    url = f"/till/prices/{item.pk}"
    with django_assert_max_num_queries(20):
        page = admin.get(url)
    assert page.status_code == 200 and "10.00 EUR" in _html(page)
    # an invoice issued today keeps its price
    sale = invoicing.issue_retail_invoice(
        till.clinic.actor("reception"),
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(item_id=item.pk, quantity=D(1))],
    )
    later = timezone.localdate() + dt.timedelta(days=7)
    response = admin.post(
        url, {"name": item.name, "amount": "12.50", "valid_from": later.isoformat(), "active": "on"}
    )
    assert response.status_code == 302
    versions = list(PriceVersion.objects.filter(item=item).order_by("valid_from"))
    assert [v.amount for v in versions] == [D("10.00"), D("12.50")]
    assert versions[1].valid_from.date() >= later - dt.timedelta(days=1)
    assert sale.lines.get().unit_price == D("10.00")
    # a past day is refused beside the field, nothing added
    past = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    bad = admin.post(url, {"name": item.name, "amount": "9.00", "valid_from": past, "active": "on"})
    assert bad.status_code == 422 and _field_error(bad, "valid_from")
    bad = admin.post(url, {"name": item.name, "amount": "-1", "active": "on"})
    assert bad.status_code == 422 and _field_error(bad, "amount")
    assert PriceVersion.objects.filter(item=item).count() == 2
    # withdraw: no longer on sale
    assert admin.post(url, {"name": item.name, "amount": "10.00"}).status_code == 302
    item.refresh_from_db()
    assert item.active is False and PriceVersion.objects.filter(item=item).count() == 2
    # reception reads the list but cannot edit
    desk = _client(till.clinic, "reception")
    assert desk.get("/till/prices").status_code == 200
    assert f'href="{url}"' not in _html(desk.get("/till/prices"))
    assert desk.get(url).status_code == 403
    assert desk.post(url, {"name": "x", "amount": "1"}).status_code == 403


def test_a_new_course_price_is_a_new_offer_and_old_sales_keep_theirs(till: Any) -> None:
    sold = till.sell()
    admin = _client(till.clinic, "admin")
    url = f"/till/packages/{till.offer.pk}"
    assert admin.get(url).status_code == 200
    form = {
        "name": "Course of 6",
        "sessions": "6",
        "price": "540.00",
        "validity_days": "365",
        "max_instalments": "3",
        "active": "on",
    }
    assert admin.post(url, form).status_code == 302
    till.offer.refresh_from_db()
    assert till.offer.active is False
    new = PackageOffer.objects.get(organization=till.clinic.org, active=True)
    assert new.price == D("540.00") and new.protocol_id == till.offer.protocol_id
    sold.refresh_from_db()
    assert sold.price == D("600.00") and sold.invoice.gross_total == D("600.00")
    # renaming keeps the offer; withdrawing stops new sales
    assert admin.post(f"/till/packages/{new.pk}", {**form, "name": "Six"}).status_code == 302
    new.refresh_from_db()
    assert new.name == "Six" and new.active
    del form["active"]
    assert admin.post(f"/till/packages/{new.pk}", {**form, "name": "Six"}).status_code == 302
    new.refresh_from_db()
    assert not new.active
    bad = admin.post(f"/till/packages/{new.pk}", {**form, "sessions": "0"})
    assert bad.status_code == 422 and _field_error(bad, "sessions")
    assert _client(till.clinic, "reception").get(url).status_code == 403


def test_the_policy_gets_a_new_version_and_reception_reads_it(till: Any) -> None:
    admin = _client(till.clinic, "admin")
    page = admin.get("/till/policy")
    assert page.status_code == 200 and "30.00" in _html(page)
    bad = admin.post(
        "/till/policy",
        {"late_cancel_hours": "24", "refund_policy": "fee", "fee_amount": "0"},
    )
    assert bad.status_code == 422 and _field_error(bad, "fee_amount")
    ok = admin.post(
        "/till/policy",
        {
            "late_cancel_hours": "48",
            "forfeit_on_no_show": "on",
            "refund_policy": "pro_rata",
            "fee_amount": "0",
        },
    )
    assert ok.status_code == 302
    versions = CancellationPolicy.objects.filter(organization=till.clinic.org)
    assert sorted(versions.values_list("version", flat=True)) == [1, 2]
    assert versions.get(version=2).late_cancel_hours == 48
    desk = _client(till.clinic, "reception")
    page = desk.get("/till/policy")
    assert page.status_code == 200 and "<form" not in _html(page).split("</nav>", 2)[-1]
    assert desk.post("/till/policy", {"late_cancel_hours": "1"}).status_code == 403


def test_cancelling_a_course_from_the_account_refunds_it(till: Any) -> None:
    package = till.sell()
    payments.record_payment(
        till.clinic.actor("reception"),
        amount="600.00",
        method="card_terminal",
        location_id=till.clinic.location.pk,
        invoice_id=package.invoice_id,
    )
    till.signed_session()
    patient = till.clinic.patient
    admin = _client(till.clinic, "admin")
    account = _html(admin.get(f"/patients/{patient.pk}/account"))
    url = f"/patients/{patient.pk}/account/courses/{package.pk}/cancel"
    assert url in account
    page = admin.get(url)
    # 600 × 5/6 = 500, less the 30 fee
    assert page.status_code == 200 and "470.00 EUR" in _html(page)
    bad = admin.post(url, {"reason": "", "refund_method": "cash"})
    assert bad.status_code == 422 and _field_error(bad, "reason")
    assert not CreditNote.objects.exists()
    done = admin.post(url, {"reason": "moving abroad", "refund_method": "bank_transfer"})
    assert done.status_code == 302
    package.refresh_from_db()
    assert package.status == "cancelled" and package.credit_note.gross_total == D("470.00")
    refund = Payment.objects.get(credit_note=package.credit_note)
    assert refund.amount == D("-470.00") and refund.method == "bank_transfer"
    # reception does not cancel courses
    assert _client(till.clinic, "reception").get(url).status_code == 403


def test_refund_of_a_credit_note_by_a_method_never_more_than_left(till: Any) -> None:
    reception = till.clinic.actor("reception")
    sale = invoicing.issue_retail_invoice(
        reception,
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(item_id=till.addon.pk, quantity=D(3))],
    )
    payments.record_payment(
        reception,
        amount="30.00",
        method="cash",
        location_id=till.clinic.location.pk,
        invoice_id=sale.pk,
    )
    note = invoicing.issue_credit_note(till.clinic.actor("admin"), sale.pk, reason="returned")
    desk = _client(till.clinic, "reception")
    invoice_page = _html(desk.get(f"/till/invoices/{sale.pk}"))
    url = f"/till/credit-notes/{note.pk}/refund"
    assert url in invoice_page
    assert desk.get(url).status_code == 200
    bad = desk.post(url, {"amount": "31.00", "method": "cash"})
    assert bad.status_code == 422 and _field_error(bad, "amount")
    bad = desk.post(url, {"amount": "-5", "method": "cash"})
    assert bad.status_code == 422 and _field_error(bad, "amount")
    assert not Payment.objects.filter(credit_note=note).exists()
    assert desk.post(url, {"amount": "20.00", "method": "cash"}).status_code == 302
    assert desk.post(url, {"amount": "10.00", "method": "voucher"}).status_code == 302
    assert sum(p.amount for p in Payment.objects.filter(credit_note=note)) == D("-30.00")
    assert desk.post(url, {"amount": "0.01", "method": "cash"}).status_code == 422
    assert (
        _client(till.clinic, "auditor").post(url, {"amount": "1", "method": "cash"}).status_code
        == 403
    )


def test_credit_note_of_chosen_lines_and_quantities(till: Any) -> None:
    reception = till.clinic.actor("reception")
    sale = invoicing.issue_retail_invoice(
        reception,
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[
            ItemRequest(item_id=till.addon.pk, quantity=D(3)),
            ItemRequest(item_id=till.product.pk, quantity=D(2)),
        ],
    )
    addon, product = sale.lines.order_by("position")
    admin = _client(till.clinic, "admin")
    url = f"/till/invoices/{sale.pk}/credit-lines"
    assert url in _html(admin.get(f"/till/invoices/{sale.pk}"))
    assert admin.get(url).status_code == 200
    over = admin.post(url, {"reason": "returned", f"line_{product.pk}": "3"})
    assert over.status_code == 422 and _field_error(over, f"line_{product.pk}")
    none = admin.post(url, {"reason": "returned"})
    assert none.status_code == 422 and "at least one line" in _html(none)
    assert not CreditNote.objects.exists()
    ok = admin.post(url, {"reason": "returned", f"line_{product.pk}": "1"})
    assert ok.status_code == 302
    note = CreditNote.objects.get()
    line = note.lines.get()
    assert line.invoice_line_id == product.pk and line.quantity == 1
    # 24.59 + 22 % VAT = 30.00 a serum
    assert note.gross_total == D("30.00")
    again = admin.post(url, {"reason": "returned", f"line_{product.pk}": "2"})
    assert again.status_code == 422
    assert _client(till.clinic, "reception").get(url).status_code == 403
    del addon
