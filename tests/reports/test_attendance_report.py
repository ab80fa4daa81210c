"""No-shows and late cancellations: a worked month in Milan, with a policy change in the
middle, forfeited deposits and appointments at the edges of the local month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from reports_cases import november

from mesocare.reports.attendance import attendance, totals
from mesocare.reports.common import Filters

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
NOVEMBER = Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def test_rates_and_forfeits_of_a_month_in_the_local_zone(till: Any, make: Any) -> None:
    november(till, make)
    report = attendance(till.clinic.actor("auditor"), NOVEMBER)
    [row] = report["practitioner"]
    assert row.key == "practitioner alpha"
    assert (row.appointments, row.no_shows, row.late_cancellations) == (7, 1, 2)
    assert row.no_show_rate == pytest.approx(1 / 7)
    assert row.late_cancel_rate == pytest.approx(2 / 7)
    assert row.forfeited_count == 2
    assert row.forfeited == {"EUR": Decimal("60.00")}
    assert row.policy_versions == {1}
    assert [m.key for m in report["month"]] == ["2026-11"]
    total = totals(report)
    assert (total.appointments, total.forfeited_text) == (7, "60.00 EUR")


def test_a_practitioner_or_location_of_another_clinic_is_refused(
    till: Any, make: Any, other_clinic: Any
) -> None:
    from mesocare.errors import Invalid

    november(till, make)
    actor = till.clinic.actor("admin")
    with pytest.raises(Invalid) as exc:
        attendance(actor, Filters(NOVEMBER.date_from, NOVEMBER.date_to, other_clinic.location.pk))
    assert exc.value.errors[0]["field"] == "location"
    stranger = other_clinic.members["practitioner"].pk
    with pytest.raises(Invalid):
        attendance(actor, Filters(NOVEMBER.date_from, NOVEMBER.date_to, practitioner_id=stranger))
    assert attendance(other_clinic.actor("admin"), NOVEMBER)["practitioner"] == []


def test_the_practitioner_filter_keeps_only_their_appointments(till: Any, make: Any) -> None:
    november(till, make)
    admin = till.clinic.members["admin"].pk
    only_admin = Filters(NOVEMBER.date_from, NOVEMBER.date_to, practitioner_id=admin)
    report = attendance(till.clinic.actor("admin"), only_admin)
    assert report["practitioner"] == []
