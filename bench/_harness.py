"""Shared set-up for benchmark scripts: a throw-away database (PostgreSQL when reachable, else
SQLite), Django configured against it, and timing helpers. Benchmarks print numbers; they never
assert wall-clock thresholds."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")


def _pg_reachable() -> bool:
    try:
        import psycopg

        psycopg.connect(PG_ADMIN, connect_timeout=3).close()
    except Exception:  # noqa: BLE001 - any failure means "use SQLite"
        return False
    return True


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)


def _pg_database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


@contextmanager
def throwaway_database(name: str, use_pg: bool | None = None, keep: bool = False) -> Iterator[str]:
    """Configure Django on a fresh database; drop it afterwards. Yields the vendor.

    With `keep` (PostgreSQL only) the database is reused when it exists and left in place, so a
    large seeding serves several runs; the script decides whether it still needs seeding."""
    use_pg = _pg_reachable() if use_pg is None else use_pg
    keep = keep and use_pg
    tmp = tempfile.TemporaryDirectory()
    os.environ["MESOCARE_VAR_DIR"] = tmp.name
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesocare.settings")
    if use_pg:
        if not (keep and _pg_database_exists(name)):
            _pg_admin(f"DROP DATABASE IF EXISTS {name}")
            _pg_admin(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    try:
        yield "postgresql" if use_pg else "sqlite"
    finally:
        from django.db import connections

        connections.close_all()
        if use_pg and not keep:
            _pg_admin(f"DROP DATABASE IF EXISTS {name}")
        tmp.cleanup()


def timings_ms(fn: Callable[[int], object], runs: int, warmup: int = 20) -> list[float]:
    for i in range(warmup):
        fn(i)
    out = []
    for i in range(runs):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(label: str, values: list[float]) -> str:
    return (
        f"{label:<34} p50 {p(values, 50):8.2f} ms   p95 {p(values, 95):8.2f} ms   (n={len(values)})"
    )
