#!/usr/bin/env bash
# make test: lint, then pytest on SQLite, then pytest on PostgreSQL.
# PostgreSQL: $TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/mesocare.
# pytest-django creates and drops a throw-away database named test_<name>.
# If PostgreSQL is unreachable the pass is skipped loudly, except with CI=true, where it fails.
# Every pass lists its skips (-rs); with CI=true a skip that is not expected on that database
# fails the run (scripts/pytest_skip_policy.py): a broken Chromium cannot turn CI green.
set -euo pipefail
VENV=${VENV:-.venv}
export PATH="$VENV/bin:$PATH"
PG_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mesocare}
PYTEST_ARGS=${PYTEST_ARGS:-}
export PYTHONPATH="scripts${PYTHONPATH:+:$PYTHONPATH}"
POLICY="-rs -p pytest_skip_policy"

echo "== lint"
make --no-print-directory lint VENV="$VENV"

echo "== pytest on SQLite"
env -u DATABASE_URL python -m pytest -q $POLICY $PYTEST_ARGS

echo "== pytest on PostgreSQL"
if python - "$PG_URL" <<'PY'
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
then
  DATABASE_URL="$PG_URL" python -m pytest -q --create-db $POLICY $PYTEST_ARGS
else
  if [ "${CI:-}" = "true" ]; then
    echo "!! PostgreSQL is unreachable and CI=true: failing." >&2
    exit 1
  fi
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
  echo "!! PostgreSQL is unreachable at $PG_URL: the PostgreSQL pass is SKIPPED. !!" >&2
  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!" >&2
fi
echo "== all passes done"
