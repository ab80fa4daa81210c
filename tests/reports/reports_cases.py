"""The worked examples of the business report tests, shared by the report and page tests
(registered by conftest.py as the module `reports_cases`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from mesocare.billing.choices import DepositStatus
from mesocare.billing.models import CancellationPolicy, Deposit
from mesocare.catalog.models import Product
from mesocare.charting.models import CocktailComponent, InjectionRecord
from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.inventory.models import ProductLot
from mesocare.scheduling.models import Appointment, Block

ROME = ZoneInfo("Europe/Rome")


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ROME)  # type: ignore[misc]


def november(till: Any, make: Any) -> dict[str, Appointment]:
    """Seven appointments in November (local), two outside it; policy v1 (24 h) until 14 Nov
    noon, then v2 (48 h)."""
    v1 = CancellationPolicy.objects.get(organization=till.clinic.org)
    CancellationPolicy.objects.filter(pk=v1.pk).update(valid_from=at(2026, 1, 1, 0, 0))
    v2 = CancellationPolicy.objects.create(
        organization=till.clinic.org,
        version=v1.version + 1,
        late_cancel_hours=48,
        valid_from=at(2026, 11, 14, 12, 0),
        created_by=till.clinic.user("admin"),
    )

    def appt(start: dt.datetime, status: str, changed: dt.datetime | None = None) -> Appointment:
        a = make.appointment(start=start)
        Appointment.objects.filter(pk=a.pk).update(status=status, status_changed_at=changed)
        return a

    def forfeit(a: Appointment, policy: CancellationPolicy) -> None:
        Deposit.objects.create(
            organization=till.clinic.org, appointment=a, patient=a.patient,
            item=till.session_item, amount=Decimal("30.00"), currency="EUR",
            status=DepositStatus.FORFEITED, policy=policy,
        )  # fmt: skip

    made = {
        "completed": appt(at(2026, 11, 10, 10, 0), "completed"),
        "no_show": appt(at(2026, 11, 12, 10, 0), "no_show"),
        # 14 h before under v1 (24 h): late, deposit kept.
        "late_v1": appt(at(2026, 11, 14, 10, 0), "cancelled", at(2026, 11, 13, 20, 0)),
        # 49 h before under v1: on time.
        "on_time": appt(at(2026, 11, 16, 10, 0), "cancelled", at(2026, 11, 14, 9, 0)),
        # 26 h before under v2 (48 h): late.
        "late_v2": appt(at(2026, 11, 20, 10, 0), "cancelled", at(2026, 11, 19, 8, 0)),
        "last_evening": appt(at(2026, 11, 30, 23, 30), "booked"),  # 22:30 UTC
        "first_night": appt(at(2026, 11, 1, 0, 30), "booked"),  # 31 Oct 23:30 UTC
        "december": appt(at(2026, 12, 1, 0, 30), "booked"),  # 30 Nov 23:30 UTC: not ours
        "october": appt(at(2026, 10, 31, 23, 30), "no_show"),  # not ours
    }
    forfeit(made["no_show"], v1)
    forfeit(made["late_v1"], v1)
    forfeit(made["october"], v1)
    assert v2.version == 2
    return made


def _completed(make: Any, patient: Any, due: dt.date, status: str = "completed") -> Any:
    return make.plan(
        patient, status=status, completed_on=due - dt.timedelta(days=180), maintenance_due_on=due
    )


def _appt(make: Any, patient: Any, start: dt.datetime, status: str) -> None:
    a = make.appointment(patient=patient, start=start)
    Appointment.objects.filter(pk=a.pk).update(status=status)


def lapsed_cohort(make: Any) -> dict[str, Any]:
    anna = make.patient(given_name="Anna", family_name="Lapsed")
    bruno = make.patient(given_name="Bruno", family_name="Rebooked", email="b@example.org")
    carla = make.patient(given_name="Carla", family_name="Missed", email="c@example.org")
    dora = make.patient(given_name="Dora", family_name="Silent", preferred_channel="none")
    plans = {
        "anna": _completed(make, anna, dt.date(2026, 11, 1)),
        "bruno": _completed(make, bruno, dt.date(2026, 11, 15)),
        "carla": _completed(make, carla, dt.date(2026, 11, 20)),
        "future": _completed(make, anna, dt.date(2026, 12, 10)),
        "active": _completed(make, bruno, dt.date(2026, 10, 1), status="active"),
        "dora": _completed(make, dora, dt.date(2026, 11, 30)),
    }
    _appt(make, bruno, dt.datetime(2026, 12, 20, 10, 0, tzinfo=ROME), "booked")
    _appt(make, carla, dt.datetime(2026, 11, 25, 10, 0, tzinfo=ROME), "no_show")
    return plans


def week_of_hours(clinic: Any, make: Any) -> None:
    """Mon–Fri 09:00–18:00 at the clinic's location, for the practitioner and the room; the
    practitioner off on Wednesday 2 December from 13:00."""
    practitioner = clinic.members["practitioner"]
    for weekday in range(5):
        WorkingHours.objects.create(
            organization=clinic.org, membership=practitioner, location=clinic.location,
            weekday=weekday, opens=dt.time(9), closes=dt.time(18),
        )  # fmt: skip
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(9), closes=dt.time(18)
        )
    Block.objects.create(
        organization=clinic.org, practitioner=practitioner,
        start=dt.datetime(2026, 12, 2, 13, 0, tzinfo=ROME),
        end=dt.datetime(2026, 12, 2, 20, 0, tzinfo=ROME), created_by=clinic.user("admin"),
    )  # fmt: skip

    def appt(start: dt.datetime, minutes: int, status: str) -> None:
        a = make.appointment(start=start, minutes=minutes)
        Appointment.objects.filter(pk=a.pk).update(status=status)

    appt(dt.datetime(2026, 12, 1, 10, 0, tzinfo=ROME), 60, "booked")
    appt(dt.datetime(2026, 12, 3, 10, 0, tzinfo=ROME), 90, "no_show")  # the slot was held
    appt(dt.datetime(2026, 12, 4, 10, 0, tzinfo=ROME), 60, "cancelled")  # freed
    appt(dt.datetime(2026, 12, 6, 23, 30, tzinfo=ROME), 45, "completed")  # Sunday night
    appt(dt.datetime(2026, 12, 14, 10, 0, tzinfo=ROME), 60, "booked")  # after the period


def _lot(clinic: Any, code: str, number: str, unit_cost: str | None) -> ProductLot:
    return ProductLot.objects.create(
        organization=clinic.org,
        product=Product.objects.get(organization__isnull=True, code=code),
        location=clinic.location,
        lot_number=number,
        expiry=dt.date(2028, 1, 1),
        received_ml=Decimal(100),
        unit_cost=None if unit_cost is None else Decimal(unit_cost),
    )


def _charted(make: Any, plan: Any, signed_at: dt.datetime, parts: list[tuple[Any, str]]) -> None:
    session = make.session(plan=plan)
    injection = InjectionRecord.objects.create(
        organization=make.clinic.org, session=session, n=1, zone_id="abdomen_ul",
        technique="nappage", depth_mm=Decimal(2), points=10,
        total_volume_ml=sum(Decimal(v) for _, v in parts),
        created_by=make.clinic.user("practitioner"),
    )  # fmt: skip
    for lot, volume in parts:
        CocktailComponent.objects.create(
            organization=make.clinic.org, injection=injection, lot=lot, volume_ml=Decimal(volume)
        )
    session.signed_at = signed_at
    session.signed_by = make.clinic.user("practitioner")
    session.save(update_fields=["signed_at", "signed_by"])


def charted_november(make: Any) -> tuple[ProductLot, ProductLot]:
    """Three signed sessions: 10 Nov (caffeine 4 mL at 2.50 + DCA 1.5 mL at 12.00 = 28.00),
    30 Nov 23:30 local (caffeine 2 mL + lidocaine 1 mL without a cost = 5.00) and 1 Dec 00:30
    local (December's). Returns the caffeine and lidocaine lots."""
    caffeine = _lot(make.clinic, "caffeine_20", "CAF-1", "2.50")
    dca = _lot(make.clinic, "deoxycholic_acid_10", "DCA-1", "12.00")
    lidocaine = _lot(make.clinic, "lidocaine_1pct", "LIDO-1", None)  # no cost entered
    plan = make.plan()
    _charted(
        make, plan, dt.datetime(2026, 11, 10, 10, 0, tzinfo=ROME), [(caffeine, "4"), (dca, "1.5")]
    )
    # 23:30 on the last evening of November (22:30 UTC) is November's.
    _charted(
        make,
        plan,
        dt.datetime(2026, 11, 30, 23, 30, tzinfo=ROME),
        [(caffeine, "2"), (lidocaine, "1")],
    )
    # 00:30 on 1 December (still 30 November in UTC) is December's.
    _charted(make, plan, dt.datetime(2026, 12, 1, 0, 30, tzinfo=ROME), [(caffeine, "10")])
    return caffeine, lidocaine
