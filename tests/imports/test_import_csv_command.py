"""`mesocare import csv`: the same import from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from mesocare.cli import main
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

CSV = "ref;first name;last name;dob;gender;Allergies\nr1;Anna;Bianchi;1985-03-12;F;Nickel\n"


def _file(tmp_path: Path, text: str = CSV, encoding: str = "utf-8") -> str:
    path = tmp_path / "patients.csv"
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_a_dry_run_then_an_import_then_nothing_new(
    clinic: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "import",
        "csv",
        _file(tmp_path),
        "--kind=patients",
        "--org=alpha",
        "--user=admin@alpha.test",
        "--source=Old",
        "--map",
        "external_id=ref",
    ]
    call_command("import_csv", *args[2:], "--dry-run")
    assert "Would import patients.csv: 1 created" in capsys.readouterr().out
    assert not Patient.objects.filter(family_name="Bianchi").exists()
    call_command("import_csv", *args[2:])
    assert "Imported patients.csv: 1 created" in capsys.readouterr().out
    call_command("import_csv", *args[2:])
    assert "0 created, 0 linked to patients on file, 1 already imported" in capsys.readouterr().out
    assert Patient.objects.filter(family_name="Bianchi").count() == 1


def test_mesocare_import_csv_forwards_to_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    main(["import", "csv", "f.csv", "--kind=patients"])
    main(["fhir", "import", "dir", "--org=x"])
    assert seen == [
        ["mesocare import", "import_csv", "f.csv", "--kind=patients"],
        ["mesocare fhir", "fhir_import", "dir", "--org=x"],
    ]


def test_errors_are_messages_not_tracebacks(clinic: Any, tmp_path: Path) -> None:
    common = ["--kind=patients", "--org=alpha", "--source=Old"]
    with pytest.raises(CommandError, match="not a member"):
        call_command("import_csv", _file(tmp_path), *common, "--user=nobody@x.test")
    with pytest.raises(CommandError, match="Windows-1252"):
        call_command(
            "import_csv",
            _file(tmp_path, CSV.replace("Anna", "Zoë"), "cp1252"),
            *common,
            "--user=admin@alpha.test",
        )
    with pytest.raises(CommandError, match="external_id: Choose the column"):
        call_command(
            "import_csv",
            _file(tmp_path),
            *common,
            "--user=admin@alpha.test",
            "--map",
            "external_id=",
        )
    assert not Patient.objects.filter(family_name="Bianchi").exists()
