"""Who may do what: the role → permission matrix (documented in docs/permissions.md)."""

from __future__ import annotations

from enum import StrEnum

from mesocare.clinics.choices import Role

# Not a permission: what an API operation declares when any member of the organization may
# call it (catalog and scale reads, the caller's own profile).
MEMBER = "member"


class Perm(StrEnum):
    PATIENT_VIEW = "patient.view"
    PATIENT_EDIT = "patient.edit"
    ALLERGY_VIEW = "allergy.view"
    INTAKE_RECORD = "intake.record"
    CLINICAL_VIEW = "clinical.view"
    CLINICAL_EDIT = "clinical.edit"
    ORG_VIEW = "org.view"
    ORG_MANAGE = "org.manage"
    STAFF_MANAGE = "staff.manage"
    AUDIT_VIEW = "audit.view"
    STOCK_VIEW = "stock.view"
    STOCK_EDIT = "stock.edit"
    STOCK_RECALL = "stock.recall"
    SAFETY_CHECK = "safety.check"
    SAFETY_OVERRIDE = "safety.override"
    CATALOG_MANAGE = "catalog.manage"
    SCHEDULE_VIEW = "schedule.view"
    SCHEDULE_EDIT = "schedule.edit"
    # The till (mesocare.billing).
    BILLING_VIEW = "billing.view"
    BILLING_CHARGE = "billing.charge"
    PRICE_MANAGE = "billing.prices"
    CREDIT_ISSUE = "billing.credit"


_ALL_READS = {
    Perm.PATIENT_VIEW,
    Perm.ALLERGY_VIEW,
    Perm.CLINICAL_VIEW,
    Perm.ORG_VIEW,
    Perm.STOCK_VIEW,
    Perm.SCHEDULE_VIEW,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.ADMIN: frozenset(Perm),
    Role.PRACTITIONER: frozenset(
        _ALL_READS
        | {
            Perm.PATIENT_EDIT,
            Perm.INTAKE_RECORD,
            Perm.CLINICAL_EDIT,
            Perm.SAFETY_CHECK,
            Perm.SAFETY_OVERRIDE,
            Perm.STOCK_EDIT,
            Perm.STOCK_RECALL,
            # Copy a curated protocol and edit the clinic's copy.
            Perm.CATALOG_MANAGE,
            # Book, move, check in and complete appointments.
            Perm.SCHEDULE_EDIT,
        }
    ),
    # Reception registers patients and records intake answers, but does not read clinical
    # history back; allergies stay visible to every role because they are safety-critical.
    Role.RECEPTION: frozenset(
        {
            Perm.PATIENT_VIEW,
            Perm.PATIENT_EDIT,
            Perm.ALLERGY_VIEW,
            Perm.INTAKE_RECORD,
            Perm.ORG_VIEW,
            # Booking and check-in run the safety check; overriding a block is clinical.
            Perm.SAFETY_CHECK,
            # Reception receives deliveries.
            Perm.STOCK_VIEW,
            Perm.STOCK_EDIT,
            # The front desk runs the calendar: booking, moving, check-in, waitlist.
            Perm.SCHEDULE_VIEW,
            Perm.SCHEDULE_EDIT,
            # The till: sell packages, issue invoices, take payments and pay out refunds of
            # credit notes; prices and credit notes stay with the admin.
            Perm.BILLING_VIEW,
            Perm.BILLING_CHARGE,
        }
    ),
    Role.AUDITOR: frozenset(_ALL_READS | {Perm.AUDIT_VIEW, Perm.BILLING_VIEW}),
}


def role_has(role: str, perm: Perm) -> bool:
    return perm in ROLE_PERMISSIONS.get(role, frozenset())
