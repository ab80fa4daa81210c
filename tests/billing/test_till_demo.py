"""The demo clinic's till: a price list, package offers, a course sold as a package to a
patient whose course is under way, invoices, payments and today's takings."""

from __future__ import annotations

import pytest
from django.utils import timezone

from mesocare.billing.models import Invoice, PackageOffer, Payment, PriceItem
from mesocare.billing.services import reports
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.demo.data import load_demo
from mesocare.demo.till import load_till

pytestmark = pytest.mark.django_db


def test_the_demo_clinic_has_a_till_to_look_at() -> None:
    result = load_demo()
    org = result.organization
    assert PriceItem.objects.for_org(org).filter(kind="session").exists()
    assert PackageOffer.objects.for_org(org).exists()
    sold = Invoice.objects.for_org(org).filter(kind="package").get()
    package = sold.source_package
    assert package.status == "active" and package.sessions_left > 0
    assert Invoice.objects.for_org(org).filter(kind="visit").count() >= 3
    assert Payment.objects.for_org(org).count() >= 3
    desk = Actor(Membership.objects.get(organization=org, user__email__startswith="desk@"))
    location = package.invoice.location
    day = timezone.localdate(timezone=location.tz)
    report = reports.takings(desk, day, location_id=location.pk)
    assert report[0].total > 0 and report[0].invoices_issued >= 3
    # Loading again adds nothing.
    before = Invoice.objects.count()
    memberships = {
        m.user.email.split("@")[0]: m for m in Membership.objects.filter(organization=org)
    }
    load_till(memberships, [location])
    assert Invoice.objects.count() == before
