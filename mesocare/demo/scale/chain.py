"""`seed_chain`: a chain of clinics with N patients and their histories: the rows that need
the slot book streamed into PostgreSQL with COPY, the bulky rows that follow from them made
in the database (`derived`). See `mesocare.demo.scale` for what one patient's history holds."""

from __future__ import annotations

import datetime as dt
import random
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.audit.partitions import ensure_months
from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
from mesocare.core.months import Month
from mesocare.demo.scale import derived
from mesocare.demo.scale.copy import (
    CopySet,
    TableCopy,
    deferred_indexes,
    fix_sequences,
    reserve_ids,
    run_parallel,
)
from mesocare.demo.scale.history import FIELDS, History, per_patient_bounds
from mesocare.demo.scale.setup import WEEK, Loc, Proto, build_skeleton, split
from mesocare.demo.scale.slots import lanes_for
from mesocare.notify.models import OutboxMessage
from mesocare.patients.models import Patient
from mesocare.plans.models import PlanEvent, PlannedSession, TreatmentPlan
from mesocare.scheduling.models import Appointment

PAST_DAYS = 3 * 365
FUTURE_DAYS = 60
VISITS_PER_PATIENT = 5
COPIED: dict[str, Any] = {
    "patient": Patient,
    "plan": TreatmentPlan,
    "planned": PlannedSession,
    "appointment": Appointment,
}
MADE: dict[str, Any] = {
    "session": TreatmentSession,
    "plan_event": PlanEvent,
    "injection": InjectionRecord,
    "component": CocktailComponent,
    "message": OutboxMessage,
    "audit": AuditEvent,
}
MODELS: dict[str, Any] = COPIED | MADE


class SeedRefused(RuntimeError):
    pass


@dataclass
class ChainResult:
    patients: int
    organizations: int
    locations: int
    staff: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    load_seconds: float = 0.0
    index_seconds: float = 0.0
    password: str = ""
    org_slugs: list[str] = field(default_factory=list)

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def _dsn() -> str:
    s = connection.settings_dict
    parts = {
        "dbname": s["NAME"],
        "user": s.get("USER") or "",
        "password": s.get("PASSWORD") or "",
        "host": s.get("HOST") or "",
        "port": str(s.get("PORT") or ""),
    }
    return " ".join(f"{k}='{v}'" for k, v in parts.items() if v)


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = (m.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def seed_chain(
    patients: int = 1_000_000,
    *,
    organizations: int = 20,
    locations: int = 60,
    seed: int = 1,
    progress: bool = True,
    slug_prefix: str = "chain",
    defer_indexes: bool = True,
    workers: int = 2,
    now: dt.datetime | None = None,
    echo: Callable[[str], None] | None = None,
) -> ChainResult:
    """Build a chain of `organizations` clinics with `locations` locations and `patients`
    patients with histories, on PostgreSQL (COPY); returns what it wrote and how long it took.

    `workers` processes generate and COPY disjoint sets of locations side by side. Assumes
    nothing else writes to the database meanwhile: rows are numbered by the seeder
    and the sequences moved past them at the end.
    """
    if connection.vendor != "postgresql":
        raise SeedRefused(
            "The scale seeder needs PostgreSQL (it loads with COPY); set DATABASE_URL to a "
            "PostgreSQL database. For a few patients on SQLite use `mesocare seed --patients N`."
        )
    if patients < 1 or organizations < 1 or locations < organizations:
        raise SeedRefused("Need at least one patient and one location per organization.")
    say = echo or (lambda _m: None)
    started = time.perf_counter()
    now = now or timezone.now()
    today = now.date()
    first_day = today - dt.timedelta(days=PAST_DAYS)
    days = PAST_DAYS + FUTURE_DAYS + 1
    rng = random.Random(seed)
    weights = [0.6 + 0.8 * rng.random() for _ in range(locations)]
    per_location = split(patients, locations, weights)
    lanes = [lanes_for(n * VISITS_PER_PATIENT, WEEK, days) for n in per_location]
    months = _months(first_day - dt.timedelta(days=31), today + dt.timedelta(days=FUTURE_DAYS))
    start_utc = dt.datetime.combine(first_day, dt.time(0), tzinfo=dt.UTC)
    skeleton = build_skeleton(
        organizations=organizations, locations=locations,
        visits_per_location=[n * VISITS_PER_PATIENT for n in per_location],
        lanes_per_location=lanes, months=months, start=start_utc - dt.timedelta(days=40),
        slug_prefix=slug_prefix,
    )  # fmt: skip
    say(
        f"Skeleton: {organizations} organizations, {locations} locations, "
        f"{skeleton.users} staff, {sum(lanes)} rooms, {len(skeleton.protocols)} protocols."
    )
    # The audit trail goes into its monthly partitions, not DEFAULT, as a real history would.
    ensure_months([Month.of(month) for month in months])
    dsn = _dsn()
    tables = [m._meta.db_table for m in MODELS.values()]
    first_ids = reserve_ids(dsn, tables)
    result = ChainResult(
        patients=patients, organizations=organizations, locations=locations,
        staff=skeleton.users, password=skeleton.password,
        org_slugs=[f"{slug_prefix}-{i + 1:02d}" for i in range(organizations)],
    )  # fmt: skip
    workers = max(1, min(workers, locations))
    groups: list[list[tuple[Loc, int]]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for loc, n in sorted(zip(skeleton.locations, per_location, strict=True), key=lambda x: -x[1]):
        w = sizes.index(min(sizes))
        groups[w].append((loc, n))
        sizes[w] += n
    bounds = per_patient_bounds(skeleton.protocols)
    bounds_by_table = {
        MODELS[k]._meta.db_table: v for k, v in (bounds | derived.PER_PATIENT).items()
    }
    jobs = []
    base = {name: first_ids[COPIED[name]._meta.db_table] for name in COPIED}
    for w, group in enumerate(groups):
        jobs.append(
            _Job(
                locations=group,
                seed=seed * 1000 + w,
                now=now,
                first_day=first_day,
                days=days,
                protocols=skeleton.protocols,
                ids=dict(base),
                dsn=dsn,
            )  # fmt: skip
        )
        for name in base:
            base[name] += bounds[name] * sizes[w]
    load_started = time.perf_counter()
    # Largest tables first, so their index builds start first.
    by_size = sorted(tables, key=lambda t: -bounds_by_table.get(t, 0))
    with deferred_indexes(dsn, by_size, on=defer_indexes, parallel=max(2, workers)):
        counts = _run(jobs, progress, patients, say)
        copied = sum(counts.values())
        copy_seconds = time.perf_counter() - load_started
        say(
            f"Copied {copied:,} rows in {copy_seconds:.0f} s "
            f"({copied / max(copy_seconds, 1e-9):,.0f} rows/s); making the rest in the database…"
        )
        counts |= _derive(dsn, first_ids, skeleton.locations, skeleton.protocols, months, now,
                          seed, workers, say)  # fmt: skip
        result.load_seconds = time.perf_counter() - load_started
        total = sum(counts.values())
        say(
            f"Loaded {total:,} rows in {result.load_seconds:.0f} s "
            f"({total / max(result.load_seconds, 1e-9):,.0f} rows/s); building indexes…"
        )
        index_started = time.perf_counter()
    result.index_seconds = time.perf_counter() - index_started
    fix_sequences(dsn, tables)
    import psycopg

    # VACUUM too: it sets the visibility map (index-only scans) and the hint bits, so the first
    # readers of the chain do not pay for rewriting every page they touch.
    failed = run_parallel(dsn, [f'VACUUM (ANALYZE) "{t}"' for t in by_size], max(2, workers))
    if failed:
        raise RuntimeError("\n".join(failed))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE")
    result.rows = {MODELS[k]._meta.db_table: v for k, v in counts.items()}
    result.seconds = time.perf_counter() - started
    return result


def _derive(
    dsn: str, first_ids: dict[str, int], locations: list[Loc], protocols: list[Proto],
    months: list[dt.date], now: dt.datetime, seed: int, workers: int,
    say: Callable[[str], None],
) -> dict[str, int]:  # fmt: skip
    """Make the sessions, plan events, injections, components, messages and audit events
    of the copied rows."""
    import psycopg
    from psycopg import sql

    def table(name: str) -> str:
        return str(MODELS[name]._meta.db_table)

    def span(name: str) -> tuple[int, int]:
        first = first_ids[table(name)]
        with psycopg.connect(dsn) as conn:
            row = conn.execute(
                f'SELECT max(id) FROM "{table(name)}" WHERE id >= %s',  # type: ignore[arg-type]
                [first],
            ).fetchone()
        return first, int(row[0]) if row and row[0] is not None else first - 1

    ranges = derived.Ranges(
        patient=span("patient"), plan=span("plan"), appointment=span("appointment"),
        session=first_ids[table("session")], plan_event=first_ids[table("plan_event")],
        injection=first_ids[table("injection")], component=first_ids[table("component")],
        message=first_ids[table("message")], audit=first_ids[table("audit")],
    )  # fmt: skip
    with psycopg.connect(dsn, autocommit=True) as conn:
        for name in COPIED:
            conn.execute(f'ANALYZE "{table(name)}"')  # type: ignore[arg-type]
    writers = {name: TableCopy(model, derived.FIELDS[name], now) for name, model in MADE.items()}
    types = derived.column_types(dsn, [table(name) for name in MADE])
    with psycopg.connect(dsn) as conn:
        phases = derived.Statements(
            writers, types, lambda v: sql.Literal(v).as_string(conn), ranges, now, seed,
            chunks=2 * max(1, workers),
        ).phases()  # fmt: skip
    return derived.run(
        dsn, phases, tables={name: table(name) for name in MADE}, parallel=max(1, workers),
        locs=locations, protocols=protocols, months=months, echo=say,
    )  # fmt: skip


@dataclass
class _Job:
    locations: list[tuple[Loc, int]]
    seed: int
    now: dt.datetime
    first_day: dt.date
    days: int
    protocols: list[Proto]
    ids: dict[str, int]
    dsn: str


def _load(job: _Job, report: Callable[[int, int], None]) -> dict[str, int]:
    """Generate and COPY the patients of some locations; `report(patients, rows)` as it goes."""
    history = History(
        rng=random.Random(job.seed), now=job.now, first_day=job.first_day, days=job.days,
        protocols=job.protocols, next_ids=job.ids,
    )  # fmt: skip
    writers = {name: TableCopy(model, FIELDS[name], job.now) for name, model in COPIED.items()}
    done = 0
    with CopySet(job.dsn, writers) as copies:
        out = {name: copies.writer(name) for name in COPIED}
        for loc, n in job.locations:
            for written in history.location(loc, n, out):
                done += written
                report(done, history.rows)
    return history.counts


def _child(job: _Job, patients: Any, rows: Any, counts: Any) -> None:
    def report(done: int, written: int) -> None:
        patients.value, rows.value = done, written

    result = _load(job, report)
    counts.put(result)


def _run(
    jobs: list[_Job], progress: bool, total: int, say: Callable[[str], None]
) -> dict[str, int]:
    """Run the jobs (in child processes when more than one) behind one progress bar."""
    with _bar(progress, total, say) as bar:
        if len(jobs) == 1:
            return _load(jobs[0], bar)
        import multiprocessing as mp

        ctx = mp.get_context("fork")
        connection.close()  # children must not share the parent's socket
        shared = [(ctx.Value("q", 0), ctx.Value("q", 0)) for _ in jobs]
        queue = ctx.Queue()
        procs = [
            ctx.Process(target=_child, args=(job, p, r, queue), daemon=True)
            for job, (p, r) in zip(jobs, shared, strict=True)
        ]
        for proc in procs:
            proc.start()
        results: list[dict[str, int]] = []
        while len(results) < len(procs):
            try:
                results.append(queue.get(timeout=0.5))
            except Exception:  # noqa: BLE001 - queue.Empty: poll the children
                if any(p.exitcode not in (None, 0) for p in procs):
                    for p in procs:
                        p.kill()
                    raise RuntimeError("a seeding process failed (see its error above)") from None
            bar(sum(p.value for p, _r in shared), sum(r.value for _p, r in shared))
        for proc in procs:
            proc.join()
        counts: dict[str, int] = {}
        for r in results:
            for k, v in r.items():
                counts[k] = counts.get(k, 0) + v
        return counts


class _bar:
    """A rich progress bar of patients with the rows written and their rate; a line a minute
    instead when the output is not a terminal (a log file of a long run)."""

    def __init__(self, on: bool, total: int, say: Callable[[str], None]) -> None:
        self.on = on
        self.total = total
        self.say = say

    def __enter__(self) -> Callable[[int, int], None]:
        import sys

        if not self.on:
            return lambda _d, _r: None
        if not sys.stdout.isatty():
            return self._lines()
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("[bold]patients"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[rows]:>12,} rows  {task.fields[rate]:>9,.0f} rows/s"),
            TimeElapsedColumn(), TimeRemainingColumn(),
        )  # fmt: skip
        self.progress.__enter__()
        self.task = self.progress.add_task("seed", total=self.total, rows=0, rate=0.0)
        self.t0 = time.perf_counter()

        def update(done: int, rows: int) -> None:
            rate = rows / max(time.perf_counter() - self.t0, 1e-9)
            self.progress.update(self.task, completed=done, rows=rows, rate=rate)

        return update

    def _lines(self) -> Callable[[int, int], None]:
        started = last = time.perf_counter()

        def line(done: int, rows: int) -> None:
            nonlocal last
            now = time.perf_counter()
            if now - last >= 60:
                last = now
                self.say(
                    f"  {done:,} of {self.total:,} patients, {rows:,} rows, "
                    f"{rows / (now - started):,.0f} rows/s, {now - started:,.0f} s"
                )

        return line

    def __exit__(self, *exc: Any) -> None:
        if self.on and hasattr(self, "progress"):
            self.progress.__exit__(*exc)


def tz_offsets(tz: str, first_day: dt.date, days: int) -> list[dt.timedelta]:
    """UTC offset of each day at noon (clinics open after the 2–3 am DST change)."""
    zone = zoneinfo.ZoneInfo(tz)
    return [
        dt.datetime.combine(first_day + dt.timedelta(days=d), dt.time(12), tzinfo=zone).utcoffset()
        or dt.timedelta(0)
        for d in range(days)
    ]
