"""A mixed load test with locust (headless) against `mesocare serve --prod` on a seeded chain.

Run from the repository root (locust comes with ``make install-bench``):

    python bench/load_mixed.py                                   # quick: 10 users x 30 s
    python bench/load_mixed.py --users 50 --seconds 300 --template mesocare_scale_100k
    python bench/load_mixed.py --users 50 --seconds 300 --template mesocare_scale_1m --in-place
    python bench/load_mixed.py --users 50 --seconds 300 --patients 20000 --organizations 4
                               --locations 12    # a chain of its own, 5,000 patients a clinic

Quick run: a throw-away PostgreSQL database with a small chain (``--patients``, written by
``mesocare.demo.scale.seed_chain``). Full run: ``--template DB`` copies a seeded chain
(``CREATE DATABASE … TEMPLATE DB``; nothing may be connected to DB meanwhile) and drops the copy
at the end, so the chain itself is never written to. Either way it serves the database with
``mesocare serve --prod`` (gunicorn, ``--workers`` as many as cores, ``--threads`` per worker,
the environment of docs/operators.md) with the benchmark's settings
(``bench/_bench_settings.py``: the product's settings and URLs plus a hello-world view), signs
in the organization's administrator (a bearer token for the API, a session for the staff
pages), and runs locust (``bench/_load_mixed_users.py``) with ``--users`` simulated staff, each
waiting 0.5-2.5 s between requests: desk search (``GET /api/v1/patients?q=``), the calendar's
day (``/calendar``), a patient's page (``/patients/<id>``), booking (``POST
/api/v1/appointments``), charting (``POST /api/v1/sessions`` then an injection) and the
hello-world view as the reference under the same load. It prints p50/p95 per request type,
the error count (target 0) and whether each p95 is within 200 ms. Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _harness import PG_ADMIN, _pg_admin, throwaway_database
from _prod_server import BENCH_DIR, prod_server
from _scale import largest_organization

DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "mc_bench")
TARGET_P95_MS = 200
REFERENCE = "hello-world view"


@contextmanager
def copy_of(template: str, name: str, in_place: bool = False) -> Iterator[str]:
    """Django configured on a copy of ``template`` (a migrated, seeded chain); dropped after.
    With ``in_place``, on ``template`` itself, left as the run leaves it."""
    if in_place:
        name = template
    else:
        _pg_admin(f"DROP DATABASE IF EXISTS {name}")
        _pg_admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    tmp = tempfile.TemporaryDirectory()
    os.environ["MESOCARE_VAR_DIR"] = tmp.name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesocare.settings")
    os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    import django

    django.setup()
    try:
        yield "postgresql"
    finally:
        from django.db import connections

        connections.close_all()
        if not in_place:
            _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        tmp.cleanup()


def pick_organization() -> Any:
    from mesocare.clinics.models import Organization

    return Organization.objects.get(pk=largest_organization()[0])


def prepare(org: Any, sample: int) -> dict[str, Any]:
    """What the simulated staff act on, in the organization with the most patients: its
    administrator's token and session, the location with the most treating staff, its rooms,
    patients, days, free-or-taken 30-minute slots and a charting example per protocol."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db.models import Count

    from mesocare.accounts.models import ApiToken
    from mesocare.catalog.models import Protocol
    from mesocare.charting.models import TreatmentSession
    from mesocare.clinics.middleware import SESSION_ORG_KEY
    from mesocare.clinics.models import Location, Membership, Room, WorkingHours
    from mesocare.demo.scale.setup import load_protocols
    from mesocare.inventory.models import ProductLot
    from mesocare.patients.models import Consent, Patient

    admin = (
        Membership.objects.for_org(org)
        .filter(role="admin", is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    assert admin is not None, f"no administrator in {org.slug}"
    _token, token = ApiToken.issue(admin, name="load_mixed")
    session = SessionStore()
    session[SESSION_KEY] = str(admin.user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = admin.user.get_session_auth_hash()
    session[SESSION_ORG_KEY] = org.pk
    session.create()
    location_id = (
        WorkingHours.objects.for_org(org)
        .values("location_id")
        .annotate(n=Count("membership_id", distinct=True))
        .order_by("-n", "location_id")
        .values_list("location_id", flat=True)
        .first()
    )
    location = Location.objects.get(pk=location_id)
    practitioners = sorted(
        set(
            WorkingHours.objects.for_org(org)
            .filter(location=location, membership__is_active=True)
            .values_list("membership_id", flat=True)
        )
    )
    rooms = list(
        Room.objects.for_org(org)
        .filter(location=location, is_active=True)
        .values_list("id", flat=True)
    )
    patients = list(
        Patient.objects.for_org(org).order_by("?").values_list("id", "family_name")[:sample]
    )
    tz = location.tz
    today = dt.datetime.now(tz).date()
    days = [(today + dt.timedelta(days=d)).isoformat() for d in range(-3, 11)]
    slots = [
        dt.datetime.combine(today + dt.timedelta(days=d), dt.time(9), tzinfo=tz)
        + dt.timedelta(minutes=30 * s)
        for d in range(1, 29)
        for s in range(16)
    ]
    # Charting as the clinic does it: a patient already treated with a protocol at this
    # location (consent and weight on file) gets another session of it, from a lot in date.
    protocols = {proto.id: proto for proto in load_protocols()}
    treated = list(
        TreatmentSession.objects.for_org(org)
        .filter(location=location, signed_at__isnull=False, protocol_id__in=list(protocols))
        .order_by("-signed_at")
        .values_list("patient_id", "protocol_id")[: sample * 5]
    )
    # The seeded chain keeps no consents: each charted patient signs the protocol's today.
    indications = dict(
        Protocol.objects.filter(pk__in=list(protocols)).values_list("id", "indication__code")
    )
    charting, consents = [], []
    for protocol_id in sorted({p for _, p in treated}):
        proto = protocols[protocol_id]
        lot = (
            ProductLot.objects.for_org(org)
            .filter(
                location=location,
                product_id__in=proto.products,
                recalled=False,
                expiry__gt=today + dt.timedelta(days=30),
            )
            .order_by("-on_hand_ml", "id")
            .first()
        )
        if lot is None:
            continue
        depth, points, per_point, total = proto.injections[0]
        chosen = sorted({pt for pt, p in treated if p == protocol_id})[:200]
        consents += [
            Consent(
                organization=org,
                patient_id=patient_id,
                kind="treatment",
                version="1",
                signed_on=today,
                indication=indications[protocol_id],
                signed_by="load test",
            )
            for patient_id in chosen
        ]
        charting.append(
            {
                "protocol": proto.id,
                "patients": chosen,
                "injection": {
                    "zone": proto.zones[0],
                    "technique": proto.technique,
                    "depth_mm": depth,
                    "points": points,
                    "volume_per_point_ml": per_point,
                    "total_volume_ml": total,
                    "components": [{"lot": lot.pk, "volume_ml": total}],
                },
            }
        )
    Consent.objects.bulk_create(consents)
    assert practitioners and rooms and patients and charting, "the chain lacks staff or stock"
    return {
        "token": token,
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "session_key": session.session_key,
        "location": location.pk,
        "practitioners": practitioners,
        "rooms": rooms,
        "patients": [pk for pk, _ in patients],
        "search_terms": sorted({name[:3].lower() for _, name in patients if len(name) >= 3}),
        "days": days,
        "slots": [s.isoformat() for s in slots],
        "charting": charting,
    }


def run_locust(url: str, config: Path, users: int, seconds: int, out: Path) -> Path:
    """Locust in its own process (it patches the standard library with gevent); returns the
    path prefix of its CSV files."""
    prefix = out / "load"
    cmd = [sys.executable, "-m", "locust", "-f", str(BENCH_DIR / "_load_mixed_users.py")]
    cmd += ["--headless", "--users", str(users), "--spawn-rate", str(max(1, users // 5))]
    cmd += ["--run-time", f"{seconds}s", "--stop-timeout", "30", "--host", url]
    cmd += ["--csv", str(prefix), "--only-summary", "--loglevel", "ERROR"]
    env = {**os.environ, "LOAD_MIXED_CONFIG": str(config)}
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if not (out / "load_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics:\n{done.stdout[-3000:]}{done.stderr}")
    return prefix


def report(prefix: Path, users: int, seconds: int) -> None:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))  # noqa: SIM115
    failures = list(csv.DictReader(open(f"{prefix}_failures.csv")))  # noqa: SIM115
    by_name = {r["Name"]: r for r in rows if r["Type"] != "INFO" and r["Name"] != "Aggregated"}
    refusals = {r["Name"]: int(r["Request Count"]) for r in rows if r["Type"] == "INFO"}
    ref = by_name.get(REFERENCE)
    ref95 = float(ref["95%"]) if ref else 0.0
    print(f"  {'request':32s} {'count':>6} {'p50 ms':>7} {'p95 ms':>7} {'p95/ref':>7} errors")
    errors = 0
    met = True
    for name in sorted(by_name, key=lambda n: (n == REFERENCE, n)):
        r = by_name[name]
        n_fail = int(r["Failure Count"])
        errors += n_fail if name != REFERENCE else 0
        p95 = float(r["95%"])
        within = p95 <= TARGET_P95_MS
        met = met and (within or name == REFERENCE)
        print(
            f"  {name:32s} {int(r['Request Count']):6d} {float(r['50%']):7.0f} {p95:7.0f} "
            f"{p95 / ref95 if ref95 else 0:7.1f} {n_fail:6d}"
            + (
                ""
                if name == REFERENCE
                else f"  p95 <= {TARGET_P95_MS} ms: {'yes' if within else 'NO'}"
            )
        )
    for name, count in sorted(refusals.items()):
        print(f"  {name}: {count}")
    for f in failures[:10]:
        print(f"  error: {f['Name']} x{f['Occurrences']}: {f['Error'][:200]}")
    total = sum(int(r["Request Count"]) for r in by_name.values())
    print(
        f"  {users} users x {seconds} s: {total} requests ({total / seconds:.1f}/s), "
        f"errors {errors} (target 0: {'met' if errors == 0 else 'NOT met'}), "
        f"every p95 <= {TARGET_P95_MS} ms: {'met' if met else 'NOT met'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--patients", type=int, default=2000, help="chain built when no template")
    parser.add_argument("--organizations", type=int, default=1, help="of the chain built")
    parser.add_argument("--locations", type=int, default=2, help="of the chain built")
    parser.add_argument("--template", help="a seeded chain database to copy (full run)")
    parser.add_argument(
        "--in-place",
        action="store_true",
        help="run on the --template chain itself (no copy; for a chain too big to copy: the "
        "run's bookings, sessions, consents and sign-ins stay in it)",
    )
    parser.add_argument("--sample", type=int, default=2000, help="patients the users act on")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4, help="per worker; 1: sync worker")
    args = parser.parse_args()
    name = f"{DB_PREFIX}_load_mixed_{os.getpid()}"
    database = (
        copy_of(args.template, name, args.in_place)
        if args.template
        else throwaway_database(name, use_pg=True)
    )
    with database, tempfile.TemporaryDirectory(prefix="mc-load-mixed-") as out:
        if not args.template:
            from mesocare.demo.scale import seed_chain

            seed_chain(
                args.patients,
                organizations=args.organizations,
                locations=args.locations,
                progress=False,
            )
        from django.db import connections

        from mesocare.patients.models import Patient

        org = pick_organization()
        config = prepare(org, args.sample)
        in_org = Patient.objects.for_org(org).count()
        config_path = Path(out) / "config.json"
        config_path.write_text(json.dumps(config))
        connections.close_all()
        with prod_server(
            os.environ["DATABASE_URL"],
            workers=args.workers,
            threads=args.threads,
            token=config["token"],
            settings_module="_bench_settings",
        ) as server:
            print(
                f"PostgreSQL, {in_org:,} patients in {org.slug}; {server.describe()}; "
                f"locust: {args.users} users x {args.seconds} s, 0.5-2.5 s between requests"
            )
            prefix = run_locust(
                f"http://{server.host}:{server.port}",
                config_path,
                args.users,
                args.seconds,
                Path(out),
            )
        report(prefix, args.users, args.seconds)


if __name__ == "__main__":
    main()
