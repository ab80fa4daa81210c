"""Register, find, read and edit patients."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import diff, record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import OrgLookup
from mesocare.errors import Invalid
from mesocare.lib.text import digits_only, normalize_search
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.patients.choices import AllergyStatus
from mesocare.patients.models import Patient

DEMOGRAPHIC_FIELDS = {
    "given_name",
    "family_name",
    "birth_date",
    "sex_at_birth",
    "email",
    "phone",
    "preferred_channel",
    "language",
    "address",
    "tax_code",
    "notes",
    "is_active",
}
INTAKE_FIELDS = {
    "pregnancy_status",
    "pregnancy_status_on",
    "breastfeeding",
    "breastfeeding_on",
    "childbearing_potential",
    "childbearing_potential_reason",
    "reliable_contraception",
    "reliable_contraception_on",
}
# Taken at intake (INTAKE_RECORD) but, like allergies, read by every role: not redacted.
ALLERGY_FIELDS = {"allergy_status"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


def _check_birth_date(birth_date: dt.date | None) -> None:
    if birth_date is None:
        return
    if birth_date > timezone.localdate():
        raise Invalid.field("birth_date", _("Birth date cannot be in the future."))
    if birth_date.year < 1900:
        raise Invalid.field("birth_date", _("Birth date must be after 1900."))


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    """A tax code is kept as printed on tax documents: capitals, no spaces."""
    if isinstance(fields.get("tax_code"), str):
        fields["tax_code"] = "".join(fields["tax_code"].split()).upper()
    return fields


@transaction.atomic
def register_patient(actor: Actor, **fields: Any) -> Patient:
    actor.require(Perm.PATIENT_EDIT)
    fields = _normalised(fields)
    unknown = set(fields) - DEMOGRAPHIC_FIELDS - INTAKE_FIELDS - ALLERGY_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("Unknown field."))
    if set(fields) & (INTAKE_FIELDS | ALLERGY_FIELDS):
        actor.require(Perm.INTAKE_RECORD)
    _check_birth_date(fields.get("birth_date"))
    allergy_status = fields.pop("allergy_status", None)
    patient = Patient(organization_id=actor.org_id, **fields)
    if allergy_status is not None:
        stamp_allergy_status(actor, patient, allergy_status, has_active=False)
    _stamp_intake_dates(patient, fields)
    full_clean_or_invalid(patient, exclude=["organization"])
    patient.save()
    record(actor, AuditAction.CREATE, patient, patient_id=patient.pk, summary=str(patient))
    return patient


def stamp_allergy_status(
    actor: Actor,
    patient: Patient,
    status: str,
    *,
    has_active: bool,
    patient_reported: bool = False,
) -> None:
    """Set the allergy status with who answered and when. "Has allergies" comes with an
    allergy on file (recording one sets it); "none known" or "not asked" cannot stand next
    to an active allergy (end it first, so nothing turns into NKA silently)."""
    if status == AllergyStatus.HAS_ALLERGIES and not has_active:
        raise Invalid.field(
            "allergy_status", _("Record the allergy itself: adding an allergy sets this status.")
        )
    if status != AllergyStatus.HAS_ALLERGIES and has_active:
        raise Invalid.field(
            "allergy_status",
            _("This patient has allergies on file: end them before recording this answer."),
        )
    patient.allergy_status = status
    patient.allergy_status_by = actor.user
    patient.allergy_status_at = timezone.now()
    patient.allergy_status_patient_reported = patient_reported


def _stamp_intake_dates(patient: Patient, changes: dict[str, Any]) -> None:
    today = timezone.localdate()
    if "pregnancy_status" in changes and "pregnancy_status_on" not in changes:
        patient.pregnancy_status_on = today
    if "breastfeeding" in changes and "breastfeeding_on" not in changes:
        patient.breastfeeding_on = today
    if "reliable_contraception" in changes and "reliable_contraception_on" not in changes:
        patient.reliable_contraception_on = today
    if changes.get("childbearing_potential") not in (None, "no"):
        patient.childbearing_potential_reason = ""


@transaction.atomic
def update_patient(actor: Actor, patient: Patient, **changes: Any) -> Patient:
    actor.require(Perm.PATIENT_EDIT)
    changes = _normalised(changes)
    unknown = set(changes) - DEMOGRAPHIC_FIELDS - INTAKE_FIELDS - ALLERGY_FIELDS
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("Unknown field."))
    if set(changes) & (INTAKE_FIELDS | ALLERGY_FIELDS):
        actor.require(Perm.INTAKE_RECORD)
    _check_birth_date(changes.get("birth_date"))
    patient = Patient.objects.select_for_update().for_org(actor.org_id).get(pk=patient.pk)
    allergy_status = changes.pop("allergy_status", None)
    before = {k: getattr(patient, k) for k in changes}
    for key, value in changes.items():
        setattr(patient, key, value)
    if allergy_status is not None and (
        allergy_status != patient.allergy_status or allergy_status != AllergyStatus.UNKNOWN
    ):
        # Asking again and hearing the same answer is recorded too (who, when).
        before |= {"allergy_status": patient.allergy_status}
        before["allergy_status_at"] = patient.allergy_status_at
        has_active = patient.allergies.filter(is_active=True).exists()
        stamp_allergy_status(actor, patient, allergy_status, has_active=has_active)
    _stamp_intake_dates(patient, changes)
    full_clean_or_invalid(patient, exclude=["organization"])
    changed = diff_values(before, patient)
    if changed:
        patient.save()
        record(actor, AuditAction.UPDATE, patient, patient_id=patient.pk, changes=changed)
    return patient


def diff_values(before: dict[str, Any], patient: Patient) -> dict[str, Any]:
    fake = Patient(**before)
    return diff(fake, {k: getattr(patient, k) for k in before})


# Every patient page's read, compiled once per process (mesocare.lib.compiled_query).
_PATIENT = OrgLookup(Patient)


def get_patient(actor: Actor, pk: Any, *, channel: str = "api") -> Patient:
    """Open a patient's record: scoped to the organization and audited as a read."""
    actor.require(Perm.PATIENT_VIEW)
    patient = _PATIENT(actor.org_id, pk)
    record(
        actor,
        AuditAction.READ,
        patient,
        patient_id=patient.pk,
        summary=str(patient),
        channel=channel,
    )
    return patient


def parse_date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def search_patients(
    actor: Actor, q: str = "", *, include_inactive: bool = False
) -> QuerySet[Patient]:
    """Name prefix (accent/case-insensitive, every word must match), birth date, or phone."""
    actor.require(Perm.PATIENT_VIEW)
    qs = Patient.objects.for_org(actor.org_id)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    q = q.strip()
    if not q:
        return qs.order_by("family_norm", "given_norm", "id")
    birth_date = parse_date(q)
    if birth_date is not None:
        return qs.filter(birth_date=birth_date).order_by("family_norm", "given_norm", "id")
    digits = digits_only(q)
    if len(digits) >= 4 and len(digits) >= len(q.replace(" ", "").replace("+", "")) - 2:
        return qs.filter(prefix_range("phone_digits", digits)).order_by(
            "family_norm", "given_norm", "id"
        )
    for word in normalize_search(q).split()[:4]:
        qs = qs.filter(
            prefix_range("family_norm", word)
            | prefix_range("given_norm", word)
            | prefix_range("family_tail", word)
        )
    # Sorting on an expression, not the columns: otherwise PostgreSQL walks the family-name
    # index in order and filters most of the table to find a given-name prefix late in the
    # alphabet; this way it unions the three prefix ranges and sorts only the matches.
    # \x01 sorts below every search-key character, so the order is (family, given).
    name_order = Concat("family_norm", Value("\x01"), "given_norm", output_field=CharField())
    return qs.order_by(name_order, "id")


def prefix_range(field: str, prefix: str) -> Q:
    """`field` starts with `prefix`, as a b-tree range: the search keys are [a-z0-9 ] compared
    byte-wise (binary on SQLite, C collation on PostgreSQL), so 'ros' <= key < 'rot'."""
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": upper})
