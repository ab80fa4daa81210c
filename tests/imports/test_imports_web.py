"""The import page (Organization → Import): upload, column mapping, preview, dry run, import."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from mesocare.imports.models import ImportedRecord, ImportUpload
from mesocare.patients.models import Allergy, Patient

pytestmark = pytest.mark.django_db

CSV = (
    "Codice,Nome,Cognome,Nato il,Sesso,Allergie\n"
    "c1,Anna,Bianchi,1985-03-12,F,Nickel\n"
    "c2,Bad,Date,1985-13-12,F,\n"
)


def signed_in(clinic: Any, role: str = "admin") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def upload(client: Client, data: bytes, **extra: str) -> Any:
    return client.post(
        "/org/imports",
        {
            "kind": "patients",
            "source": "Gestionale X",
            "encoding": "auto",
            "file": SimpleUploadedFile("pazienti.csv", data, "text/csv"),
            **extra,
        },
    )


def test_upload_preview_dry_run_and_import(clinic: Any, django_assert_max_num_queries: Any) -> None:
    client = signed_in(clinic)
    response = upload(client, CSV.encode())
    assert response.status_code == 302
    detail = response["Location"]
    with django_assert_max_num_queries(12):
        page = client.get(detail)
    html = page.content.decode()
    assert page.status_code == 200
    assert '<option value="Nome" selected>' in html  # guessed mapping
    assert "Bianchi" in html and "Preview" in html

    mapping = {
        "external_id": "Codice",
        "given_name": "Nome",
        "family_name": "Cognome",
        "birth_date": "Nato il",
        "sex_at_birth": "Sesso",
        "allergies": "Allergie",
    }
    response = client.post(detail, {**mapping, "action": "dry_run"})
    assert response.status_code == 302
    html = client.get(detail).content.decode()
    assert "Dry run" in html and "1 created" in html and "1 skipped" in html
    assert not Patient.objects.filter(family_name="Bianchi").exists()

    response = client.post(detail, {**mapping, "action": "import"}, follow=True)
    html = response.content.decode()
    assert "Import report" in html and "is not a date" in html
    anna = Patient.objects.for_org(clinic.org).get(family_name="Bianchi")
    assert Allergy.objects.filter(patient=anna, substance="Nickel").exists()
    upload_row = ImportUpload.objects.get()
    assert upload_row.status == "imported" and bytes(upload_row.content) == b""
    # Posting again (a double click) imports nothing twice.
    response = client.post(detail, {**mapping, "action": "import"})
    assert Patient.objects.for_org(clinic.org).filter(family_name="Bianchi").count() == 1
    with django_assert_max_num_queries(10):
        assert client.get("/org/imports").status_code == 200


def test_a_required_field_left_unmapped_is_shown_next_to_the_field(clinic: Any) -> None:
    client = signed_in(clinic)
    detail = upload(client, CSV.encode())["Location"]
    response = client.post(detail, {"external_id": "Codice", "action": "import"})
    assert response.status_code == 422
    assert "id_given_name_error" in response.content.decode()
    assert not ImportedRecord.objects.exists()


def test_an_oversized_upload_is_refused_with_a_message_and_nothing_is_kept(
    clinic: Any, settings: Any
) -> None:
    settings.IMPORT_MAX_BYTES = 64
    response = upload(signed_in(clinic), CSV.encode())
    assert response.status_code == 422
    assert "files up to 64" in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_file_in_another_encoding_asks_for_it(clinic: Any) -> None:
    client = signed_in(clinic)
    data = "id,given name,family name,birth date,sex\n1,Zoë,Müller,1980-01-01,F\n".encode("cp1252")
    response = upload(client, data)
    assert response.status_code == 422
    assert "Windows-1252" in response.content.decode()
    assert upload(client, data, encoding="cp1252").status_code == 302


def test_only_admins_see_the_page_and_other_organizations_uploads_are_404(
    clinic: Any, other_clinic: Any
) -> None:
    assert signed_in(clinic, "reception").get("/org/imports").status_code == 403
    detail = upload(signed_in(clinic), CSV.encode())["Location"]
    assert signed_in(other_clinic).get(detail).status_code == 404
