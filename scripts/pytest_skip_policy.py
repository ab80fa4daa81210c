"""pytest plugin: in CI, a skip that is not expected on this database pass is a failure.

If Chromium or Playwright broke, every browser test would skip and the run would stay green.
`scripts/test.sh` loads this plugin (`-p pytest_skip_policy`); with `CI=true` it turns each
skip whose reason is not allowed for the current database into a failure. Outside CI (a
developer without Chromium) skips stay skips and are listed by `-rs`.

Allowed: on SQLite, tests that need PostgreSQL (their skip reason names PostgreSQL); on
PostgreSQL, nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from typing import Any

import pytest

ALLOWED_SKIPS = {
    "sqlite": [re.compile(r"PostgreSQL")],
    "postgresql": [],
}


def database() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"


def skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def is_allowed(reason: str, db: str) -> bool:
    return any(pattern.search(reason) for pattern in ALLOWED_SKIPS[db])


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[Any]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if os.environ.get("CI") != "true" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = skip_reason(report)
    db = database()
    if not is_allowed(reason, db):
        report.outcome = "failed"
        report.longrepr = f"unexpected skip on the {db} pass in CI: {reason}"
