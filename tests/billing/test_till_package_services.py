"""Courses made of a set of services (6 sessions + 1 consultation + 2 add-ons): checkout uses
the included services before charging them, per service; the API shows paid, used and left;
a cancelled course refunds the unused part weighted by the list prices when it was sold."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mesocare.billing.models import PackageAllowance, PackageOffer
from mesocare.billing.services import invoicing, packages
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.errors import Invalid, NotFound

pytestmark = pytest.mark.django_db

D = Decimal


def _offer(till: Any) -> PackageOffer:
    return packages.create_offer(
        till.clinic.actor("admin"),
        name="Course of 6 with a consultation",
        protocol_id=till.protocol.pk,
        sessions=6,
        price="700.00",
        exemption_reason="medical care",
        components=[
            {"item_id": till.consultation.pk, "quantity": 1},
            {"item_id": till.addon.pk, "quantity": 2},
        ],
    )


def test_checkout_uses_the_included_services_before_charging_them(till: Any) -> None:
    offer = _offer(till)
    reception = till.clinic.actor("reception")
    package = packages.sell_package(
        reception,
        patient_id=till.clinic.patient.pk,
        offer_id=offer.pk,
        location_id=till.clinic.location.pk,
    )
    assert package.invoice.gross_total == D("700.00")
    session = till.signed_session()
    visit = invoicing.issue_visit_invoice(
        reception,
        session_id=session.pk,
        items=[
            ItemRequest(item_id=till.consultation.pk, quantity=D(1)),
            ItemRequest(item_id=till.addon.pk, quantity=D(3)),
        ],
    )
    lines = [(ln.description, ln.quantity, ln.unit_price) for ln in visit.lines.all()]
    # the session, the consultation and two add-ons from the course; the third add-on charged
    assert [ln[2] for ln in lines] == [D(0), D(0), D(0), D("10.00")]
    assert lines[3][1] == 1 and lines[2][1] == 2
    assert visit.gross_total == D("10.00")
    used = {a.item_id: a.quantity_used for a in PackageAllowance.objects.filter(package=package)}
    assert used == {till.consultation.pk: 1, till.addon.pk: 2}
    # nothing left: the next visit pays for them
    again = invoicing.issue_visit_invoice(
        reception,
        session_id=till.signed_session().pk,
        items=[ItemRequest(item_id=till.consultation.pk, quantity=D(1))],
    )
    assert [ln.unit_price for ln in again.lines.all()] == [D(0), D("80.00")]


def test_the_api_shows_paid_used_and_left_per_service(clinic: Any, till: Any) -> None:
    admin, desk = clinic.api("admin"), clinic.api("reception")
    created = admin.post(
        "packages",
        {
            "name": "Course with add-ons",
            "protocol_id": till.protocol.pk,
            "sessions": 4,
            "price": "500.00",
            "exemption_reason": "medical care",
            "components": [{"item_id": till.addon.pk, "quantity": 2}],
        },
    )
    assert created.status_code == 201, created.content
    assert created.json()["components"] == [
        {"item_id": till.addon.pk, "name": till.addon.name, "quantity": 2}
    ]
    sold = desk.post(
        f"patients/{clinic.patient.pk}/packages",
        {"offer_id": created.json()["id"], "location_id": clinic.location.pk},
    ).json()
    assert sold["services"] == [
        {"item_id": till.addon.pk, "name": till.addon.name, "paid": 2, "used": 0, "left": 2}
    ]
    session = till.signed_session()
    desk.post(
        "invoices",
        {
            "kind": "visit",
            "session_id": session.pk,
            "items": [{"item_id": till.addon.pk, "quantity": "1"}],
        },
    )
    listed = desk.get(f"patients/{clinic.patient.pk}/packages").json()[0]
    assert listed["sessions_used"] == 1 and listed["sessions_left"] == 3
    assert listed["services"][0]["used"] == 1 and listed["services"][0]["left"] == 1
    # a session item or another organization's item is not an included service
    bad = admin.post(
        "packages",
        {
            "name": "Bad",
            "protocol_id": till.protocol.pk,
            "sessions": 4,
            "price": "500.00",
            "exemption_reason": "medical care",
            "components": [{"item_id": till.session_item.pk, "quantity": 1}],
        },
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "components[0].item_id"


def test_a_cancelled_set_refunds_by_list_price_weight(till: Any) -> None:
    offer = _offer(till)
    reception = till.clinic.actor("reception")
    package = packages.sell_package(
        reception,
        patient_id=till.clinic.patient.pk,
        offer_id=offer.pk,
        location_id=till.clinic.location.pk,
    )
    session = till.signed_session()
    invoicing.issue_visit_invoice(
        reception,
        session_id=session.pk,
        items=[ItemRequest(item_id=till.consultation.pk, quantity=D(1))],
    )
    cancelled = packages.cancel_package(
        till.clinic.actor("admin"), till.clinic.patient.pk, package.pk, reason="moving"
    )
    # worth at list prices: 6 × 120 + 80 + 2 × 10 = 820; used 120 + 80 = 200;
    # 700 × 620 / 820 = 529.27, less the 30 fee
    assert cancelled.credit_note.gross_total == D("499.27")


def test_bad_components_change_nothing(till: Any, other_clinic: Any) -> None:
    admin = till.clinic.actor("admin")
    with pytest.raises(Invalid):
        packages.create_offer(
            admin,
            name="x",
            protocol_id=till.protocol.pk,
            sessions=2,
            price="1",
            exemption_reason="m",
            components=[{"item_id": till.addon.pk, "quantity": 0}],
        )
    with pytest.raises(NotFound):
        packages.create_offer(
            admin,
            name="x",
            protocol_id=till.protocol.pk,
            sessions=2,
            price="1",
            exemption_reason="m",
            components=[{"item_id": 10**9, "quantity": 1}],
        )
    assert PackageOffer.objects.count() == 1


def test_admin_creates_a_set_and_the_plan_page_shows_paid_used_left(
    till: Any, django_assert_max_num_queries: Any
) -> None:
    from django.test import Client

    from mesocare.assessments.services import record_assessment
    from mesocare.catalog.models import Protocol
    from mesocare.plans import services as plans

    clinic = till.clinic
    protocol = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    admin = Client()
    admin.force_login(clinic.user("admin"))
    form = {
        "name": "Pain course with a consultation",
        "protocol": protocol.pk,
        "sessions": "4",
        "price": "400.00",
        "currency": "EUR",
        "validity_days": "365",
        "max_instalments": "1",
        "tax_category": "E",
        "tax_rate": "0",
        "exemption_reason": "medical care",
        f"include_{till.consultation.pk}": "1",
    }
    assert admin.post("/till/packages/new", form).status_code == 302
    offer = PackageOffer.objects.get(name="Pain course with a consultation")
    assert [(c.item_id, c.quantity) for c in offer.components.all()] == [(till.consultation.pk, 1)]
    assert "+ 1 × First consultation" in admin.get("/till/prices").content.decode()
    packages.sell_package(
        clinic.actor("reception"),
        patient_id=clinic.patient.pk,
        offer_id=offer.pk,
        location_id=clinic.location.pk,
    )
    practitioner = clinic.actor("practitioner")
    baseline = record_assessment(
        practitioner, clinic.patient, scale_id="vas-pain", items={"score": 8}
    )
    plan = plans.create_plan(practitioner, clinic.patient, protocol=protocol, baseline=baseline)
    with django_assert_max_num_queries(60):
        page = admin.get(f"/plans/{plan.pk}").content.decode()
    assert "Prepaid course" in page and "Pain course with a consultation" in page
    assert "First consultation" in page
    assert f"/patients/{clinic.patient.pk}/account/courses/" in page  # the admin may cancel
    # a practitioner does not read the till (billing.view): the plan page shows no course
    doctor = Client()
    doctor.force_login(clinic.user("practitioner"))
    doctor_page = doctor.get(f"/plans/{plan.pk}")
    assert doctor_page.status_code == 200 and "Prepaid course" not in doctor_page.content.decode()
