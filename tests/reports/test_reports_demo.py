"""The demo clinic has something in every business report, with their default periods."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from mesocare.billing.models import Deposit
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.demo.business import load_business
from mesocare.demo.data import load_demo
from mesocare.reports import attendance, lapsed, packages, product_cost, utilisation
from mesocare.reports.common import Filters

pytestmark = pytest.mark.django_db


def test_every_report_of_the_demo_clinic_has_rows() -> None:
    org = load_demo().organization
    admin = Actor(Membership.objects.get(organization=org, user__email__startswith="admin@"))
    # The demo's locations span New York to Milan: up to tomorrow in UTC holds today in each.
    today = timezone.localdate() + dt.timedelta(days=1)
    last_month = Filters(today - dt.timedelta(days=31), today)
    total = attendance.totals(attendance.attendance(admin, last_month))
    assert total.no_shows >= 1 and total.late_cancellations >= 1
    assert total.forfeited_count >= 2 and total.policy_versions == {1}
    [offer, *_] = packages.package_report(admin, last_month)["offer"]
    assert offer.sold >= 1 and offer.deferred > 0
    costs = product_cost.product_cost(admin, last_month)["protocol"]
    assert costs and all(r.cost > 0 for r in costs)
    year = Filters(today - dt.timedelta(days=365), today)
    assert lapsed.lapsed_patients(admin, year)
    usage = utilisation.utilisation(admin, Filters(today - dt.timedelta(days=14), today))
    assert any(u.booked_minutes and u.available_minutes for u in usage["practitioners"])
    assert any(u.booked_minutes and u.available_minutes for u in usage["rooms"])
    # Loading again adds nothing.
    deposits = Deposit.objects.count()
    memberships = {
        m.user.email.split("@")[0]: m for m in Membership.objects.filter(organization=org)
    }
    locations = list(Location.objects.for_org(org).order_by("id"))
    assert load_business(memberships, locations).deposits_forfeited == 0
    assert Deposit.objects.count() == deposits
    assert sum(d.amount for d in Deposit.objects.filter(status="forfeited")) > Decimal(0)
