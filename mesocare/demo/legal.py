"""The demo clinic's legal details, so that its invoices print and export as e-invoices."""

from __future__ import annotations

from mesocare.clinics.actor import Actor
from mesocare.clinics.legal import legal_details, save_legal_details

# A fictional company; the VAT number and REA are made up (the VAT number's check digit is
# valid so that it passes the same checks as a real one).
DEMO_LEGAL_DETAILS = {
    "legal_name": "Demo Mesotherapy Clinic S.r.l.",
    "vat_number": "IT12345670017",
    "tax_code": "12345670017",
    "address_line1": "Via Dante 12",
    "postcode": "20121",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "tax_regime": "RF01",
    "rea_office": "MI",
    "rea_number": "1234567",
    "iban": "IT60X0542811101000000123456",
    "email": "billing@demo.mesocare.test",
    "default_recipient_code": "0000000",
}


def load_legal_details(admin: Actor) -> None:
    """Enter the legal details once; an admin's later changes are kept."""
    if legal_details(admin.org_id) is None:
        save_legal_details(admin, **DEMO_LEGAL_DETAILS)
