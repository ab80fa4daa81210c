"""Before confirming online, the patient sees the deposit each course session asks for (the
same amount booking then asks) and the clinic's cancellation policy; a consultation asks none."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from mesocare.billing.models import Deposit
from mesocare.billing.services.packages import create_offer, sell_package
from mesocare.billing.services.prices import create_price_item, set_cancellation_policy
from mesocare.booking.services.slots import find_slots, place_hold

from .test_course_online import course, signed_in  # noqa: F401 — the fixture and helper

pytestmark = pytest.mark.django_db
EXEMPT = "Medical care, Art. 132(1)(c) of Directive 2006/112/EC"


@pytest.fixture
def priced(course: Any) -> Any:  # noqa: F811 — the imported fixture
    admin = course.actor("admin")
    create_price_item(
        admin,
        code="session",
        name="Session",
        kind="session",
        amount="120.00",
        protocol_id=course.plan.protocol_id,
        deposit_kind="amount",
        deposit_value="20.00",
        exemption_reason=EXEMPT,
    )
    set_cancellation_policy(admin, late_cancel_hours=48)
    return course


def _course_page(clinic: Any) -> str:
    page = signed_in(clinic.patient).get(
        reverse("booking:course", args=[clinic.org.slug]), {"window": "any"}
    )
    assert page.status_code == 200
    return page.content.decode()


def test_the_course_page_shows_the_deposit_and_policy_that_booking_then_asks(priced: Any) -> None:
    html = _course_page(priced)
    assert "Deposit: 60.00 EUR (20.00 EUR per session)." in html
    assert "If you cancel less than 48 hours before a session, or do not come" in html
    proposal = re.search(r'name="proposal" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    done = signed_in(priced.patient).post(
        reverse("booking:course-book", args=[priced.org.slug]), {"proposal": proposal}
    )
    assert "Deposit: 60.00 EUR" in done.content.decode()
    asked = Deposit.objects.filter(appointment__plan=priced.plan).values_list("amount", flat=True)
    assert sorted(asked) == [Decimal("20.00")] * 3


def test_a_paid_package_means_no_deposit_is_shown(priced: Any) -> None:
    admin = priced.actor("admin")
    offer = create_offer(
        admin,
        name="Course of 6",
        protocol_id=priced.plan.protocol_id,
        sessions=6,
        price="600",
        exemption_reason=EXEMPT,
    )
    sell_package(
        admin, patient_id=priced.patient.pk, offer_id=offer.pk, location_id=priced.location.pk
    )
    html = _course_page(priced)
    assert "Deposit:" not in html
    assert "Please cancel at least 48 hours before if you cannot come." in html


def test_the_consultation_form_says_no_deposit_and_shows_the_policy(priced: Any) -> None:
    slots = find_slots(priced.org.pk, priced.service, priced.location, priced.monday, priced.monday)
    _hold, raw = place_hold(
        priced.org.pk,
        priced.service,
        priced.location,
        slots[0].practitioner_id,
        slots[0].room_id,
        slots[0].start,
    )
    page = signed_in(priced.patient).get(reverse("booking:details", args=[priced.org.slug, raw]))
    html = page.content.decode()
    assert "A consultation asks no deposit." in html
    assert "Please cancel at least 48 hours before if you cannot come." in html
