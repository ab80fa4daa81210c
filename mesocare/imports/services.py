"""Switching import: patients (with allergies, medications and conditions), future
appointments and stock lots from another system's CSV files.

Every row is validated; a row that cannot be imported is skipped and reported with its reasons.
A file is imported in one transaction (each row in a savepoint), so an unexpected failure leaves
nothing behind, and a dry run does all the work and rolls it back, so its report is exactly what
the import would do. Each row carries the other system's id; (organization, source, kind,
external id) is remembered, so importing the same file again changes nothing. A patient who is
already on file (same birth date and same name, phone or email) is linked, not created twice.
Rows go through the same services as the staff screens, so they are validated and audited the
same way."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Product
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError, Invalid
from mesocare.imports.choices import ImportKind, UploadStatus
from mesocare.imports.csvfile import Table, read_table
from mesocare.imports.models import ImportedRecord, ImportUpload
from mesocare.imports.specs import fields_for
from mesocare.inventory.services.stock import receive_stock, visible_products
from mesocare.lib.text import normalize_search
from mesocare.patients.choices import AllergySeverity, ConditionCode, DrugClass, SexAtBirth
from mesocare.patients.models import Allergy, Condition, Medication, Patient
from mesocare.patients.services import records
from mesocare.patients.services.duplicates import possible_duplicates
from mesocare.patients.services.registry import parse_date, register_patient
from mesocare.scheduling.services.appointments import book_appointment

KIND_PERMISSIONS: dict[str, tuple[Perm, ...]] = {
    ImportKind.PATIENTS: (Perm.PATIENT_EDIT, Perm.INTAKE_RECORD),
    ImportKind.APPOINTMENTS: (Perm.SCHEDULE_EDIT,),
    ImportKind.STOCK_LOTS: (Perm.STOCK_EDIT,),
}
SOURCE_PATTERN = re.compile(r"^[\w .\-]{1,64}$")
PREVIEW_ROWS = 20

CREATED, MATCHED, UNCHANGED, SKIPPED = "created", "matched", "unchanged", "skipped"


@dataclass
class RowOutcome:
    line: int
    external_id: str
    status: str
    label: str = ""
    reasons: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    kind: str
    source: str
    dry_run: bool
    rows: list[RowOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {s: self.count(s) for s in (CREATED, MATCHED, UNCHANGED, SKIPPED)}

    @property
    def skipped(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.status == SKIPPED]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportReport:
        rows = [RowOutcome(**row) for row in data.get("rows", [])]
        return cls(data["kind"], data["source"], data["dry_run"], rows)


class RowSkipped(Exception):
    def __init__(self, *reasons: str) -> None:
        super().__init__(reasons[0] if reasons else "")
        self.reasons = list(reasons)


class _RollBack(Exception):
    pass


def require_import(actor: Actor, kind: str) -> None:
    actor.require(Perm.ORG_MANAGE)
    if kind not in KIND_PERMISSIONS:
        raise Invalid.field("kind", _("Choose what the file holds."))
    for perm in KIND_PERMISSIONS[kind]:
        actor.require(perm)


def clean_source(source: str) -> str:
    source = source.strip()
    if not SOURCE_PATTERN.match(source):
        raise Invalid.field(
            "source",
            _("Name the system the file comes from (letters, digits, spaces, dots, dashes)."),
        )
    return source


def check_mapping(kind: str, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """field → column, every required field mapped to a column of the file."""
    known = {f.name: f for f in fields_for(kind)}
    clean: dict[str, str] = {}
    errors = []
    for name, column in mapping.items():
        if name not in known:
            errors.append({"field": name, "message": _("Unknown field.")})
        elif column:
            if column not in headers:
                errors.append({"field": name, "message": _("The file has no column %s.") % column})
            else:
                clean[name] = column
    for spec in known.values():
        if (
            spec.required
            and spec.name not in clean
            and not any(e["field"] == spec.name for e in errors)
        ):
            errors.append(
                {"field": spec.name, "message": _("Choose the column that holds this field.")}
            )
    if errors:
        raise Invalid("mapping_incomplete", errors[0]["message"], errors=errors)
    return clean


def import_table(
    actor: Actor,
    *,
    kind: str,
    source: str,
    table: Table,
    mapping: dict[str, str],
    dry_run: bool = False,
    channel: str = "cli",
) -> ImportReport:
    """Import every row of `table` (or, with `dry_run`, report what that would do)."""
    require_import(actor, kind)
    source = clean_source(source)
    mapping = check_mapping(kind, table.headers, mapping)
    columns = {name: table.headers.index(column) for name, column in mapping.items()}
    importer = _IMPORTERS[kind]
    report = ImportReport(kind, source, dry_run)
    try:
        with transaction.atomic():
            seen: set[str] = set()
            for index, cells in enumerate(table.rows):
                values = {name: cells[col] for name, col in columns.items()}
                outcome = RowOutcome(table.line_number(index), values.get("external_id", ""), "")
                report.rows.append(outcome)
                try:
                    import_row(actor, importer, source, kind, values, outcome, seen)
                except RowSkipped as exc:
                    outcome.status, outcome.reasons = SKIPPED, exc.reasons
                except DomainError as exc:
                    outcome.status = SKIPPED
                    outcome.reasons = _reasons(exc)
            record(
                actor,
                AuditAction.CREATE,
                actor.organization,
                summary=(
                    f"switching import of {kind} from {source}: "
                    + ", ".join(f"{v} {k}" for k, v in report.counts.items())
                ),
                channel=channel,
            )
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return report


def _reasons(exc: DomainError) -> list[str]:
    if exc.errors:
        return [
            f"{e['field']}: {e['message']}" if e.get("field") else e["message"] for e in exc.errors
        ]
    return [exc.message]


Importer = Callable[[Actor, str, dict[str, str], RowOutcome], tuple[int, bool]]


def import_row(
    actor: Actor,
    importer: Importer,
    source: str,
    kind: str,
    values: dict[str, str],
    outcome: RowOutcome,
    seen: set[str],
) -> None:
    external_id = values.get("external_id", "")
    if not external_id:
        raise RowSkipped(_("The row has no external id."))
    if len(external_id) > 128:
        raise RowSkipped(_("The external id is longer than 128 characters."))
    if external_id in seen:
        raise RowSkipped(_("Another row of this file has the same external id."))
    seen.add(external_id)
    done = ImportedRecord.objects.for_org(actor.org_id).filter(
        source=source, kind=kind, external_id=external_id
    )
    if done.exists():
        outcome.status = UNCHANGED
        outcome.label = _("already imported")
        return
    with transaction.atomic():  # a savepoint: a refused row leaves nothing behind
        object_id, matched = importer(actor, source, values, outcome)
        ImportedRecord.objects.create(
            organization_id=actor.org_id,
            source=source,
            kind=kind,
            external_id=external_id,
            object_id=object_id,
            matched_existing=matched,
        )
    outcome.status = MATCHED if matched else CREATED


# -- values ---------------------------------------------------------------------------------

SEX_WORDS: dict[str, tuple[str, ...]] = {
    SexAtBirth.FEMALE: ("f", "female", "woman", "femmina", "donna", "w", "d"),
    SexAtBirth.MALE: ("m", "male", "man", "maschio", "uomo"),
    SexAtBirth.INTERSEX: ("x", "intersex", "intersessuale"),
    SexAtBirth.UNKNOWN: ("u", "unknown", "sconosciuto", "non noto", "n d"),
}


def _choice_lookup(choices: Any, extra: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """Folded code, English label and current-language label → code."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        for word in (value, value.replace("_", " "), str(label)):
            lookup[normalize_search(word)] = value
    for value, words in (extra or {}).items():
        for word in words:
            lookup[normalize_search(word)] = value
    return lookup


def _sex(text: str) -> str:
    code = _choice_lookup(SexAtBirth, SEX_WORDS).get(normalize_search(text))
    if code is None:
        raise RowSkipped(_("Sex at birth '%s' is not female, male, intersex or unknown.") % text)
    return code


def _date(text: str, label: str) -> dt.date:
    value = parse_date(text) if text else None
    if value is None:
        raise RowSkipped(
            _("%(field)s '%(value)s' is not a date (YYYY-MM-DD or DD/MM/YYYY).")
            % {"field": label, "value": text}
        )
    return value


def _entries(text: str) -> list[tuple[str, str]]:
    """'a; b: detail' → [('a', ''), ('b', 'detail')]."""
    out = []
    for part in text.split(";"):
        name, _sep, detail = part.partition(":")
        if name.strip():
            out.append((name.strip(), detail.strip()))
    return out


# -- patients -------------------------------------------------------------------------------


def import_patient(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    given, family = values.get("given_name", ""), values.get("family_name", "")
    if not given or not family:
        raise RowSkipped(_("Given and family name are both needed."))
    outcome.label = f"{given} {family}"
    birth_date = _date(values.get("birth_date", ""), _("Birth date"))
    sex = _sex(values.get("sex_at_birth", ""))
    allergies = [
        (substance, _allergy_severity(detail))
        for substance, detail in _entries(values.get("allergies", ""))
    ]
    medications = [
        (name, _drug_class(detail)) for name, detail in _entries(values.get("medications", ""))
    ]
    conditions = [_condition(name) for name, _d in _entries(values.get("conditions", ""))]
    email, phone = values.get("email", ""), values.get("phone", "")
    existing = possible_duplicates(
        actor.org_id,
        given_name=given,
        family_name=family,
        birth_date=birth_date,
        phone=phone,
        email=email,
    ).first()
    if existing is not None:
        patient, matched = existing, True
        outcome.reasons.append(
            _("Linked to %(name)s (born %(born)s), already on file.")
            % {"name": existing.full_name, "born": existing.birth_date.isoformat()}
        )
    else:
        demographics = {
            "given_name": given,
            "family_name": family,
            "birth_date": birth_date,
            "sex_at_birth": sex,
            "email": email,
            "phone": phone,
            "address": values.get("address", ""),
            "notes": values.get("notes", ""),
        }
        if not email and phone:
            demographics["preferred_channel"] = "sms"
        patient, matched = register_patient(actor, **demographics), False
    _add_history(actor, patient, allergies, medications, conditions)
    return patient.pk, matched


def _allergy_severity(text: str) -> str:
    if not text:
        return AllergySeverity.UNKNOWN
    code = _choice_lookup(AllergySeverity).get(normalize_search(text))
    if code is None:
        raise RowSkipped(_("Allergy severity '%s' is not known.") % text)
    return code


def _drug_class(text: str) -> str:
    if not text:
        return DrugClass.OTHER
    code = _choice_lookup(DrugClass).get(normalize_search(text))
    if code is None:
        raise RowSkipped(_("Medication class '%s' is not known.") % text)
    return code


def _condition(text: str) -> str:
    code = _choice_lookup(ConditionCode).get(normalize_search(text))
    if code is None:
        raise RowSkipped(
            _("Condition '%(name)s' is not one mesocare records (%(known)s).")
            % {"name": text, "known": ", ".join(str(label) for _v, label in ConditionCode.choices)}
        )
    return code


def _add_history(
    actor: Actor,
    patient: Patient,
    allergies: list[tuple[str, str]],
    medications: list[tuple[str, str]],
    conditions: list[str],
) -> None:
    """Add what the patient's chart does not hold yet (a linked patient keeps what is on file)."""
    base = {"organization_id": actor.org_id, "patient": patient, "is_active": True}
    have = {
        normalize_search(s)
        for s in Allergy.objects.filter(**base).values_list("substance", flat=True)
    }
    for substance, severity in allergies:
        if normalize_search(substance) not in have:
            records.add_allergy(actor, patient, substance=substance, severity=severity)
            have.add(normalize_search(substance))
    have = {
        normalize_search(n)
        for n in Medication.objects.filter(**base).values_list("name", flat=True)
    }
    for name, drug_class in medications:
        if normalize_search(name) not in have:
            records.add_medication(actor, patient, name=name, drug_class=drug_class)
            have.add(normalize_search(name))
    have = set(Condition.objects.filter(**base).values_list("code", flat=True))
    for code in conditions:
        if code not in have:
            records.add_condition(actor, patient, code=code)
            have.add(code)


# -- appointments ---------------------------------------------------------------------------


def _import_appointment(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    link = (
        ImportedRecord.objects.for_org(actor.org_id)
        .filter(source=source, kind=ImportKind.PATIENTS, external_id=values["patient_external_id"])
        .first()
    )
    patient = (
        Patient.objects.for_org(actor.org_id).filter(pk=link.object_id).first() if link else None
    )
    if patient is None:
        raise RowSkipped(
            _(
                "No patient with external id '%s' was imported from this system; "
                "import the patients file first."
            )
            % values["patient_external_id"]
        )
    outcome.label = patient.full_name
    rooms = Room.objects.for_org(actor.org_id).filter(name__iexact=values["room"], is_active=True)
    if values.get("location"):
        rooms = rooms.filter(location__name__iexact=values["location"])
    found = list(rooms.select_related("location")[:2])
    if len(found) != 1:
        raise RowSkipped(
            (
                _("No room named '%s'.")
                if not found
                else _("Several rooms are named '%s'; fill in the location column.")
            )
            % values["room"]
        )
    room = found[0]
    practitioner = (
        Membership.objects.for_org(actor.org_id)
        .filter(user__email__iexact=values["practitioner"], is_active=True)
        .select_related("user")
        .first()
    )
    if practitioner is None:
        raise RowSkipped(_("No staff member with email '%s'.") % values["practitioner"])
    start = _local_datetime(values["start"], ZoneInfo(room.location.timezone))
    if start <= timezone.now():
        raise RowSkipped(
            _("The appointment is in the past; only future appointments are imported.")
        )
    try:
        duration = int(values["duration_min"])
    except ValueError:
        raise RowSkipped(
            _("Duration '%s' is not a whole number of minutes.") % values["duration_min"]
        ) from None
    appointment = book_appointment(
        actor,
        patient=patient,
        practitioner=practitioner,
        room=room,
        start=start,
        duration_min=duration,
        notes=values.get("notes", ""),
        channel="import",
    )
    return appointment.pk, False


DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M",
)


def _local_datetime(text: str, tz: ZoneInfo) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text)
        if value.tzinfo is not None:
            return value
    except ValueError:
        value = None
    for fmt in DATETIME_FORMATS:
        try:
            value = dt.datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    if value is None:
        raise RowSkipped(_("Start '%s' is not a date and time (e.g. 2027-03-01 14:30).") % text)
    return value.replace(tzinfo=tz)


# -- stock lots -----------------------------------------------------------------------------


def _import_lot(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    product_key = values["product"]
    products = visible_products(actor).filter(Q(name__iexact=product_key) | Q(gtin=product_key))
    found = list(products[:2])
    if len(found) != 1:
        raise RowSkipped(
            (
                _("No product named '%s' in the catalog.")
                if not found
                else _("Several products are named '%s'.")
            )
            % product_key
        )
    product: Product = found[0]
    location = (
        Location.objects.for_org(actor.org_id).filter(name__iexact=values["location"]).first()
    )
    if location is None:
        raise RowSkipped(_("No location named '%s'.") % values["location"])
    outcome.label = f"{product.name} {values['lot_number']}"
    expiry = _date(values["expiry"], _("Expiry"))
    try:
        quantity = Decimal(values["quantity_ml"].replace(",", "."))
    except InvalidOperation:
        raise RowSkipped(
            _("Quantity '%s' is not a number of mL.") % values["quantity_ml"]
        ) from None
    if not quantity.is_finite() or quantity <= 0 or quantity >= Decimal(10) ** 6:
        raise RowSkipped(_("Quantity '%s' must be more than 0 mL.") % values["quantity_ml"])
    lot = receive_stock(
        actor,
        product=product,
        location=location,
        lot_number=values["lot_number"],
        expiry=expiry,
        quantity_ml=quantity,
        supplier=values.get("supplier", ""),
    )
    return lot.pk, False


_IMPORTERS: dict[str, Importer] = {
    ImportKind.PATIENTS: import_patient,
    ImportKind.APPOINTMENTS: _import_appointment,
    ImportKind.STOCK_LOTS: _import_lot,
}


# -- uploads (the admin page) -----------------------------------------------------------------

UPLOAD_RETENTION = dt.timedelta(days=1)


@transaction.atomic
def create_upload(
    actor: Actor, *, kind: str, source: str, filename: str, content: bytes, encoding: str
) -> ImportUpload:
    """Keep an uploaded file until it is imported; the file must read as a table."""
    require_import(actor, kind)
    source = clean_source(source)
    read_table(content, encoding)
    ImportUpload.objects.for_org(actor.org_id).filter(
        status=UploadStatus.PENDING, uploaded_at__lt=timezone.now() - UPLOAD_RETENTION
    ).delete()
    upload = ImportUpload.objects.create(
        organization_id=actor.org_id,
        kind=kind,
        source=source,
        filename=filename[:255],
        encoding=encoding,
        content=content,
        uploaded_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        upload,
        summary=f"uploaded {filename[:100]} for import",
        channel="web",
    )
    return upload


def upload_table(upload: ImportUpload) -> Table:
    return read_table(bytes(upload.content), upload.encoding)


def run_upload(
    actor: Actor, upload: ImportUpload, mapping: dict[str, str], *, dry_run: bool
) -> ImportReport:
    if upload.status != UploadStatus.PENDING:
        raise Invalid.field("file", _("This file was imported already; upload it again."))
    report = import_table(
        actor,
        kind=upload.kind,
        source=upload.source,
        table=upload_table(upload),
        mapping=mapping,
        dry_run=dry_run,
        channel="web",
    )
    upload.mapping = mapping
    upload.report = report.as_json()
    if not dry_run:
        upload.status = UploadStatus.IMPORTED
        upload.imported_at = timezone.now()
        upload.content = b""
    upload.save(update_fields=["mapping", "report", "status", "imported_at", "content"])
    return report
