#!/usr/bin/env bash
# make test: lint, then the whole pytest suite on SQLite and on PostgreSQL, the two passes at
# the same time (each is mostly one busy process; on 2 cores this halves the wall time).
# PostgreSQL: $TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mesocare.
# pytest-django creates and drops a throw-away database named test_<name>.
# If PostgreSQL is unreachable the pass is skipped loudly, except with CI=true, where it fails.
# Every pass lists its skips (-rs); with CI=true a skip that is not expected on that database
# fails the run (scripts/pytest_skip_policy.py): a broken Chromium cannot turn CI green.
# Each pass has its own MESOCARE_VAR_DIR (secret key, private files, static files) and log;
# the SQLite pass's log is printed when both are done. TEST_PASSES=sequential runs them one
# after the other, streaming both.
set -euo pipefail
VENV=${VENV:-.venv}
export PATH="$VENV/bin:$PATH"
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mesocare}
PYTEST_ARGS=${PYTEST_ARGS:-}
export PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}"
POLICY="-rs -p pytest_skip_policy"
RUNS="var/test-runs"

echo "== lint"
make --no-print-directory lint VENV="$VENV"

pg_reachable() {
  python - "$PG_URL" <<'PY'
import sys
from urllib.parse import urlparse

import psycopg

url = urlparse(sys.argv[1])
try:
    psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username,
                    password=url.password, dbname="postgres", connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"PostgreSQL unreachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
}

sqlite_pass() {
  env -u DATABASE_URL MESOCARE_VAR_DIR="$RUNS/sqlite" python -m pytest -q $POLICY $PYTEST_ARGS
}

postgres_pass() {
  DATABASE_URL="$PG_URL" MESOCARE_VAR_DIR="$RUNS/postgresql" \
    python -m pytest -q --create-db $POLICY $PYTEST_ARGS
}

mkdir -p "$RUNS/sqlite" "$RUNS/postgresql"
PG_OK=1
pg_reachable || PG_OK=0
if [ "$PG_OK" = 0 ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "!! PostgreSQL is unreachable and CI=true: failing." >&2
    exit 1
  fi
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
  echo "!! PostgreSQL is unreachable at $PG_URL: the PostgreSQL pass is SKIPPED. !!" >&2
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
fi

if [ "${TEST_PASSES:-parallel}" = "sequential" ] || [ "$PG_OK" = 0 ]; then
  echo "== pytest on SQLite"
  sqlite_pass
  if [ "$PG_OK" = 1 ]; then
    echo "== pytest on PostgreSQL"
    postgres_pass
  fi
else
  echo "== pytest on SQLite and on PostgreSQL, at the same time (SQLite's output follows PostgreSQL's)"
  start=$(date +%s)
  sqlite_pass > "$RUNS/sqlite.log" 2>&1 &
  sqlite_pid=$!
  pg_status=0
  postgres_pass || pg_status=$?
  sqlite_status=0
  wait "$sqlite_pid" || sqlite_status=$?
  echo "== pytest on SQLite (exit $sqlite_status)"
  cat "$RUNS/sqlite.log"
  echo "== both passes took $(( $(date +%s) - start )) s; PostgreSQL exit $pg_status, SQLite exit $sqlite_status"
  if [ "$pg_status" != 0 ] || [ "$sqlite_status" != 0 ]; then
    exit 1
  fi
fi
echo "== all passes done"
