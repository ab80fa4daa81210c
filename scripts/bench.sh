#!/usr/bin/env bash
# make bench: run every benchmark script; each prints its numbers and ratios.
set -uo pipefail
VENV=${VENV:-.venv}
status=0
for script in bench/*.py; do
  case "$(basename "$script")" in _*) continue ;; esac
  echo "== $script"
  "$VENV/bin/python" "$script" || status=1
done
exit $status
