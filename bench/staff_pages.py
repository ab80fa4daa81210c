"""Staff pages at scale: the patient page, plan page, session page, calendar day and week, the
dashboard and the audit log with filters, as a signed-in administrator of one organization of a
seeded chain (Django's test client, in process).

For each page it picks patients with histories (a plan, a signed session, appointments, audit
events), requests the page `--runs` times across them and prints p50/p95 of the server time
(the `Server-Timing` header's application time) and the page's query count, beside
`GET /api/v1/me` in the same run. It also builds the demo clinic in a throw-away database (a
child process) and prints each page's query count there: the target is p95 <= 50 ms and the
same query count as on the demo clinic. Every request runs inside one transaction that is
rolled back, so a seeded chain is left as it was (the audited reads are not kept).

    python bench/staff_pages.py                       # quick: a small chain in a throw-away DB
    python bench/staff_pages.py --patients 20000      # a bigger throw-away chain
    python bench/staff_pages.py --database-url postgres://.../mesocare_scale_1m --runs 200
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from _harness import ROOT, p, throwaway_database
from _scale import largest_organization

TARGET_P95_MS = 50.0
HEADER = re.compile(r'app;dur=(?P<app>[0-9.]+);.*db;dur=(?P<db>[0-9.]+);desc="(?P<n>\d+) queries"')


@dataclass
class Page:
    """A page kind and the URLs it is measured on (one per sampled patient, day or filter)."""

    name: str
    urls: list[str] = field(default_factory=list)


@contextmanager
def existing_database(url: str) -> Iterator[str]:
    """Configure Django on a database that already holds a seeded chain (migrated, never
    dropped)."""
    os.environ.setdefault("MESOCARE_VAR_DIR", os.path.join(ROOT, "var", "bench-staff-pages"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesocare.settings")
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.db import connection, connections

    try:
        yield connection.vendor
    finally:
        connections.close_all()


def pick_pages(org: Any, sample: int, rng: random.Random) -> tuple[Any, list[Page]]:
    """The organization's administrator and the pages to measure, on patients that have a
    plan, a signed session, appointments and audit events."""
    from mesocare.audit.models import AuditEvent
    from mesocare.charting.models import TreatmentSession
    from mesocare.clinics.models import Membership
    from mesocare.plans.models import TreatmentPlan
    from mesocare.scheduling.models import Appointment

    admin = (
        Membership.objects.for_org(org)
        .filter(role="admin", is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert admin is not None, f"no administrator in {org.slug}"
    signed = TreatmentSession.objects.for_org(org).filter(signed_at__isnull=False)
    bounds = list(signed.order_by("id").values_list("id", flat=True)[:1]) + list(
        signed.order_by("-id").values_list("id", flat=True)[:1]
    )
    assert bounds, f"no signed session in {org.slug}"
    chosen: dict[int, tuple[int, int, Any]] = {}  # patient → (session, plan, appointment)
    for _ in range(sample * 20):
        if len(chosen) >= sample:
            break
        pivot = rng.randint(bounds[0], bounds[-1])
        session = signed.filter(id__gte=pivot).order_by("id").values("id", "patient_id").first()
        if session is None or session["patient_id"] in chosen:
            continue
        patient_id = session["patient_id"]
        plan = TreatmentPlan.objects.for_org(org).filter(patient_id=patient_id).first()
        appointment = (
            Appointment.objects.for_org(org)
            .filter(patient_id=patient_id)
            .order_by("-start")
            .select_related("location")
            .first()
        )
        audited = AuditEvent.objects.for_org(org).filter(patient_id=patient_id).exists()
        if plan and appointment and audited:
            chosen[patient_id] = (session["id"], plan.pk, appointment)
    assert chosen, (
        f"no patient with a plan, a signed session, appointments and audit events in {org.slug}"
    )

    def day_of(appointment: Any) -> str:
        local = appointment.start.astimezone(appointment.location.tz).date()
        return f"location={appointment.location_id}&date={local.isoformat()}"

    rows = list(chosen.items())
    last = AuditEvent.objects.for_org(org).order_by("-at", "-id").first()
    assert last is not None
    # The day after the last event's UTC date: the filter reads dates in the clinic's zone,
    # and this week holds the last event in every zone (the demo's events are all recent).
    until = last.at.date() + dt.timedelta(days=1)
    # the people who wrote the sampled patients' latest events
    actors = sorted(
        {
            a
            for pid, _ in rows
            for a in AuditEvent.objects.for_org(org)
            .filter(patient_id=pid, actor__isnull=False)
            .values_list("actor_id", flat=True)[:1]
        }
    )[:5] or [admin.user_id]
    week = f"date_from={until - dt.timedelta(days=6)}&date_to={until}"
    object_types = ["patients.patient", "charting.treatmentsession", "plans.treatmentplan"]
    pages = [
        Page("patient page", [f"/patients/{pid}" for pid, _ in rows]),
        Page("plan page", [f"/plans/{plan}" for _, (_, plan, _) in rows]),
        Page("session page", [f"/sessions/{session}" for _, (session, _, _) in rows]),
        Page("calendar day", [f"/calendar?{day_of(a)}" for _, (_, _, a) in rows]),
        Page("calendar week", [f"/calendar?view=week&{day_of(a)}" for _, (_, _, a) in rows]),
        Page("dashboard", ["/"]),
        Page("audit log", ["/audit"]),
        Page("audit log ?patient=", [f"/audit?patient={pid}" for pid, _ in rows]),
        Page("audit log ?actor=", [f"/audit?actor={a}" for a in actors]),
        Page("audit log ?action=", ["/audit?action=read", "/audit?action=update"]),
        Page("audit log ?action=rare", ["/audit?action=override", "/audit?action=export"]),
        Page("audit log ?object_type=", [f"/audit?object_type={t}" for t in object_types]),
        Page("audit log ?date_from&to=", [f"/audit?{week}"]),
        Page("audit log ?actor&dates", [f"/audit?actor={a}&{week}" for a in actors]),
    ]
    return admin, pages


@dataclass
class Measured:
    server_ms: list[float]
    db_ms: list[float]
    queries: list[int]


def measure(client: Any, urls: list[str], runs: int, warmup: int) -> Measured:
    out = Measured([], [], [])
    for i in range(warmup + runs):
        response = client.get(urls[i % len(urls)])
        assert response.status_code == 200, (urls[i % len(urls)], response.status_code)
        match = HEADER.search(response["Server-Timing"])
        assert match, response["Server-Timing"]
        if i >= warmup:
            out.server_ms.append(float(match["app"]))
            out.db_ms.append(float(match["db"]))
            out.queries.append(int(match["n"]))
    return out


def signed_in(admin: Any) -> Any:
    from django.test import Client

    from mesocare.clinics.middleware import SESSION_ORG_KEY

    client = Client()
    client.force_login(admin.user)
    session = client.session
    session[SESSION_ORG_KEY] = admin.organization_id
    session.save()
    return client


@contextmanager
def rolled_back() -> Iterator[None]:
    """Everything inside is undone (audited reads included); the seeded chain stays as it was."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def demo_counts() -> None:
    """Child process: the demo clinic in a throw-away database; prints each page's largest
    query count as JSON on the last line."""
    with throwaway_database(f"mesocare_bench_staff_demo_{os.getpid()}"):
        os.environ.setdefault("MESOCARE_DEMO_PASSWORD", "bench-demo-password")
        from mesocare.clinics.models import Organization
        from mesocare.demo.data import ORG_SLUG, load_demo

        load_demo()
        admin, pages = pick_pages(Organization.objects.get(slug=ORG_SLUG), 5, random.Random(3))
        client = signed_in(admin)
        with rolled_back():
            counts = {
                page.name: max(measure(client, page.urls, len(page.urls), 0).queries)
                for page in pages
            }
        print(json.dumps(counts))


def start_demo_child() -> subprocess.Popen[str]:
    """The demo clinic is built in a child process while this one prepares its chain."""
    return subprocess.Popen(
        [sys.executable, __file__, "--demo-counts"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MESOCARE_VAR_DIR")},
    )


def demo_counts_of(child: subprocess.Popen[str]) -> dict[str, int]:
    out, err = child.communicate()
    if child.returncode != 0:
        print(err[-3000:], file=sys.stderr)
        raise SystemExit("the demo clinic's query counts could not be measured")
    return dict(json.loads(out.strip().splitlines()[-1]))


def run(args: argparse.Namespace, vendor: str, child: subprocess.Popen[str]) -> None:
    from mesocare.clinics.models import Organization
    from mesocare.patients.models import Patient

    if args.org:
        org = Organization.objects.get(slug=args.org)
    else:
        org = Organization.objects.get(pk=largest_organization()[0])
    rng = random.Random(args.seed)
    admin, pages = pick_pages(org, args.sample, rng)
    client = signed_in(admin)
    total = Patient.objects.count()
    in_org = Patient.objects.for_org(org).count()
    print(
        f"database: {vendor}, patients: {total:,} ({in_org:,} in {org.slug}), "
        f"signed in as {admin.user.email} ({admin.role}), runs per page: {args.runs}"
    )
    with rolled_back():
        reference = measure(client, ["/api/v1/me"], args.runs, args.warmup)
        results = {page.name: measure(client, page.urls, args.runs, args.warmup) for page in pages}
    demo = demo_counts_of(child)
    ref95 = p(reference.server_ms, 95)
    print(
        f"{'page':<26} {'p50 ms':>8} {'p95 ms':>8} {'db p50':>8} {'x /me':>7} "
        f"{'queries':>8} {'demo':>5}  target (p95 <= {TARGET_P95_MS:g} ms, queries <= demo)"
    )
    print(
        f"{'GET /api/v1/me (reference)':<26} {p(reference.server_ms, 50):8.2f} {ref95:8.2f} "
        f"{p(reference.db_ms, 50):8.2f} {1:7.2f} {max(reference.queries):8d}"
    )
    missed = []
    for name, m in results.items():
        p95 = p(m.server_ms, 95)
        queries = max(m.queries)
        same = queries <= demo.get(name, queries)
        met = p95 <= TARGET_P95_MS and same
        if not met:
            missed.append(name)
        spread = f"{min(m.queries)}-{queries}" if min(m.queries) != queries else f"{queries}"
        print(
            f"{name:<26} {p(m.server_ms, 50):8.2f} {p95:8.2f} {p(m.db_ms, 50):8.2f} "
            f"{p95 / ref95:7.2f} {spread:>8} {demo.get(name, '-')!s:>5}  "
            f"{'met' if met else 'NOT met'}"
        )
    print(
        f"targets met: {len(results) - len(missed)}/{len(results)}"
        + (f"; not met: {', '.join(missed)}" if missed else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="an existing seeded chain (read, left as it was)")
    parser.add_argument("--patients", type=int, default=1_000, help="size of a throw-away chain")
    parser.add_argument("--org", help="organization slug (default: the one with most patients)")
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--sample", type=int, default=10, help="patients with histories to use")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--demo-counts", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.demo_counts:
        demo_counts()
        return
    child = start_demo_child()
    if args.database_url:
        with existing_database(args.database_url) as vendor:
            run(args, vendor, child)
        return
    with throwaway_database(f"mesocare_bench_staff_pages_{os.getpid()}", use_pg=True) as vendor:
        from mesocare.demo.scale import seed_chain

        seed_chain(args.patients, progress=False)
        run(args, vendor, child)


if __name__ == "__main__":
    main()
