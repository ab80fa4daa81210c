"""Crash test (PostgreSQL and SQLite): `kill -9` of the server during write bursts leaves
nothing half written.

The app runs as a real gunicorn server (its own process group) against the test database.
On SQLite the test database lives in memory, where no server process can reach it: after the
set-up it is copied into a database file that the server runs on (the product's SQLite
settings: WAL, busy timeout, BEGIN IMMEDIATE), and after the last kill the file — with what
its write-ahead log recovered — is copied back, so the same checks read what the server left.
Client threads send bursts through the API — whole courses of treatment
(`POST /plans/{id}/book`, three sessions per call) and charting (open a walk-in session,
chart injections that deduct stock, sign) — and the whole process group is killed with
SIGKILL mid-burst, several times; the server is restarted after each kill. Then:

- no half-written course: each plan has all of the sessions of its booking call or none;
- every booking the server acknowledged (201) is there (committed means durable);
- every injection component has its "use" stock movement, and each lot's cached quantity on
  hand equals the sum of its movements;
- every write has its audit event: each appointment, treatment session, injection and
  signature.

Payments do not exist yet; when they do, payments in progress join the bursts.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from mesocare.accounts.models import ApiToken
from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Product, Protocol, ProtocolVersion
from mesocare.catalog.snapshots import snapshot_protocol
from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.inventory.models import MovementKind, StockMovement
from mesocare.inventory.services import stock
from mesocare.patients.models import Consent, Patient, Weight
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)

PLANS = 48  # each booked by one call of three sessions
CHART_PATIENTS = 90  # one walk-in session each: a same-day repeat is a safety block
KILLS = 3
SESSIONS_PER_COURSE = 3
CUT = (OSError, http.client.HTTPException)  # the server died under the request
SLOTS = [dt.time(h, m) for h in (9, 10, 11, 12, 14, 15, 16, 17) for m in (0, 30)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServedDatabase:
    """The database the server runs on: the test database itself on PostgreSQL; on SQLite a
    file copied from the in-memory test database, copied back once the server is gone."""

    def __init__(self, tmp: Path) -> None:
        self.file = tmp / "crash.sqlite3" if connection.vendor == "sqlite" else None

    def url(self) -> str:
        """The test database as it stands now, for a server process to open."""
        if self.file is not None:
            connection.ensure_connection()
            copy = sqlite3.connect(self.file)
            try:
                connection.connection.backup(copy)
                # The copy of an in-memory database is in rollback-journal mode; the product's
                # file is WAL from `migrate` on. Left to the server, the switch raced its first
                # connections and one failed at once with "database is locked".
                assert copy.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
            finally:
                copy.close()
            return f"sqlite:///{self.file}"
        db = connection.settings_dict
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        return (
            f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        )

    def read_back(self) -> None:
        """Make the test's connection see what the killed servers left."""
        if self.file is None:
            connection.close()
            return
        # Opening the file replays its write-ahead log, as a restarted server would.
        source = sqlite3.connect(self.file)
        try:
            # The server ran with the product's SQLite settings, which made the file WAL.
            assert source.execute("PRAGMA journal_mode").fetchone() == ("wal",)
            source.backup(connection.connection)
        finally:
            source.close()


class Server:
    """gunicorn in its own process group, so SIGKILL takes master and workers at once."""

    def __init__(self, tmp: Path, database_url: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "MESOCARE_VAR_DIR": str(tmp / "var"),
            "MEDIA_ROOT": str(tmp / "private"),
            "DEBUG": "0",
            "SECRET_KEY": "crash-test-" + "x" * 50,
        }
        self.env.pop("MESOCARE_PROD", None)
        self.log = (tmp / "server.log").open("ab")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "mesocare.wsgi:application",
             "--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--threads", "2",
             "--timeout", "30", "--graceful-timeout", "1", "--no-control-socket"],
            env=self.env, stdout=self.log, stderr=self.log, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"{self.url}/login", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answers
            except OSError:
                assert self.process.poll() is None, "the server exited while starting"
                time.sleep(0.2)
        raise AssertionError("the server did not answer within 30 s")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
        self.log.close()

    def log_tail(self) -> str:
        """What the servers printed last (an error's traceback), for a failure's message."""
        return Path(self.log.name).read_text(errors="replace")[-4000:]


def call(server: Server, token: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{server.url}/api/v1/{path}",
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        problem = json.loads(exc.read() or b"{}")
        return exc.code, problem


def prepared_patient(clinic: Any, n: int) -> Patient:
    today = timezone.localdate()
    patient = Patient.objects.create(
        organization=clinic.org,
        given_name=f"Crash{n}",
        family_name="Test",
        birth_date=dt.date(1980, 1, 1) + dt.timedelta(days=n),
        sex_at_birth="male",
    )
    Weight.objects.create(
        organization=clinic.org, patient=patient, kg=Decimal(70), measured_on=today
    )
    Consent.objects.create(
        organization=clinic.org, patient=patient, kind="treatment", version="1",
        indication="cellulite", signed_on=today - dt.timedelta(days=1),
    )  # fmt: skip
    return patient


def open_hours(clinic: Any) -> None:
    for weekday in range(6):
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
        for opens, closes in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))):
            WorkingHours.objects.create(
                organization=clinic.org, membership=clinic.members["practitioner"],
                location=clinic.location, weekday=weekday, opens=opens, closes=closes,
            )  # fmt: skip


def course_bodies(clinic: Any) -> list[tuple[int, dict[str, Any]]]:
    """One plan per patient; plan k gets a slot of its own on three Mondays..Wednesdays."""
    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    version = ProtocolVersion.objects.filter(protocol=protocol, version=protocol.version).first()
    version = version or ProtocolVersion.objects.create(
        protocol=protocol, version=protocol.version, snapshot=snapshot_protocol(protocol)
    )
    today = timezone.localdate()
    monday = today + dt.timedelta(days=35 - today.weekday())
    tz = clinic.location.tz
    bodies = []
    for k in range(PLANS):
        plan = TreatmentPlan.objects.create(
            organization=clinic.org, patient=prepared_patient(clinic, k), protocol=protocol,
            protocol_version=version, sessions_planned=SESSIONS_PER_COURSE,
            sessions_by_rule=SESSIONS_PER_COURSE, interval_min_days=5, interval_target_days=7,
            interval_max_days=14, response_check_session=2, session_duration_min=30,
            room_kind=clinic.room.kind, created_by=clinic.user("practitioner"),
        )  # fmt: skip
        for index in range(1, SESSIONS_PER_COURSE + 1):
            PlannedSession.objects.create(organization=clinic.org, plan=plan, index=index)
        first = monday + dt.timedelta(days=k // len(SLOTS))
        sessions = [
            {
                "index": n + 1,
                "start": dt.datetime.combine(
                    first + dt.timedelta(days=7 * n), SLOTS[k % len(SLOTS)], tzinfo=tz
                ).isoformat(),
                "practitioner": clinic.members["practitioner"].pk,
                "room": clinic.room.pk,
            }
            for n in range(SESSIONS_PER_COURSE)
        ]
        bodies.append((plan.pk, {"sessions": sessions}))
    return bodies


class Burst:
    """Client threads that write until the server dies under them."""

    def __init__(self, server: Server, token: str, clinic: Any, lot: int) -> None:
        self.server, self.token, self.clinic, self.lot = server, token, clinic, lot
        self.acknowledged: list[int] = []  # plans whose booking answered 201
        self.outcomes: Counter[str] = Counter()
        self.lock = threading.Lock()

    def note(self, outcome: str) -> None:
        with self.lock:
            self.outcomes[outcome] += 1

    def book(self, courses: list[tuple[int, dict[str, Any]]]) -> None:
        while True:
            with self.lock:
                if not courses:
                    return
                plan_id, body = courses.pop()
            try:
                status, _ = call(self.server, self.token, "POST", f"plans/{plan_id}/book", body)
            except CUT:
                with self.lock:  # tried again after the restart (409 if it had committed)
                    courses.append((plan_id, body))
                self.note("booking cut")
                return
            self.note(f"booking {status}")
            if status == 201:
                with self.lock:
                    self.acknowledged.append(plan_id)

    def chart(self, patients: list[int]) -> None:
        try:
            while True:
                with self.lock:
                    if not patients:
                        return
                    patient = patients.pop()
                status, session = call(
                    self.server, self.token, "POST", "sessions",
                    {"patient": patient, "location": self.clinic.location.pk},
                )  # fmt: skip
                self.note(f"session {status}")
                if status != 201:
                    continue
                for _ in range(2):
                    status, answer = call(
                        self.server, self.token, "POST", f"sessions/{session['id']}/injections",
                        {"zone": "abdomen_ul", "technique": "nappage", "depth_mm": "2",
                         "points": 10, "total_volume_ml": "0.5",
                         "components": [{"lot": self.lot, "volume_ml": "0.5"}]},
                    )  # fmt: skip
                    code = answer.get("code", "") if status >= 400 and answer else ""
                    self.note(f"injection {status} {code}".strip())
                status, _ = call(self.server, self.token, "POST", f"sessions/{session['id']}/sign")
                self.note(f"sign {status}")
        except CUT:
            self.note("charting cut")


def run_burst(burst: Burst, courses: list[Any], patients: list[int], kill_after: float) -> None:
    threads = [threading.Thread(target=burst.book, args=(courses,)) for _ in range(3)]
    threads += [threading.Thread(target=burst.chart, args=(patients,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(kill_after)
    burst.server.kill()
    for thread in threads:
        thread.join(timeout=30)


def test_kill_9_during_write_bursts_leaves_nothing_half_written(clinic, tmp_path):
    started = time.monotonic()
    open_hours(clinic)
    courses = course_bodies(clinic)
    patients = [prepared_patient(clinic, 1000 + n).pk for n in range(CHART_PATIENTS)]
    lot = stock.receive_stock(
        clinic.actor("admin"),
        product=Product.objects.get(organization__isnull=True, code="caffeine_20"),
        location=clinic.location,
        lot_number="CRASH-1",
        expiry=timezone.localdate() + dt.timedelta(days=365),
        quantity_ml=Decimal(5000),
    )
    _token, raw = ApiToken.issue(clinic.members["practitioner"])
    database = ServedDatabase(tmp_path)
    server = Server(tmp_path, database.url())
    burst = Burst(server, raw, clinic, lot.pk)
    rng = random.Random(14)
    try:
        for _ in range(KILLS):
            server.start()
            run_burst(burst, courses, patients, kill_after=rng.uniform(2.5, 4.0))
        server.start()  # the app comes back after the last kill…
        status, _ = call(server, raw, "GET", f"patients/{clinic.patient.pk}")
        assert status == 200
        burst.book(courses)  # …and the courses not yet booked (or cut) are booked again
        assert not courses
    finally:
        server.stop()
    database.read_back()
    took = time.monotonic() - started
    print(f"crash test ({connection.vendor}): {dict(burst.outcomes)} in {took:.1f} s")
    assert burst.outcomes["booking cut"] + burst.outcomes["charting cut"] > 0, burst.outcomes
    assert burst.outcomes["booking 201"] > 0 and burst.outcomes["injection 201"] > 0
    server_errors = [o for o in burst.outcomes if o.split()[-1].startswith("5")]
    assert not server_errors, (burst.outcomes, server.log_tail())

    # No half-written course: a booking cut by the kill either committed whole (its retry
    # answers 409) or not at all (its retry books it), so every plan ends with every session.
    booked = Counter(
        Appointment.objects.filter(plan__isnull=False).values_list("plan_id", flat=True)
    )
    assert len(booked) == PLANS and set(booked.values()) == {SESSIONS_PER_COURSE}, booked
    assert len(set(burst.acknowledged)) == len(burst.acknowledged)

    # Every injection component with its stock movement; stock adds up.
    components = CocktailComponent.objects.all()
    assert components.exists()
    moved = set(
        StockMovement.objects.filter(kind=MovementKind.USE).values_list(
            "injection_component_id", flat=True
        )
    )
    assert {c.pk for c in components} <= moved
    assert stock.verify_on_hand() == []

    # Every write with its audit event.
    def audited(model: Any, action: str, **filters: Any) -> set[str]:
        return set(
            AuditEvent.objects.filter(
                object_type=model._meta.label_lower, action=action, **filters
            ).values_list("object_id", flat=True)
        )

    for model in (Appointment, TreatmentSession, InjectionRecord):
        ids = {str(pk) for pk in model.objects.values_list("pk", flat=True)}
        assert ids and ids <= audited(model, "create"), model
    signed = {
        str(pk)
        for pk in TreatmentSession.objects.filter(signed_at__isnull=False).values_list(
            "pk", flat=True
        )
    }
    assert signed <= audited(TreatmentSession, "update", summary__startswith="signed")
