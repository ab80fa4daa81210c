"""Organization → Legal details: admins enter the clinic's seller details, auditors read them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image

from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import LegalDetails

pytestmark = pytest.mark.django_db

VALID = {
    "legal_name": "Clinica Mesocare Milano S.r.l.",
    "vat_number": "IT 12345670017",
    "tax_code": "12345670017",
    "address_line1": "Via Brera 12",
    "address_line2": "",
    "postcode": "20121",
    "city": "Milano",
    "province": "mi",
    "country": "it",
    "tax_regime": "RF01",
    "rea_office": "MI",
    "rea_number": "1234567",
    "iban": "IT60 X054 2811 1010 0000 0123 456",
    "email": "amministrazione@example.org",
    "default_recipient_code": "0000000",
}


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def test_admin_enters_the_legal_details_and_they_are_audited(clinic: Any) -> None:
    response = _client(clinic, "admin").post("/org/legal", VALID)
    assert response.status_code == 302
    details = LegalDetails.objects.get(organization=clinic.org)
    assert details.vat_number == "IT12345670017"
    assert details.iban == "IT60X0542811101000000123456"
    assert (details.province, details.country) == ("MI", "IT")
    assert AuditEvent.objects.filter(
        organization_id=clinic.org.pk, object_type__icontains="legaldetails"
    ).exists()
    changed = {**VALID, "city": "Milano (MI)", "postcode": "20122"}
    assert _client(clinic, "admin").post("/org/legal", changed).status_code == 302
    details.refresh_from_db()
    assert details.postcode == "20122"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("vat_number", "IT12345670018", "valid VAT number"),
        ("postcode", "2012", "five digits"),
        ("tax_code", "XYZ", "codice fiscale"),
        ("iban", "IT00X0542811101000000123456", "valid IBAN"),
        ("default_recipient_code", "ABC", "seven letters or digits"),
        ("legal_name", "", "This field is required"),
    ],
)
def test_bad_details_re_render_with_the_error_beside_the_field(
    clinic: Any, field: str, value: str, message: str
) -> None:
    response = _client(clinic, "admin").post("/org/legal", {**VALID, field: value})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'id="id_{field}"' in html
    assert not LegalDetails.objects.filter(organization=clinic.org).exists()


def test_logo_upload_is_stored_for_the_letterhead(clinic: Any) -> None:
    image = Image.new("RGB", (120, 40), "navy")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "logo.png"
    response = _client(clinic, "admin").post("/org/legal", {**VALID, "logo": buffer})
    assert response.status_code == 302
    clinic.org.refresh_from_db()
    assert clinic.org.logo
    page = _client(clinic, "admin").get("/org/legal").content.decode()
    assert 'class="logo-preview" src="data:image/png;base64,' in page


def test_auditor_reads_without_a_form_and_reception_is_refused(clinic: Any) -> None:
    _client(clinic, "admin").post("/org/legal", VALID)
    page = _client(clinic, "auditor").get("/org/legal")
    assert page.status_code == 200
    assert "IT12345670017" in page.content.decode()
    assert '<form method="post" enctype' not in page.content.decode()
    assert _client(clinic, "auditor").post("/org/legal", VALID).status_code in (200, 403)
    assert _client(clinic, "reception").get("/org/legal").status_code == 403


def test_page_query_bound(clinic: Any, django_assert_max_num_queries: Any) -> None:
    _client(clinic, "admin").post("/org/legal", VALID)
    client = _client(clinic, "admin")
    with django_assert_max_num_queries(12):
        assert client.get("/org/legal").status_code == 200
