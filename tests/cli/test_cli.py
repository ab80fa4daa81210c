"""The `mesocare` command: tokens, seeding, demo data, production checks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from mesocare.cli import main
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_working_bearer_token(clinic: Any) -> None:
    out = io.StringIO()
    call_command("create_token", user="practitioner@alpha.test", stdout=out)
    token = out.getvalue().strip()
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["role"] == "practitioner"
    assert response.json()["organization"]["slug"] == "alpha"


def test_token_create_for_an_unknown_user_fails_clearly(db: Any) -> None:
    with pytest.raises(CommandError, match="No active membership"):
        call_command("create_token", user="nobody@example.org")


def test_cli_token_create_goes_through_the_console_script(clinic: Any, capsys: Any) -> None:
    main(["token", "create", "--user", "admin@alpha.test", "--org", "alpha"])
    assert capsys.readouterr().out.strip().startswith("mc_")


def test_seed_adds_searchable_synthetic_patients(clinic: Any) -> None:
    call_command("seed_patients", patients=1200, org="alpha", stdout=io.StringIO())
    assert Patient.objects.filter(organization=clinic.org).count() == 1201
    sample = Patient.objects.filter(organization=clinic.org).exclude(pk=clinic.patient.pk).first()
    assert sample is not None and sample.family_norm and sample.phone_digits


def test_seed_refuses_an_unknown_organization(db: Any) -> None:
    with pytest.raises(CommandError, match="No organization"):
        call_command("seed_patients", patients=10, org="nope")


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run(
        [sys.executable, "-m", "mesocare", *args],
        capture_output=True,
        text=True,
        env={**inherited, **env},
        timeout=120,
        check=False,
    )


def test_deploy_check_is_clean_in_production_mode(tmp_path: Any) -> None:
    result = _run(
        ["manage", "check", "--deploy", "--fail-level", "WARNING"],
        MESOCARE_PROD="1",
        SECRET_KEY="x" * 64 + "-a-long-random-production-secret-key",
        ALLOWED_HOSTS="clinic.example.org",
        MESOCARE_VAR_DIR=str(tmp_path),
        DEBUG="0",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Any) -> None:
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "-m", "mesocare", "manage", "check"],
        capture_output=True, text=True, timeout=120, check=False,
        env={**env, "MESOCARE_PROD": "1", "MESOCARE_VAR_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_a_bad_boolean_setting_fails_loudly(tmp_path: Any) -> None:
    result = _run(["manage", "check"], DEBUG="maybe", MESOCARE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr
