"""The CI skip policy: an unexpected skip fails the run in CI and only there."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
SAMPLE = """
import pytest

def test_runs():
    pass

def test_browser():
    pytest.skip("chromium is not installed")

def test_concurrency():
    pytest.skip("needs PostgreSQL: SQLite serializes every writer")

@pytest.mark.xfail(reason="known")
def test_known_bug():
    assert False
"""


def run(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    environ = {k: v for k, v in os.environ.items() if k not in ("CI", "DATABASE_URL")}
    environ.update(env, PYTHONPATH=str(SCRIPTS))
    return subprocess.run(
        [
            str(Path(sys.executable).absolute()),  # a venv's relative path breaks under cwd
            "-m",
            "pytest",
            "-p",
            "pytest_skip_policy",
            "-rs",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:django",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=environ,
        cwd=tmp_path,
    )


def test_in_ci_a_browser_skip_fails_the_run(tmp_path):
    result = run(tmp_path, CI="true")
    assert result.returncode == 1, result.stdout
    assert "1 failed, 1 passed, 1 skipped, 1 xfailed" in result.stdout
    assert "unexpected skip on the sqlite pass in CI: chromium is not installed" in result.stdout


def test_in_ci_on_postgresql_even_a_postgresql_only_skip_fails(tmp_path):
    result = run(tmp_path, CI="true", DATABASE_URL="postgres://postgres@127.0.0.1/x")
    assert "2 failed, 1 passed, 1 xfailed" in result.stdout, result.stdout


def test_outside_ci_skips_stay_skips_and_are_listed(tmp_path):
    result = run(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "1 passed, 2 skipped, 1 xfailed" in result.stdout
    assert "SKIPPED" in result.stdout and "chromium is not installed" in result.stdout
