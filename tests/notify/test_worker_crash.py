"""Exactly-once delivery across a worker killed mid-batch (SIGKILL) and restarted.

Runs the real `mesocare worker` in subprocesses against a throw-away database (a SQLite file,
or a scratch PostgreSQL database when the suite runs on PostgreSQL), with the journal channels
(they append one line per delivery and can confirm a key). The journal is the recipient's
view: every key must appear exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

N = 60
SEED = """
import django, datetime as dt
django.setup()
from django.db import transaction
from django.utils import timezone
from mesocare.clinics.models import Location, Organization
from mesocare.patients.models import Patient
from mesocare.notify.services import enqueue
org = Organization.objects.create(name="Crash", slug="crash")
Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
email = Patient.objects.create(organization=org, given_name="E", family_name="Mail",
    birth_date=dt.date(1990, 1, 1), sex_at_birth="female", email="e@example.org")
sms = Patient.objects.create(organization=org, given_name="S", family_name="Ms",
    birth_date=dt.date(1990, 1, 1), sex_at_birth="female", phone="+39 1",
    preferred_channel="sms")
with transaction.atomic():
    for i in range({n}):
        enqueue(org, email if i % 2 else sms, "waitlist_offer", due_at=timezone.now(),
                payload={{"patient_name": "P", "clinic": "Crash", "subject": "S", "body": "B"}},
                idempotency_key=f"crash-{{i}}")
"""
COUNT = """
import django
django.setup()
from mesocare.notify.models import OutboxMessage
from django.db.models import Count
print(dict(OutboxMessage.objects.values_list("status").annotate(n=Count("id"))))
"""


def journal_keys(path: Path) -> list[str]:
    if not path.exists():
        return []
    return [json.loads(line)["key"] for line in path.read_text().splitlines()]


@pytest.fixture
def env(tmp_path: Path, scratch_database_url: str) -> Any:
    if True:
        url = scratch_database_url
        environ = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "mesocare.settings",
            "EMAIL_BACKEND": "mesocare.notify.channels.JournalEmailBackend",
            "SMS_BACKEND": "journal",
            "NOTIFY_JOURNAL_PATH": str(tmp_path / "journal.jsonl"),
            "NOTIFY_JOURNAL_DELAY_MS": "40",
            "NOTIFY_QUIET_HOURS": "",
            "NOTIFY_SEND_TIMEOUT": "1",
            "EMAIL_TIMEOUT": "1",
            "NOTIFY_LEASE_SECONDS": "3",
            "DEBUG": "0",
        }
        run = [sys.executable, "-m", "mesocare"]
        subprocess.run([*run, "manage", "migrate", "-v", "0"], env=environ, check=True)
        subprocess.run([sys.executable, "-c", SEED.format(n=N)], env=environ, check=True)
        yield environ


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_key_once(env, tmp_path):
    journal = tmp_path / "journal.jsonl"
    worker = [sys.executable, "-m", "mesocare", "worker", "--outbox-only", "--interval", "0.1",
              "--batch-size", "10"]  # fmt: skip
    for kill_after in (8, 25):  # two crashes, at different points of the run
        proc = subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(journal_keys(journal)) < kill_after and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(journal_keys(journal)) < N  # the kills did interrupt the run
    time.sleep(3.5)  # the dead workers' leases run out
    subprocess.run([*worker, "--once"], env=env, check=True, stdout=subprocess.DEVNULL)
    keys = journal_keys(journal)
    duplicates = [k for k, n in Counter(keys).items() if n > 1]
    assert duplicates == []
    assert sorted(keys) == sorted(f"crash-{i}" for i in range(N))
    out = subprocess.run(
        [sys.executable, "-c", COUNT], env=env, check=True, capture_output=True, text=True
    )
    assert out.stdout.strip() == str({"sent": N})


def test_the_worker_returns_on_sigterm(env, tmp_path):
    journal = tmp_path / "journal.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "mesocare", "worker", "--interval", "0.2"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    # Signal it once it is surely running its loop (it has delivered the seeded messages),
    # however slowly it started on a loaded machine.
    deadline = time.monotonic() + 120
    while len(journal_keys(journal)) < N and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(journal_keys(journal)) == N
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
