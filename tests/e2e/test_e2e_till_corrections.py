"""The till's corrections in Chromium: the admin puts a new price on an add-on from next week
(its history shows both), then cancels a patient's course paid in full after one session —
the page shows the credit for the unused part by the policy (pro rata less the fee) — and pays
the refund back by bank transfer; the account shows the refund."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from e2e_day import PASSWORD
from playwright.sync_api import expect
from test_e2e_till import ALL_IMPACTS, set_up_till

from mesocare.billing.models import Payment
from mesocare.billing.services import packages, payments, prices
from mesocare.charting.services import sessions


def test_admin_edits_a_price_and_cancels_a_course_with_its_refund(e2e: Any, clinic: Any) -> None:
    protocol, serum = set_up_till(clinic)
    admin = clinic.actor("admin")
    prices.set_cancellation_policy(
        admin, late_cancel_hours=24, refund_policy="fee", fee_amount="30.00"
    )
    patient = clinic.patient
    offer = packages.list_offers(admin).get(name="Course of 6")
    package = packages.sell_package(
        clinic.actor("reception"),
        patient_id=patient.pk,
        offer_id=offer.pk,
        location_id=clinic.location.pk,
    )
    payments.record_payment(
        clinic.actor("reception"),
        amount="600.00",
        method="card_terminal",
        location_id=clinic.location.pk,
        invoice_id=package.invoice_id,
    )
    practitioner = clinic.actor("practitioner")
    sessions.sign_session(
        practitioner,
        sessions.open_walk_in(
            practitioner, patient=patient, location=clinic.location, protocol=protocol
        ),
    )

    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "admin@alpha.test", PASSWORD))
    # a new price for the serum from next week
    e2e.step("prices", lambda: page.goto("/till/prices"))
    e2e.step("edit", lambda: page.get_by_role("link", name=f"Edit {serum.name}").click())
    expect(page.get_by_role("heading", name="Price history")).to_be_visible()
    page.get_by_label("Price (net of VAT)").fill("26.00")
    later = timezone.localdate() + dt.timedelta(days=7)
    page.get_by_label("New price from").fill(later.isoformat())
    assert e2e.axe(page, ALL_IMPACTS) == []
    e2e.step("save price", lambda: page.get_by_role("button", name="Save").click())
    expect(page.get_by_text(f"{serum.name} saved.")).to_be_visible()

    # cancel the course from the account, refund by bank transfer
    e2e.step("account", lambda: page.goto(f"/patients/{patient.pk}/account"))
    e2e.step("cancel", lambda: page.get_by_role("link", name="Cancel course Course of 6").click())
    # 600 × 5/6 = 500 unused, less the 30 fee
    expect(page.get_by_text("470.00 EUR")).to_be_visible()
    assert e2e.axe(page, ALL_IMPACTS) == []
    e2e.step("no reason", lambda: page.get_by_role("button", name="Cancel the course").click())
    expect(page.locator("#id_reason_error")).to_be_visible()
    page.get_by_label("Reason").fill("Moving abroad")
    page.get_by_label("Pay the refund back by").select_option(label="Bank transfer")
    page.get_by_label("Reference").fill("SEPA 0077")
    e2e.step("confirm", lambda: page.get_by_role("button", name="Cancel the course").click())
    expect(page.get_by_text(re.compile(r"Course cancelled; 470\.00 EUR refunded"))).to_be_visible()
    refund = Payment.objects.get(amount__lt=0)
    assert refund.method == "bank_transfer" and str(refund.amount) == "-470.00"
    expect(page.get_by_role("row", name=re.compile("Bank transfer"))).to_contain_text("-470.00")
    assert e2e.axe(page, ALL_IMPACTS) == []
    e2e.screenshot(page, "till-course-cancelled")
