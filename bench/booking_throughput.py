"""Booking throughput on PostgreSQL: 32 concurrent clients against the exclusion constraints.

Run from the repository root:
``python bench/booking_throughput.py [--clients 32] [--attempts 150] [--rounds 3]``
(``BENCH_PG`` names the server's admin URL, ``BENCH_DB_PREFIX`` the database's prefix). It
creates a throw-away database, migrates it, and drops it at the end. Phases, each with
``--clients`` threads on their own connections:

1. raw INSERT: one row per transaction into ``bench_raw_appointment``, a table of the same
   columns as ``scheduling_appointment`` without its constraints or indexes;
2. constrained booking: what the booking service sends to the database for one appointment:
   in one transaction the single statement of ``insert_if_free`` (INSERT ... SELECT ... WHERE
   inside working and opening hours and clear of blocks, ON CONFLICT DO NOTHING with the
   exclusion constraints as arbiters; prepared on the server at first use). An overlap, even
   with a booking another client commits at that moment, inserts nothing and counts as a
   conflict. This is the database's price of the guarantee, and the ratio to (1) is the
   target (>= 0.5);
3. full service: ``appointments.book_appointment`` (plus permission checks, an audit row and
   the signals other domains hang their outbox messages on, here the reminders).

Threads share one interpreter, so (3) is bound by Python CPU (the GIL) long before
the database; run several processes (gunicorn workers) to scale them. Clients draw random
30-minute slots of 16 practitioners and 16 rooms, so about a quarter of the attempts collide
(a conflict is a correct answer and is counted apart). Phases (1) and (2) alternate for
``--rounds`` rounds, each on an emptied table, and the median ratio is printed, in attempts/s
(each attempt is one whole booking transaction, answered either way) and in bookings/s; then
the number of overlapping active pairs (must be 0). Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import threading
import time
from collections.abc import Callable
from typing import Any

from _harness import throwaway_database

# Database names start with this (BENCH_DB_PREFIX), so that parallel runs keep apart.
DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "mc_bench")
STAFF = 16
DAYS = 60
SLOTS_PER_DAY = 16  # 30-minute slots, 09:00-17:00 local
OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.id < b.id
 AND a.status IN ('booked', 'checked_in', 'completed')
 AND b.status IN ('booked', 'checked_in', 'completed')
 AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
 AND (a.practitioner_id = b.practitioner_id OR a.room_id = b.room_id
      OR a.patient_id = b.patient_id)
"""


def setup() -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from mesocare.accounts.models import User
    from mesocare.clinics.actor import Actor
    from mesocare.clinics.models import Location, Membership, Organization, Room, WorkingHours
    from mesocare.patients.models import Patient

    org = Organization.objects.create(name="Bench", slug="bench")
    location = Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
    desk = Membership.objects.create(
        user=User.objects.create_user("desk@bench.test", "x" * 16), organization=org, role="admin"
    )
    practitioners, rooms = [], []
    for n in range(STAFF):
        user = User.objects.create_user(f"p{n}@bench.test", "x" * 16, full_name=f"P {n}")
        member = Membership.objects.create(user=user, organization=org, role="practitioner")
        practitioners.append(member)
        for weekday in range(7):
            WorkingHours.objects.create(
                organization=org,
                membership=member,
                location=location,
                weekday=weekday,
                opens=dt.time(8),
                closes=dt.time(20),
            )
        rooms.append(
            Room.objects.create(organization=org, location=location, name=f"R{n}", kind="facial")
        )
    patients = Patient.objects.bulk_create(
        Patient(
            organization=org,
            given_name="Bench",
            family_name=f"Patient {n}",
            given_norm="bench",
            family_norm=f"patient {n}",
            birth_date=dt.date(1980, 1, 1),
            sex_at_birth="male",
            # an address, so that the outbox writes the confirmation and the reminder
            email=f"patient{n}@bench.test",
            preferred_channel="email",
        )
        for n in range(2000)
    )
    tz = ZoneInfo("Europe/Rome")
    first = dt.date.today() + dt.timedelta(days=7)
    slots = [
        dt.datetime.combine(first + dt.timedelta(days=d), dt.time(9), tzinfo=tz)
        + dt.timedelta(minutes=30 * s)
        for d in range(DAYS)
        for s in range(SLOTS_PER_DAY)
    ]
    return {
        "org": org,
        "location": location,
        "actor": Actor(membership=desk),
        "practitioners": practitioners,
        "rooms": rooms,
        "patients": patients,
        "slots": slots,
    }


def raw_insert_attempt(world: dict[str, Any]) -> Callable[[random.Random, int], bool]:
    """The reference: one row per transaction into ``bench_raw_appointment`` (created here), a
    table of the same columns as ``scheduling_appointment`` without constraints or indexes."""
    from django.db import connection, transaction

    org, location = world["org"], world["location"]
    practitioners, rooms = world["practitioners"], world["rooms"]
    patients, slots = world["patients"], world["slots"]
    user_id = world["actor"].user.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_raw_appointment "
            "(LIKE scheduling_appointment INCLUDING DEFAULTS)"
        )
        cursor.execute("CREATE SEQUENCE IF NOT EXISTS bench_raw_id")

    def raw_insert(rng: random.Random, _i: int) -> bool:
        practitioner, room, patient, start = (
            rng.choice(practitioners),
            rng.choice(rooms),
            rng.choice(patients),
            rng.choice(slots),
        )
        now = dt.datetime.now(dt.UTC)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_raw_appointment (id, organization_id, location_id, "
                'practitioner_id, room_id, patient_id, start, "end", status, notes, '
                "cancel_reason, created_by_id, created_at, updated_at) VALUES "
                "(nextval('bench_raw_id'), %s, %s, %s, %s, %s, %s, %s, 'booked', '', '', "
                "%s, %s, %s)",
                [
                    org.pk,
                    location.pk,
                    practitioner.pk,
                    room.pk,
                    patient.pk,
                    start,
                    start + dt.timedelta(minutes=30),
                    user_id,
                    now,
                    now,
                ],
            )
        return True

    return raw_insert


def run_clients(
    clients: int, attempts: int, attempt: Callable[[random.Random, int], bool]
) -> tuple[float, int, int]:
    """Wall seconds, successes and refusals of ``clients`` threads × ``attempts`` calls."""
    from django.db import connection

    barrier = threading.Barrier(clients + 1)
    ok, refused, errors = [0] * clients, [0] * clients, []

    def client(n: int) -> None:
        rng = random.Random(n)
        try:
            connection.ensure_connection()  # connecting is not booking: done before the clock
            barrier.wait()
            for i in range(attempts):
                if attempt(rng, n * attempts + i):
                    ok[n] += 1
                else:
                    refused[n] += 1
        except BaseException as exc:  # noqa: BLE001 - reported after the run
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed, sum(ok), sum(refused)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--attempts", type=int, default=150, help="per client and phase")
    parser.add_argument("--rounds", type=int, default=3, help="raw/constrained pairs (median)")
    args = parser.parse_args()
    with throwaway_database(f"{DB_PREFIX}_booking_{os.getpid()}", use_pg=True):
        from django.db import IntegrityError, connection, transaction

        from mesocare.errors import Conflict
        from mesocare.scheduling.models import Appointment
        from mesocare.scheduling.services import appointments
        from mesocare.scheduling.services.insert_if_free import insert_if_free

        world = setup()
        org, location, actor = world["org"], world["location"], world["actor"]
        practitioners, rooms = world["practitioners"], world["rooms"]
        patients, slots = world["patients"], world["slots"]
        user_id = actor.user.pk
        raw_insert = raw_insert_attempt(world)

        def pick(rng: random.Random) -> tuple[Any, Any, Any, dt.datetime]:
            return (
                rng.choice(practitioners),
                rng.choice(rooms),
                rng.choice(patients),
                rng.choice(slots),
            )

        def constrained(rng: random.Random, _i: int) -> bool:
            practitioner, room, patient, start = pick(rng)
            appointment = Appointment(  # ids, as raw INSERT gets them; the location for its tz
                organization_id=org.pk,
                location=location,
                practitioner_id=practitioner.pk,
                room_id=room.pk,
                patient_id=patient.pk,
                start=start,
                end=start + dt.timedelta(minutes=30),
                created_by_id=user_id,
            )
            try:
                with transaction.atomic():
                    return insert_if_free(appointment)
            except IntegrityError:
                return False

        def full_service(rng: random.Random, _i: int) -> bool:
            practitioner, room, patient, start = pick(rng)
            try:
                appointments.book_appointment(
                    actor,
                    patient=patient,
                    practitioner=practitioner,
                    room=room,
                    start=start,
                    duration_min=30,
                    channel="bench",
                )
            except Conflict:
                return False
            return True

        print(
            f"PostgreSQL, {args.clients} clients x {args.attempts} attempts per phase; "
            f"{STAFF} practitioners, {STAFF} rooms, {len(slots)} slots each"
        )

        def count_overlaps() -> int:
            with connection.cursor() as cursor:
                cursor.execute(OVERLAPS_SQL)
                return int(cursor.fetchone()[0])

        def phase(name: str, fn: Callable[[random.Random, int], bool]) -> tuple[float, float]:
            """Attempts/s and bookings/s of one phase, printed."""
            with connection.cursor() as cursor:  # each phase: an empty calendar, no dead rows
                cursor.execute("TRUNCATE scheduling_appointment CASCADE")
            elapsed, ok, refused = run_clients(args.clients, args.attempts, fn)
            overlaps = "" if fn is raw_insert else f", overlapping pairs {count_overlaps()}"
            print(
                f"  {name:34s} {(ok + refused) / elapsed:7.0f} attempts/s "
                f"{ok / elapsed:7.0f} bookings/s  ({ok} booked, {refused} conflicts, "
                f"{elapsed:.2f} s{overlaps})"
            )
            return (ok + refused) / elapsed, ok / elapsed

        attempts_ratio, booked_ratio, raw_rates = [], [], []
        for _round in range(args.rounds):  # alternating phases: both see the same machine
            raw, _ = phase("raw INSERT (no constraints)", raw_insert)
            tried, booked = phase("constrained booking (service SQL)", constrained)
            raw_rates.append(raw)
            attempts_ratio.append(tried / raw)
            booked_ratio.append(booked / raw)
        service, _ = phase("full booking service", full_service)
        print(
            "  ratio constrained booking / raw INSERT, median of "
            f"{args.rounds} rounds: {statistics.median(attempts_ratio):.2f} in attempts/s, "
            f"{statistics.median(booked_ratio):.2f} in bookings/s  (target >= 0.5; rounds: "
            + ", ".join(f"{r:.2f}" for r in booked_ratio)
            + " in bookings/s)"
        )
        print(
            f"  ratio full service / raw INSERT: {service / statistics.median(raw_rates):.2f}"
            "  (Python-bound, see the docstring)"
        )
        print(f"  overlapping active pairs afterwards: {count_overlaps()}  (must be 0)")


if __name__ == "__main__":
    main()
