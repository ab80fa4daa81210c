"""Online booking: course slot search beside the staff proposal endpoint, and booking
throughput of 32 concurrent online clients.

Run from the repository root: ``python bench/online_booking.py [--runs 30] [--clients 32]
[--attempts 20]`` (PostgreSQL when ``BENCH_PG`` or the local server is reachable, else SQLite;
a throw-away database either way). The calendar: 20 practitioners working Mon-Fri 09:00-18:00
(Europe/Rome) with a room each, 6 months ahead with ~70 % of their time booked in 30-minute
appointments. A returning patient with a 6-session plan (30 min, gaps 5/7/14 days) asks for the
rest of the course at lunchtime:

1. staff: ``POST /api/v1/plans/{id}/course-proposals`` (bearer token);
2. online: ``GET /book/<slug>/course/?window=lunch`` (signed-in portal patient; the page also
   renders the proposals and signs them).

It prints p50/p95 of both and the ratio of the p95s (target: online within 1.5x of staff).
Then ``--clients`` threads each run ``--attempts`` new-patient bookings (hold a random free
slot of the first weeks, then register, intake, safety check, book), and it prints bookings/s,
the lost races (answered with the next free times) and the number of overlapping active
appointments (must be 0). Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import threading
import time
from decimal import Decimal
from importlib import import_module
from typing import Any

from _harness import p, summary, throwaway_database, timings_ms

PRACTITIONERS = 20
WEEKS = 26
SHARE = 0.7


def setup() -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from mesocare.accounts.models import ApiToken, User
    from mesocare.booking.models import OnlineService
    from mesocare.booking.services.setup import settings_of
    from mesocare.catalog.models import Protocol, ProtocolVersion
    from mesocare.catalog.snapshots import snapshot_protocol
    from mesocare.clinics.models import (
        Location,
        Membership,
        OpeningHours,
        Organization,
        Room,
        WorkingHours,
    )
    from mesocare.patients.models import Patient
    from mesocare.plans.models import PlannedSession, TreatmentPlan
    from mesocare.scheduling.models import Appointment

    tz = ZoneInfo("Europe/Rome")
    org = Organization.objects.create(name="Bench clinic", slug="bench")
    location = Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
    admin = Membership.objects.create(
        user=User.objects.create_user("admin@bench.test", "x" * 16), organization=org, role="admin"
    )
    for weekday in range(5):
        OpeningHours.objects.create(
            location=location, weekday=weekday, opens=dt.time(8), closes=dt.time(19)
        )
    members, rooms = [], []
    for n in range(PRACTITIONERS):
        user = User.objects.create_user(f"p{n}@bench.test", "x" * 16, full_name=f"P {n}")
        member = Membership.objects.create(user=user, organization=org, role="practitioner")
        members.append(member)
        rooms.append(
            Room.objects.create(organization=org, location=location, name=f"R{n}", kind="facial")
        )
        for weekday in range(5):
            WorkingHours.objects.create(
                organization=org,
                membership=member,
                location=location,
                weekday=weekday,
                opens=dt.time(9),
                closes=dt.time(18),
            )
    patients = Patient.objects.bulk_create(
        Patient(
            organization=org,
            given_name="Busy",
            family_name=f"Patient {n}",
            given_norm="busy",
            family_norm=f"patient {n}",
            birth_date=dt.date(1980, 1, 1),
            sex_at_birth="female",
        )
        for n in range(500)
    )
    rng = random.Random(7)
    first = timezone.localdate(timezone=tz) + dt.timedelta(days=1)
    rows = []
    for d in range(WEEKS * 7):
        day = first + dt.timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for member, room in zip(members, rooms, strict=True):
            for slot in range(18):
                if rng.random() >= SHARE:
                    continue
                start = dt.datetime.combine(day, dt.time(9), tzinfo=tz) + dt.timedelta(
                    minutes=30 * slot
                )
                rows.append(
                    Appointment(
                        organization=org,
                        location=location,
                        practitioner=member,
                        room=room,
                        patient=patients[len(rows) % len(patients)],
                        start=start,
                        end=start + dt.timedelta(minutes=30),
                        created_by=admin.user,
                    )
                )
    # Busy patients may not overlap themselves: spread them so that no two rows of one
    # patient meet (500 patients, 20 parallel rows a half-hour).
    Appointment.objects.bulk_create(rows, batch_size=2000)
    returning = Patient.objects.create(
        organization=org,
        given_name="Giulia",
        family_name="Rossi",
        birth_date=dt.date(1985, 3, 3),
        sex_at_birth="female",
        email="giulia@bench.test",
    )
    protocol = Protocol.objects.filter(organization__isnull=True).order_by("id").first()
    assert protocol is not None
    version, _created = ProtocolVersion.objects.get_or_create(
        protocol=protocol,
        version=protocol.version,
        defaults={"snapshot": snapshot_protocol(protocol)},
    )
    plan = TreatmentPlan.objects.create(
        organization=org,
        patient=returning,
        protocol=protocol,
        protocol_version=version,
        sessions_planned=6,
        sessions_by_rule=6,
        interval_min_days=5,
        interval_target_days=7,
        interval_max_days=14,
        response_check_session=2,
        session_duration_min=30,
        room_kind="facial",
        created_by=admin.user,
    )
    for index in range(1, 7):
        PlannedSession.objects.create(organization=org, plan=plan, index=index)
    settings = settings_of(org)
    settings.enabled = True
    settings.save()
    service = OnlineService.objects.create(
        organization=org,
        name="Consultation",
        duration_min=30,
        lead_time_hours=0,
        room_kind="facial",
    )
    _token, raw = ApiToken.issue(admin)
    return {
        "org": org,
        "location": location,
        "plan": plan,
        "returning": returning,
        "service": service,
        "token": raw,
        "first": first,
        "appointments": len(rows),
    }


def portal_client(patient: Any) -> Any:
    from django.conf import settings as django_settings
    from django.http import HttpRequest
    from django.test import Client

    from mesocare.portal.accounts import ensure_account
    from mesocare.portal.session import sign_in

    engine = import_module(django_settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore()
    sign_in(request, ensure_account(patient), method="magic_link")
    request.session.save()
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


def search(data: dict[str, Any], runs: int) -> None:
    import json

    from django.test import Client

    staff = Client()
    url = f"/api/v1/plans/{data['plan'].pk}/course-proposals"
    body = json.dumps(
        {
            "location": data["location"].pk,
            "earliest": (data["first"] + dt.timedelta(days=1)).isoformat(),
            "window": {"start": "12:00", "end": "14:30"},
        }
    )

    def staff_call(_i: int) -> None:
        response = staff.post(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {data['token']}"
        )
        assert response.status_code == 200, response.content[:300]

    online = portal_client(data["returning"])
    page = f"/book/{data['org'].slug}/course/"

    def online_call(_i: int) -> None:
        response = online.get(page, {"window": "lunch"})
        assert response.status_code == 200 and b"Best fit" in response.content, response.status_code

    staff_ms = timings_ms(staff_call, runs, warmup=3)
    online_ms = timings_ms(online_call, runs, warmup=3)
    print(summary("staff course-proposals (API)", staff_ms))
    print(summary("online course page (lunchtime)", online_ms))
    print(f"online p95 / staff p95: {p(online_ms, 95) / p(staff_ms, 95):.2f} (target <= 1.5)")


def throughput(data: dict[str, Any], clients: int, attempts: int, vendor: str) -> None:
    from django.db import connection

    from mesocare.booking.choices import IntakeOutcome
    from mesocare.booking.services.intake import IntakeAnswers, Visitor, book_consultation
    from mesocare.booking.services.slots import SlotTaken, find_slots, place_hold
    from mesocare.errors import Conflict

    org, service, location = data["org"], data["service"], data["location"]
    days = [data["first"] + dt.timedelta(days=d) for d in range(7, 21)]
    offered = [s for d in days for s in find_slots(org.pk, service, location, d, d)]
    print(f"free 30-minute slots offered in two weeks: {len(offered)}")
    booked, lost, errors = [0] * clients, [0] * clients, []
    barrier = threading.Barrier(clients + 1)

    def client(n: int) -> None:
        rng = random.Random(n)
        try:
            connection.ensure_connection()
            barrier.wait()
            for i in range(attempts):
                slot = rng.choice(offered)
                try:
                    _hold, raw = place_hold(
                        org.pk, service, location, slot.practitioner_id, slot.room_id, slot.start
                    )
                except SlotTaken:
                    lost[n] += 1
                    continue
                outcome = book_consultation(
                    org,
                    raw,
                    Visitor(
                        "New",
                        f"Patient {n}-{i}",
                        dt.date(1990, 1, 1),
                        "male",
                        f"n{n}-{i}@bench.test",
                    ),
                    IntakeAnswers(weight_kg=Decimal(70)),
                )
                if outcome.kind == IntakeOutcome.BOOKED:
                    booked[n] += 1
                else:
                    lost[n] += 1
        except Conflict:
            lost[n] += 1
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    print(
        f"{clients} clients x {attempts} attempts on {vendor}: {sum(booked)} booked, "
        f"{sum(lost)} lost races (shown the next free times), {len(errors)} errors, "
        f"{sum(booked) / seconds:.1f} bookings/s, "
        f"{(sum(booked) + sum(lost)) / seconds:.1f} attempts/s"
    )
    if errors:
        print("first error:", errors[0])
    print(f"overlapping active appointments: {overlaps()}")


def overlaps() -> int:
    from mesocare.scheduling.choices import ACTIVE_STATUSES
    from mesocare.scheduling.models import Appointment

    rows = list(
        Appointment.objects.filter(status__in=ACTIVE_STATUSES).values_list(
            "practitioner_id", "room_id", "patient_id", "start", "end"
        )
    )
    count = 0
    for key in (0, 1, 2):
        by: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
        for row in rows:
            by.setdefault(row[key], []).append((row[3], row[4]))
        for spans in by.values():
            spans.sort()
            count += sum(1 for a, b in zip(spans, spans[1:], strict=False) if b[0] < a[1])
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--attempts", type=int, default=20)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even if PostgreSQL is up")
    args = parser.parse_args()
    with throwaway_database("mc_bench_online", use_pg=False if args.sqlite else None) as vendor:
        from django.conf import settings

        settings.MESOCARE_ONLINE_BOOKING_LIMITS = {
            scope: (10**9, 60)
            for scope in ("search_ip", "search_identity", "hold_ip", "book_ip", "book_identity")
        }
        settings.ALLOWED_HOSTS = ["*"]
        started = time.perf_counter()
        data = setup()
        print(
            f"{vendor}: {PRACTITIONERS} practitioners, {data['appointments']} appointments over "
            f"{WEEKS} weeks (~{SHARE:.0%} booked), set up in {time.perf_counter() - started:.0f} s"
        )
        search(data, args.runs)
        throughput(data, args.clients, args.attempts, vendor)


if __name__ == "__main__":
    sys.exit(main())
