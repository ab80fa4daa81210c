"""The importers of the clinic's own records, staff and stock from a Bulk Data export: one
function per FHIR type, ``(run, resource, outcome) -> (pk, matched)``; the caller
(`mesocare.fhir.importer.bulk_import`) runs each in a savepoint and remembers
(source, kind, resource id) → row so a second run changes nothing.

Rows are written with the ORM, not through the staff screens' services: these are records of
what already happened elsewhere (signed sessions, messages sent, side effects), not new acts, so
no booking rule, outbox message or stock movement is triggered; the run writes one audit entry.
What the R4 JSON does not carry is filled as documented in ``docs/fhir.md`` (import)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Q
from django.utils.dateparse import parse_date, parse_datetime

from mesocare.accounts.models import User
from mesocare.assessments.models import Assessment
from mesocare.catalog.choices import Technique
from mesocare.catalog.models import Ingredient, Product, ProductIngredient, Zone
from mesocare.catalog.protocol_models import Protocol
from mesocare.charting.choices import SideEffectKind
from mesocare.charting.models import (
    Amendment,
    CocktailComponent,
    InjectionRecord,
    SideEffect,
    TreatmentSession,
)
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import Role, RoomKind
from mesocare.clinics.models import Location, Membership, Organization, Room
from mesocare.core.scales import UnknownScaleError, get_scale
from mesocare.core.scheduling.durations import MAX_DURATION_MIN
from mesocare.fhir.definitions import (
    CHECK_IN_ITEMS,
    CS_CHECK_IN,
    CS_CONSENT_KIND,
    CS_INGREDIENT,
    CS_LANDMARK,
    CS_MEASUREMENT,
    CS_PHOTO_USE,
    CS_PRODUCT,
    CS_SCALE,
    CS_SCALE_ITEM,
    CS_SIDE_EFFECT,
    CS_STAFF_ROLE,
    CS_TECHNIQUE,
    CS_ZONE,
    SD_INJECTION,
)
from mesocare.fhir.resources.appointment import STATUS as APPOINTMENT_STATUS
from mesocare.fhir.resources.care_plan import STATUS as PLAN_STATUS
from mesocare.fhir.resources.medication import GTIN
from mesocare.imports.models import ImportedRecord
from mesocare.imports.services import RowOutcome, RowSkipped
from mesocare.inventory.models import ProductLot
from mesocare.notify.choices import MessageChannel, MessageKind
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import KIND_TEMPLATES
from mesocare.outcomes.choices import Landmark, MeasurementKind, PhotoSource, Unit, ViewAngle
from mesocare.outcomes.models import Measurement
from mesocare.outcomes.services import store_photo
from mesocare.patients.choices import AllergyStatus, ConsentKind, PhotoUse
from mesocare.patients.models import Consent, Patient, Weight
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.portal.models import CheckInResponse
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
BODY_WEIGHT = "29463-7"
WEIGHT_UNITS = {"kg": Decimal(1), "g": Decimal("0.001"), "[lb_av]": Decimal("0.45359237")}
# The kind each type is remembered under (`ImportedRecord.kind`, at most 16 characters); the
# first four are those of the switching import, so links made by either are shared.
KIND = {
    "Organization": "organization",
    "Location": "location",
    "Practitioner": "practitioner",
    "PractitionerRole": "staff-role",
    "Patient": "patients",
    "AllergyIntolerance": "allergy",
    "MedicationStatement": "medication",
    "Condition": "condition",
    "Consent": "consent",
    "Medication": "lot",
    "Observation": "observation",
    "CarePlan": "care-plan",
    "Appointment": "appointment",
    "Encounter": "encounter",
    "Procedure": "procedure",
    "MedicationAdministration": "med-admin",
    "AdverseEvent": "adverse-event",
    "Media": "media",
    "Communication": "communication",
    "Provenance": "provenance",
}


class Deferred(Exception):
    """The resource references one later in the export: try it again after every type."""


@dataclass
class Run:
    actor: Actor
    source: str
    # type → resource id → resource, of every line of the export (for references ahead).
    index: dict[str, dict[str, dict[str, Any]]]
    last_pass: bool = False
    # Sessions signed at the end of the run (session pk → signed_at, signed_by_id): a signed
    # session refuses new charting rows, and its injections and side effects come after it.
    signatures: dict[int, dict[str, Any]] = field(default_factory=dict)
    plan_of_appointment: dict[str, str] | None = None
    _links: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def org_id(self) -> int:
        return int(self.actor.org_id)

    def link(self, type_name: str, fhir_id: str) -> int | None:
        key = (type_name, fhir_id)
        if key not in self._links:
            pk = (
                ImportedRecord.objects.for_org(self.org_id)
                .filter(source=self.source, kind=KIND[type_name], external_id=fhir_id)
                .values_list("object_id", flat=True)
                .first()
            )
            if pk is None:
                return None
            self._links[key] = int(pk)
        return self._links[key]

    def ref(self, reference: dict[str, Any] | None, *types: str) -> tuple[str, int] | None:
        """(type, local pk) of a reference (None when absent); RowSkipped when it points
        at nothing this run imported, Deferred when its target comes later in the export."""
        raw = (reference or {}).get("reference", "")
        if not raw:
            return None
        parts = raw.rstrip("/").split("/")
        if len(parts) < 2 or parts[-2] not in types:
            raise RowSkipped(f"the reference {raw!r} is not {' or '.join(types)}/<id>")
        type_name, fhir_id = parts[-2], parts[-1]
        pk = self.link(type_name, fhir_id)
        if pk is not None:
            return type_name, pk
        if fhir_id in self.index.get(type_name, {}) and not self.last_pass:
            raise Deferred
        where = (
            "was skipped" if fhir_id in self.index.get(type_name, {}) else "is not in the export"
        )
        raise RowSkipped(f"{type_name}/{fhir_id} {where}")

    def pk(self, reference: dict[str, Any] | None, type_name: str) -> int | None:
        found = self.ref(reference, type_name)
        return found[1] if found else None

    def required(self, reference: dict[str, Any] | None, type_name: str, what: str) -> int:
        pk = self.pk(reference, type_name)
        if pk is None:
            raise RowSkipped(f"the {what} ({type_name}) is missing")
        return pk

    def user_of(self, reference: dict[str, Any] | None) -> int | None:
        """The user of a Practitioner reference (None when absent or not imported)."""
        try:
            pk = self.pk(reference, "Practitioner")
        except RowSkipped:
            return None
        if pk is None:
            return None
        return Membership.objects.for_org(self.org_id).values_list("user_id", flat=True).get(pk=pk)


# -- values -----------------------------------------------------------------------------------


def when(value: Any, what: str = "time") -> dt.datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        day_only = parse_date(str(value))
        if day_only is None:
            raise RowSkipped(f"the {what} {value!r} is not a date-time")
        parsed = dt.datetime.combine(day_only, dt.time(), tzinfo=dt.UTC)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def day(value: Any, what: str = "date") -> dt.date | None:
    if not value:
        return None
    text = str(value)[:10]
    parsed = parse_date(text)
    if parsed is None:
        raise RowSkipped(f"the {what} {value!r} is not a date")
    return parsed


def decimal(value: Any, what: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise RowSkipped(f"the {what} {value!r} is not a number") from None


def plain(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def local_code(concept: dict[str, Any] | None, system: str) -> str:
    """The code of this server's code system ``system`` (any base URL), else ''."""
    for c in (concept or {}).get("coding") or []:
        if str(c.get("system", "")).endswith(f"/CodeSystem/{system}"):
            return str(c.get("code", ""))
    return ""


def text_of(concept: dict[str, Any] | None) -> str:
    concept = concept or {}
    codings = concept.get("coding") or [{}]
    return str(concept.get("text") or codings[0].get("display") or codings[0].get("code") or "")


def note_text(resource: dict[str, Any]) -> str:
    return "\n".join(n.get("text", "") for n in resource.get("note") or [] if n.get("text"))


def choice(value: str, choices: Any, what: str) -> str:
    if value not in choices.values:
        raise RowSkipped(f"the {what} {value!r} is not one mesocare records")
    return value


def by_label(label: str, choices: Any) -> str | None:
    for value, text in choices.choices:
        if str(text) == label:
            return str(value)
    return None


def update_row(obj: Any, **times: Any) -> None:
    """Write columns with an UPDATE: auto_now(_add) times as the export recorded them, and no
    save signal (signing a session would schedule aftercare). None values are left as they are."""
    values = {k: v for k, v in times.items() if v is not None}
    if values:
        type(obj)._default_manager.filter(pk=obj.pk).update(**values)
        for name, value in values.items():
            setattr(obj, name, value)


# -- the organization, its sites and staff -------------------------------------------------------


def import_organization(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    org = Organization.objects.get(pk=run.org_id)
    name = str(resource.get("name") or "")
    if name and not org.name:
        org.name = name[:200]
        org.save(update_fields=["name"])
    outcome.label = f"into {org.name} (its name and slug are kept)"
    return org.pk, True


def _timezone(resource: dict[str, Any]) -> str:
    for extension in resource.get("extension") or []:
        if str(extension.get("url", "")).endswith("/timezone") and extension.get("valueCode"):
            try:
                ZoneInfo(extension["valueCode"])
                return str(extension["valueCode"])
            except (ZoneInfoNotFoundError, ValueError):
                break
    return ""


def import_location(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    name = str(resource.get("name") or "").strip()[:200]
    if not name:
        raise RowSkipped("the location has no name")
    outcome.label = name
    existing = Location.objects.for_org(run.org_id).filter(name=name).first()
    if existing is not None:
        return existing.pk, True
    address = resource.get("address") or {}
    address_text = address.get("text") or ", ".join(
        [*address.get("line", []), address.get("city", "")]
    ).strip(", ")
    # R4 has no time zone for a location (R5's extension is read when present): else the
    # clinic's other sites' zone, else the server's.
    tz = (
        _timezone(resource)
        or Location.objects.for_org(run.org_id).values_list("timezone", flat=True).first()
        or str(settings.TIME_ZONE)
    )
    location = Location.objects.create(
        organization_id=run.org_id,
        name=name,
        timezone=tz,
        address=address_text,
        phone=next(
            (str(t.get("value", ""))[:40] for t in resource.get("telecom") or []
             if t.get("system") == "phone"),
            "",
        ),
        is_active=resource.get("status", "active") != "inactive",
    )  # fmt: skip
    return location.pk, False


def _email(resource: dict[str, Any]) -> str:
    return next(
        (
            str(t.get("value", "")).strip().lower()
            for t in resource.get("telecom") or []
            if t.get("system") == "email" and t.get("value")
        ),
        "",
    )


def import_practitioner(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    """A staff member: linked to the member of this clinic with the same email; otherwise a new
    member whose account is inactive with no password (they cannot sign in until an
    administrator activates them). An email that belongs to someone who is not staff of this
    clinic is refused: an import never gives anyone access to a clinic."""
    email = _email(resource)
    names = resource.get("name") or [{}]
    full_name = str(
        names[0].get("text")
        or " ".join([*(names[0].get("given") or []), names[0].get("family", "")])
    ).strip()[:150]
    outcome.label = full_name or email
    if not email:
        raise RowSkipped("the practitioner has no email (mesocare's staff sign in with one)")
    mine = Membership.objects.for_org(run.org_id).filter(user__email__iexact=email).first()
    if mine is not None:
        if full_name and not mine.user.full_name:
            User.objects.filter(pk=mine.user_id).update(full_name=full_name)
        return mine.pk, True
    if User.objects.filter(email__iexact=email).exists():
        raise RowSkipped(
            f"{email} has an account that is not staff of this clinic; invite them first"
        )
    user = User.objects.create_user(email, None, full_name=full_name, is_active=False)
    membership = Membership.objects.create(
        organization_id=run.org_id,
        user=user,
        role=Role.PRACTITIONER,
        is_active=bool(resource.get("active", True)),
    )
    return membership.pk, False


def import_practitioner_role(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    """The role, title and usual location of a staff member imported just before. A member who
    was already on file keeps their role; an empty title or usual location is filled."""
    pk = run.required(resource.get("practitioner"), "Practitioner", "staff member")
    membership = Membership.objects.for_org(run.org_id).get(pk=pk)
    outcome.label = str(membership.user)
    codes = resource.get("code") or [{}]
    role = local_code(codes[0], CS_STAFF_ROLE)
    title = str(codes[0].get("text") or "")
    locations = resource.get("location") or []
    location = run.pk(locations[0], "Location") if locations else None
    created = (
        not ImportedRecord.objects.for_org(run.org_id)
        .filter(source=run.source, kind=KIND["Practitioner"], object_id=pk, matched_existing=True)
        .exists()
    )
    if created and role in Role.values:
        membership.role = role
    if role in Role.values and title == str(Role(role).label):
        title = ""
    if title and not membership.title:
        membership.title = title[:100]
    if location is not None and membership.default_location_id is None:
        membership.default_location_id = location
    if created:
        membership.is_active = bool(resource.get("active", membership.is_active))
    membership.save(update_fields=["role", "title", "default_location", "is_active"])
    return membership.pk, not created


# -- patient records ---------------------------------------------------------------------------


def _patient(run: Run, resource: dict[str, Any], key: str = "subject") -> Patient:
    pk = run.required(resource.get(key), "Patient", "patient")
    return Patient.objects.for_org(run.org_id).get(pk=pk)


NO_KNOWN_ALLERGY = "716186003"


def is_no_known_allergy(resource: dict[str, Any]) -> bool:
    return any(
        c.get("system") == SNOMED and c.get("code") == NO_KNOWN_ALLERGY
        for c in (resource.get("code") or {}).get("coding") or []
    )


def import_no_known_allergy(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    """SNOMED 716186003 "No known allergy": the patient's allergy status, who asked and when
    (or that the patient said so), not an allergy."""
    patient = _patient(run, resource, "patient")
    outcome.label = patient.full_name
    asserter = (resource.get("asserter") or {}).get("reference", "")
    update_row(
        patient,
        allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
        allergy_status_at=when(resource.get("recordedDate")),
        allergy_status_by_id=run.user_of(resource.get("recorder")),
        allergy_status_patient_reported=asserter.startswith("Patient/"),
    )
    return patient.pk, True


def import_consent(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    patient = _patient(run, resource, "patient")
    outcome.label = patient.full_name
    kind, version = "", ""
    for category in resource.get("category") or []:
        code = local_code(category, CS_CONSENT_KIND)
        if code:
            kind = code
            text = str(category.get("text") or "")
            version = text.rpartition(" v")[2] if " v" in text else ""
    if not kind:
        scope = (resource.get("scope") or {}).get("coding") or [{}]
        kind = "photo" if scope[0].get("code") == "patient-privacy" else "treatment"
    choice(kind, ConsentKind, "consent kind")
    provision = resource.get("provision") or {}
    period = provision.get("period") or {}
    signed_on = day(resource.get("dateTime") or period.get("start"), "signing date")
    if signed_on is None:
        raise RowSkipped("the consent has no signing date")
    photo_use = ""
    for concept in provision.get("code") or []:
        photo_use = local_code(concept, CS_PHOTO_USE) or photo_use
    signed_by = ""
    if kind == "guardian":
        signed_by = next(
            (str(p.get("display")) for p in resource.get("performer") or [] if p.get("display")),
            "",
        )
    withdrawn = day(period.get("end"), "withdrawal date")
    if resource.get("status") == "inactive" and withdrawn is None:
        withdrawn = signed_on
    values: dict[str, Any] = {
        "patient": patient,
        "kind": kind,
        "version": (version or "imported")[:32],
        "signed_on": signed_on,
        "signed_by": signed_by[:200],
        "withdrawn_on": withdrawn,
    }
    if photo_use in PhotoUse.values:
        values["photo_use"] = photo_use
    consent = Consent.objects.create(organization_id=run.org_id, **values)
    return consent.pk, False


def _measured_on(resource: dict[str, Any], what: str) -> dt.date:
    measured = day(resource.get("effectiveDateTime"), f"{what} date")
    if measured is None:
        raise RowSkipped(f"the {what} has no date")
    return measured


def _performer(run: Run, resource: dict[str, Any]) -> int | None:
    """The user of the observation's first performer (None: none, or not staff imported)."""
    performers = resource.get("performer") or []
    return run.user_of(performers[0]) if performers else None


def _weight(run: Run, resource: dict[str, Any], patient: Patient) -> tuple[int, bool]:
    value = resource.get("valueQuantity") or {}
    factor = WEIGHT_UNITS.get(str(value.get("code") or value.get("unit") or ""))
    if factor is None or "value" not in value:
        raise RowSkipped(f"the body weight's unit {value.get('unit')!r} is not kg, g or lb")
    kg = (decimal(value["value"], "weight") * factor).quantize(Decimal("0.1"))
    weight = Weight.objects.create(
        organization_id=run.org_id,
        patient=patient,
        kg=kg,
        measured_on=_measured_on(resource, "body weight"),
        recorded_by_id=_performer(run, resource),
    )
    return weight.pk, False


def _assessment(
    run: Run, resource: dict[str, Any], patient: Patient, scale_id: str
) -> tuple[int, bool]:
    try:
        scale = get_scale(scale_id)
        bands = {str(b.label): b.code for b in scale.bands}
    except UnknownScaleError:
        raise RowSkipped(f"the scale {scale_id!r} is not one mesocare scores") from None
    items: dict[str, Any] = {}
    for component in resource.get("component") or []:
        code = local_code(component.get("code"), CS_SCALE_ITEM)
        key = code.removeprefix(f"{scale_id}.")
        if not code or key == code:
            raise RowSkipped(f"the item {text_of(component.get('code'))!r} is not of {scale.name}")
        if "valueQuantity" in component:
            items[key] = plain(decimal(component["valueQuantity"].get("value"), "item score"))
        else:
            items[key] = component.get("valueString")
    total = (resource.get("valueQuantity") or {}).get("value")
    if total is None:
        raise RowSkipped("the assessment has no total score")
    interpretation = (resource.get("interpretation") or [{}])[0]
    band_text = text_of(interpretation) if interpretation else ""
    assessed = when(resource.get("effectiveDateTime")) or when(resource.get("issued"))
    if assessed is None:
        raise RowSkipped("the assessment has no time")
    assessment = Assessment.objects.create(
        organization_id=run.org_id,
        patient=patient,
        scale_id=scale_id,
        scale_version=str(getattr(scale, "version", ""))[:16],
        items=items,
        total=decimal(total, "total score"),
        band=bands.get(band_text, band_text)[:32],
        body_area=str((resource.get("bodySite") or {}).get("text") or "")[:64],
        assessed_at=assessed,
        # Whoever assessed, else (another server's survey) the importing user.
        assessed_by_id=_performer(run, resource) or run.actor.user.pk,
        notes=note_text(resource),
    )
    update_row(assessment, created_at=when(resource.get("issued")))
    return assessment.pk, False


def _measurement(
    run: Run, resource: dict[str, Any], patient: Patient, kind: str
) -> tuple[int, bool]:
    choice(kind, MeasurementKind, "measurement")
    value = resource.get("valueQuantity") or {}
    unit = str(value.get("unit") or value.get("code") or "")
    choice(unit, Unit, "unit")
    site = resource.get("bodySite") or {}
    landmark = local_code(site, CS_LANDMARK)
    if landmark:
        choice(landmark, Landmark, "landmark")
    distance = re.search(r", ([\d.]+) cm$", str(site.get("text") or ""))
    measurement = Measurement.objects.create(
        organization_id=run.org_id,
        patient=patient,
        kind=kind,
        landmark=landmark,
        distance_cm=decimal(distance.group(1), "distance") if distance else None,
        value=decimal(value.get("value"), "value"),
        unit=unit,
        measured_on=_measured_on(resource, "measurement"),
        session_id=run.pk(resource.get("encounter"), "Encounter"),
        notes=note_text(resource)[:255],
        measured_by_id=_performer(run, resource) or run.actor.user.pk,
    )
    return measurement.pk, False


def _check_in(run: Run, resource: dict[str, Any], patient: Patient) -> tuple[int, bool]:
    session_pk = run.required(resource.get("encounter"), "Encounter", "session")
    session = TreatmentSession.objects.for_org(run.org_id).get(pk=session_pk)
    submitted = when(resource.get("effectiveDateTime"), "submission time")
    if submitted is None:
        raise RowSkipped("the check-in has no time")
    values: dict[str, Any] = {}
    keys = {key for key, _label in CHECK_IN_ITEMS}
    for component in resource.get("component") or []:
        key = local_code(component.get("code"), CS_CHECK_IN)
        if key not in keys:
            continue
        if "valueBoolean" in component:
            values[key] = bool(component["valueBoolean"])
        elif "valueQuantity" in component:
            values[key] = decimal(component["valueQuantity"].get("value"), key)
        elif "valueString" in component:
            values[key] = str(component["valueString"])
    if "max_grade" in values:
        values["max_grade"] = int(values["max_grade"])
    signed = run.signatures.get(session.pk, {}).get("signed_at") or session.signed_at
    since = submitted - (signed or session.started_at)
    response = CheckInResponse.objects.create(
        organization_id=run.org_id,
        patient=patient,
        session=session,
        when="72h" if since > dt.timedelta(hours=48) else "24h",
        notes=note_text(resource),
        **values,
    )
    update_row(response, submitted_at=submitted)
    return response.pk, False


def import_observation(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """By its code: a scale of this server's (an assessment), a measurement kind, the
    side-effect check-in, or body weight (LOINC 29463-7); any other code is skipped."""
    code = resource.get("code")
    patient = _patient(run, resource)
    outcome.label = f"{text_of(code)}, {patient.full_name}"
    scale = local_code(code, CS_SCALE)
    if scale:
        return _assessment(run, resource, patient, scale)
    kind = local_code(code, CS_MEASUREMENT)
    if kind:
        return _measurement(run, resource, patient, kind)
    if local_code(code, CS_CHECK_IN):
        return _check_in(run, resource, patient)
    if any(
        c.get("system") == LOINC and c.get("code") == BODY_WEIGHT
        for c in (code or {}).get("coding") or []
    ):
        return _weight(run, resource, patient)
    raise RowSkipped(f"the observation {text_of(code)!r} is not one mesocare records")


# -- stock ----------------------------------------------------------------------------------------


def import_medication(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """A lot of a catalog product (matched by this server's product code, else by GTIN). The
    lot is kept for the record with nothing on hand: stock is counted in, not imported."""
    code = resource.get("code") or {}
    visible = Product.objects.filter(Q(organization__isnull=True) | Q(organization_id=run.org_id))
    product_code = local_code(code, CS_PRODUCT)
    gtins = [c.get("code") for c in code.get("coding") or [] if c.get("system") == GTIN]
    product = visible.filter(code=product_code).first() if product_code else None
    if product is None and gtins:
        product = visible.filter(gtin__in=gtins).first()
    if product is None:
        product = _own_product(run, resource, product_code)
    outcome.label = product.name
    batch = resource.get("batch") or {}
    lot_number = str(batch.get("lotNumber") or "").strip()[:20]
    expiry = day(batch.get("expirationDate"), "expiry")
    if not lot_number or expiry is None:
        raise RowSkipped("the lot has no lot number or expiry (batch)")
    location = Location.objects.for_org(run.org_id).order_by("pk").first()
    if location is None:
        raise RowSkipped("the clinic has no location to keep the lot at")
    gtin = next((g for g in gtins if g and g != product.gtin), "")
    recalled = resource.get("status") == "inactive"
    lot = ProductLot.objects.create(
        organization_id=run.org_id,
        product=product,
        location=location,
        lot_number=lot_number,
        expiry=expiry,
        gtin=str(gtin)[:14],
        received_ml=Decimal("0.001"),
        recalled=recalled,
        recall_reason="imported as recalled" if recalled else "",
    )
    return lot.pk, False


def _own_product(run: Run, resource: dict[str, Any], product_code: str) -> Product:
    """A product the catalog does not have becomes one of the clinic's own, with the
    ingredients and strengths the Medication lists (mg per mL, IU per mL)."""
    code = resource.get("code") or {}
    name = text_of(code)[:200]
    if not product_code or not name:
        raise RowSkipped(f"the product {name!r} is not in the catalog and has no code")
    components = []
    for item in resource.get("ingredient") or []:
        concept = item.get("itemCodeableConcept")
        ingredient = Ingredient.objects.filter(code=local_code(concept, CS_INGREDIENT)).first()
        if ingredient is None:
            raise RowSkipped(f"the ingredient {text_of(concept)!r} is not in the catalog")
        numerator = (item.get("strength") or {}).get("numerator") or {}
        unit = "IU/mL" if numerator.get("code") == "[iU]" else "mg/mL"
        if "value" not in numerator:
            raise RowSkipped(f"the strength of {ingredient.name} is not given")
        components.append((ingredient, decimal(numerator["value"], "strength"), unit))
    product = Product.objects.create(organization_id=run.org_id, code=product_code, name=name)
    ProductIngredient.objects.bulk_create(
        ProductIngredient(product=product, ingredient=i, concentration=c, unit=u)
        for i, c, u in components
    )
    return product


# -- courses, bookings, sessions --------------------------------------------------------------

PLAN_DESCRIPTION = re.compile(r"^(\d+) sessions, every (\d+) days \((\d+)\D(\d+)\)")
SESSION_OF = re.compile(r"^Session (\d+) of")


def import_care_plan(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    patient = _patient(run, resource)
    title = str(resource.get("title") or "")
    outcome.label = f"{title}, {patient.full_name}"
    protocol = (
        Protocol.objects.filter(Q(organization__isnull=True) | Q(organization_id=run.org_id))
        .filter(name=title)
        .order_by("organization_id")
        .first()
    )
    if protocol is None:
        raise RowSkipped(f"no protocol is named {title!r}")
    version = protocol.versions.order_by("-version").first()
    if version is None:
        raise RowSkipped(f"the protocol {title!r} has no version")
    status = next(
        (ours for ours, fhir in PLAN_STATUS.items() if fhir == resource.get("status")), ""
    )
    if not status:
        raise RowSkipped(f"the course status {resource.get('status')!r} is not one mesocare has")
    details = [a["detail"] for a in resource.get("activity") or [] if "detail" in a]
    found = PLAN_DESCRIPTION.match(str(resource.get("description") or ""))
    sessions = int(found.group(1)) if found else len(resource.get("activity") or []) or 1
    target, low, high = (
        (int(found.group(2)), int(found.group(3)), int(found.group(4)))
        if found
        else (protocol.interval_target_days, protocol.interval_min_days, protocol.interval_max_days)
    )
    supporting = [
        run.ref(s, "Observation")
        for s in resource.get("supportingInfo") or []
        if s.get("reference")
    ]
    baseline = next((pk for _t, pk in filter(None, supporting)), None)
    period = resource.get("period") or {}
    author = run.user_of(resource.get("author"))
    plan = TreatmentPlan.objects.create(
        organization_id=run.org_id,
        patient=patient,
        protocol=protocol,
        protocol_version=version,
        baseline_assessment=(
            Assessment.objects.for_org(run.org_id).filter(pk=baseline).first() if baseline else None
        ),
        status=status,
        sessions_planned=sessions,
        sessions_by_rule=sessions,
        interval_min_days=low,
        interval_target_days=target,
        interval_max_days=high,
        interval_min_months=protocol.interval_min_months,
        response_check_session=protocol.response_check_session,
        maintenance_interval_days=protocol.maintenance_interval_days,
        session_duration_min=protocol.session_duration_min,
        room_kind=protocol.room_kind,
        start_on=day(period.get("start")),
        completed_on=day(period.get("end")),
        created_by_id=author or run.actor.user.pk,
    )
    windows: dict[int, dict[str, Any]] = {}
    for detail in details:
        index = SESSION_OF.match(str(detail.get("description") or ""))
        if index:
            windows[int(index.group(1))] = detail.get("scheduledPeriod") or {}
    PlannedSession.objects.bulk_create(
        PlannedSession(
            organization_id=run.org_id,
            plan=plan,
            index=n,
            earliest=day(windows.get(n, {}).get("start")),
            latest=day(windows.get(n, {}).get("end")),
        )
        for n in range(1, sessions + 1)
    )
    update_row(plan, created_at=when(resource.get("created")))
    return plan.pk, False


def _plan_of_appointment(run: Run, fhir_id: str) -> tuple[int | None, str | None]:
    """(local plan pk, CarePlan id) of the CarePlan whose activities list the appointment."""
    if run.plan_of_appointment is None:  # once per run: appointment id → CarePlan id
        run.plan_of_appointment = {
            reference.rpartition("/")[2]: plan_id
            for plan_id, plan in run.index.get("CarePlan", {}).items()
            for activity in plan.get("activity") or []
            if (reference := (activity.get("reference") or {}).get("reference", ""))
        }
    plan_id = run.plan_of_appointment.get(fhir_id)
    return (run.link("CarePlan", plan_id), plan_id) if plan_id else (None, None)


def _room(location_id: int, org_id: int, status: str, start: Any, end: Any) -> Room:
    """The site's first room free at that time (rooms are not in FHIR); an "Imported" room
    more when every room is taken."""
    rooms = list(Room.objects.for_org(org_id).filter(location_id=location_id, is_active=True))
    if status in ACTIVE_STATUSES:
        taken = set(
            Appointment.objects.for_org(org_id)
            .filter(room__in=rooms, status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start)
            .values_list("room_id", flat=True)
        )
        rooms = [room for room in rooms if room.pk not in taken]
    if rooms:
        return rooms[0]
    number = Room.objects.for_org(org_id).filter(location_id=location_id).count() + 1
    return Room.objects.create(
        organization_id=org_id,
        location_id=location_id,
        name=f"Imported {number}",
        kind=RoomKind.GENERAL,
    )


def import_appointment(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """A booking as it stands (no booking rule is applied: it is history or was already
    accepted elsewhere), in a room of the site free at that time (rooms are not in FHIR)."""
    actors: dict[str, int] = {}
    for participant in resource.get("participant") or []:
        found = run.ref(participant.get("actor"), "Patient", "Practitioner", "Location")
        if found is not None:
            actors.setdefault(found[0], found[1])
    status = next(
        (ours for ours, fhir in APPOINTMENT_STATUS.items() if fhir == resource.get("status")), ""
    )
    if not status:
        raise RowSkipped(
            f"the appointment status {resource.get('status')!r} is not one mesocare has"
        )
    for needed, what in (("Patient", "patient"), ("Practitioner", "practitioner"),
                         ("Location", "location")):  # fmt: skip
        if needed not in actors:
            raise RowSkipped(f"the appointment names no {what}")
    start, end = when(resource.get("start")), when(resource.get("end"))
    if start is None or end is None or end <= start:
        raise RowSkipped("the appointment has no start and end")
    if end - start > dt.timedelta(minutes=MAX_DURATION_MIN):
        raise RowSkipped("the appointment lasts longer than 12 hours")
    patient = Patient.objects.for_org(run.org_id).get(pk=actors["Patient"])
    outcome.label = patient.full_name
    plan_pk, _plan_id = _plan_of_appointment(run, str(resource.get("id", "")))
    index_match = SESSION_OF.match(str(resource.get("description") or ""))
    course_index = int(index_match.group(1)) if index_match and plan_pk else None
    planned = (
        PlannedSession.objects.for_org(run.org_id)
        .filter(plan_id=plan_pk, index=course_index)
        .first()
        if plan_pk and course_index
        else None
    )
    appointment = Appointment.objects.create(
        organization_id=run.org_id,
        location_id=actors["Location"],
        practitioner_id=actors["Practitioner"],
        room=_room(actors["Location"], run.org_id, status, start, end),
        patient=patient,
        start=start,
        end=end,
        status=status,
        plan_id=plan_pk,
        planned_session=planned,
        course_index=course_index,
        notes=str(resource.get("comment") or ""),
        cancel_reason=text_of(resource.get("cancelationReason")),
        created_by_id=run.actor.user.pk,
    )
    update_row(appointment, created_at=when(resource.get("created")))
    return appointment.pk, False


def import_encounter(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    patient = _patient(run, resource)
    outcome.label = patient.full_name
    practitioner = next(
        (run.pk(p.get("individual"), "Practitioner") for p in resource.get("participant") or []),
        None,
    )
    if practitioner is None:
        raise RowSkipped("the visit names no practitioner")
    locations = resource.get("location") or []
    location = run.pk(locations[0].get("location"), "Location") if locations else None
    if location is None:
        raise RowSkipped("the visit names no location")
    appointments = resource.get("appointment") or []
    appointment = run.pk(appointments[0], "Appointment") if appointments else None
    period = resource.get("period") or {}
    started = when(period.get("start"), "start")
    if started is None:
        raise RowSkipped("the visit has no start")
    signed = when(period.get("end")) if resource.get("status") == "finished" else None
    session = TreatmentSession.objects.create(
        organization_id=run.org_id,
        patient=patient,
        practitioner_id=practitioner,
        location_id=location,
        appointment_id=appointment,
        started_at=started,
        created_by_id=run.actor.user.pk,
    )
    if signed is not None:
        signer = Membership.objects.values_list("user_id", flat=True).get(pk=practitioner)
        run.signatures[session.pk] = {"signed_at": signed, "signed_by_id": signer}
    return session.pk, False


PAIN = re.compile(r"^Pain during the session \(VAS 0–10\): ([\d.]+)$")


def _quantity(part: dict[str, Any] | None) -> Any:
    return ((part or {}).get("valueQuantity") or {}).get("value")


def _injection_parts(extension: dict[str, Any]) -> dict[str, Any]:
    return {part.get("url"): part for part in extension.get("extension") or []}


def import_procedure(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """The charting of a signed session whose visit (Encounter) was imported: protocol, notes,
    pain and one injection record per ``injection`` extension."""
    pk = run.required(resource.get("encounter"), "Encounter", "visit")
    session = TreatmentSession.objects.for_org(run.org_id).select_related("patient").get(pk=pk)
    outcome.label = session.patient.full_name
    name = text_of(resource.get("code")).removeprefix("Mesotherapy").removeprefix(": ")
    protocol = (
        Protocol.objects.filter(Q(organization__isnull=True) | Q(organization_id=run.org_id))
        .filter(name=name)
        .order_by("organization_id")
        .first()
        if name
        else None
    )
    notes, pain = [], None
    for note in resource.get("note") or []:
        found = PAIN.match(str(note.get("text") or ""))
        if found:
            pain = decimal(found.group(1), "pain")
        elif note.get("text"):
            notes.append(str(note["text"]))
    plans = [run.pk(b, "CarePlan") for b in resource.get("basedOn") or []]
    plan_pk = next(filter(None, plans), None)
    planned = None
    booked = session.appointment.plan_id if session.appointment is not None else None
    if plan_pk and booked != plan_pk:
        planned = PlannedSession.objects.for_org(run.org_id).filter(plan_id=plan_pk).first()
    period = resource.get("performedPeriod") or {}
    update_row(
        session,
        protocol=protocol,
        protocol_version=protocol.versions.order_by("-version").first() if protocol else None,
        planned_session=planned,
        notes="\n".join(notes),
        pain_vas=pain,
    )
    run.signatures.setdefault(
        session.pk,
        {
            "signed_at": when(period.get("end")) or session.started_at,
            "signed_by_id": Membership.objects.values_list("user_id", flat=True).get(
                pk=session.practitioner_id
            ),
        },
    )
    url = f"/StructureDefinition/{SD_INJECTION}"
    records: list[InjectionRecord] = []
    for extension in resource.get("extension") or []:
        if not str(extension.get("url", "")).endswith(url):
            continue
        parts = _injection_parts(extension)
        zone = (parts.get("zone") or {}).get("valueCoding", {}).get("code", "")
        technique = (parts.get("technique") or {}).get("valueCoding", {}).get("code", "")
        if not Zone.objects.filter(code=zone).exists():
            raise RowSkipped(f"the zone {zone!r} is not one mesocare charts")
        choice(technique, Technique, "technique")
        points = int((parts.get("points") or {}).get("valuePositiveInt") or 1)
        volume = decimal(
            (parts.get("volume") or {}).get("valueQuantity", {}).get("value"), "volume"
        )
        records.append(
            InjectionRecord(
                organization_id=run.org_id,
                session=session,
                n=len(records) + 1,
                zone_id=zone,
                technique=technique,
                depth_mm=decimal(_quantity(parts.get("depth")), "depth"),
                points=points,
                volume_per_point_ml=(volume / points).quantize(Decimal("0.001")),
                total_volume_ml=volume,
                created_by_id=run.actor.user.pk,
            )
        )  # fmt: skip
    InjectionRecord.objects.bulk_create(records)
    return session.pk, True


def import_medication_administration(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    """One product of an injection: the injection of the session (its Procedure) in the same
    zone with the same technique, the lot (Medication) and the volume."""
    part_of = resource.get("partOf") or [{}]
    session_pk = run.required(part_of[0], "Procedure", "session")
    lot_pk = run.required(resource.get("medicationReference"), "Medication", "lot")
    dosage = resource.get("dosage") or {}
    zone = local_code(dosage.get("site"), CS_ZONE)
    technique = local_code(dosage.get("method"), CS_TECHNIQUE)
    injections = InjectionRecord.objects.for_org(run.org_id).filter(session_id=session_pk)
    injection = injections.filter(zone_id=zone, technique=technique).order_by("n").first()
    if injection is None:
        raise RowSkipped(f"the session has no injection in {zone!r} by {technique!r}")
    dose = dosage.get("dose") or {}
    if dose.get("code", dose.get("unit")) != "mL":
        raise RowSkipped(f"the dose's unit {dose.get('unit')!r} is not mL")
    component = CocktailComponent.objects.create(
        organization_id=run.org_id,
        injection=injection,
        lot_id=lot_pk,
        volume_ml=decimal(dose.get("value"), "dose"),
    )
    update_row(injection, created_at=when(resource.get("effectiveDateTime")))
    outcome.label = text_of(dosage.get("site"))
    return component.pk, False


def import_adverse_event(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    session_pk = run.required(resource.get("encounter"), "Encounter", "session")
    session = TreatmentSession.objects.for_org(run.org_id).get(pk=session_pk)
    event = resource.get("event") or {}
    kind = local_code(event, CS_SIDE_EFFECT)
    choice(kind, SideEffectKind, "side effect")
    text = str(event.get("text") or "")
    label = str(SideEffectKind(kind).label)
    details = text.removeprefix(f"{label}: ") if text.startswith(f"{label}: ") else ""
    severity = resource.get("severity") or {}
    grade_text = re.match(r"^(\d)\b", str(severity.get("text") or ""))
    code = ((severity.get("coding") or [{}])[0]).get("code", "mild")
    grade = int(grade_text.group(1)) if grade_text else {"mild": 1, "moderate": 2}.get(code, 3)
    onset = when(resource.get("date"), "onset")
    if onset is None:
        raise RowSkipped("the side effect has no onset")
    recorder = run.ref(resource.get("recorder"), "Patient", "Practitioner")
    patient_reported = recorder is not None and recorder[0] == "Patient"
    recorded = when(resource.get("recordedDate"))
    signed = run.signatures.get(session.pk, {}).get("signed_at") or session.signed_at
    side_effect = SideEffect.objects.create(
        organization_id=run.org_id,
        session=session,
        kind=kind,
        grade=grade,
        onset=onset,
        source="patient" if patient_reported else "staff",
        notes=details,
        recorded_after_signing=bool(signed and recorded and recorded > signed),
        recorded_by_id=run.user_of(resource.get("recorder")) if not patient_reported else None,
    )
    update_row(side_effect, recorded_at=recorded)
    outcome.label = label
    return side_effect.pk, False


def import_media(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """A photo whose image is in the resource (``content.data``), checked and stored as an
    upload is; one that only links to the image on the server it came from is skipped."""
    patient = _patient(run, resource)
    outcome.label = patient.full_name
    content = resource.get("content") or {}
    if not content.get("data"):
        raise RowSkipped(
            "the photo's image is not in the export (only a link to the server it came from)"
        )
    try:
        data = base64.b64decode(content["data"], validate=True)
    except (binascii.Error, ValueError):
        raise RowSkipped("the photo's data is not base64") from None
    view = by_label(text_of(resource.get("view")), ViewAngle) or ViewAngle.FRONT
    operator = run.ref(resource.get("operator"), "Patient", "Practitioner")
    by_patient = operator is not None and operator[0] == "Patient"
    session = run.pk(resource.get("encounter"), "Encounter")
    uploader = None if by_patient else run.user_of(resource.get("operator"))
    photo = store_photo(
        run.org_id,
        patient,
        data,
        body_zone=str((resource.get("bodySite") or {}).get("text") or ""),
        view=view,
        session=TreatmentSession.objects.for_org(run.org_id).get(pk=session) if session else None,
        taken_at=when(resource.get("createdDateTime")),
        uploaded_by=User.objects.get(pk=uploader) if uploader else None,
        source=PhotoSource.PATIENT if by_patient else PhotoSource.STAFF,
    )
    update_row(photo, created_at=when(resource.get("issued")))
    return photo.pk, False


def import_communication(
    run: Run, resource: dict[str, Any], outcome: RowOutcome
) -> tuple[int, bool]:
    """A message that was sent, kept as sent (it is never sent again)."""
    patient = _patient(run, resource)
    outcome.label = patient.full_name
    if resource.get("status") != "completed":
        raise RowSkipped(f"the message was not sent (status {resource.get('status')!r})")
    sent = when(resource.get("sent"), "sending time")
    if sent is None:
        raise RowSkipped("the message has no sending time")
    topic = text_of(resource.get("topic"))
    kind = by_label(topic, MessageKind)
    if kind is None:
        raise RowSkipped(f"the message kind {topic!r} is not one mesocare sends")
    medium = (resource.get("medium") or [{}])[0]
    codes = [c.get("code") for c in medium.get("coding") or []]
    channel = "email" if "EMAILWRIT" in codes else by_label(text_of(medium), MessageChannel)
    if channel is None:
        raise RowSkipped(f"the channel {text_of(medium)!r} is not email or SMS")
    message = OutboxMessage.objects.create(
        organization_id=run.org_id,
        patient=patient,
        kind=kind,
        channel=channel,
        template=KIND_TEMPLATES.get(kind, "notice"),
        due_at=sent,
        status="sent",
        sent_at=sent,
        idempotency_key=f"fhir-import:{run.org_id}:{run.source}:{resource.get('id', '')}"[:200],
    )
    update_row(message, created_at=sent)
    return message.pk, False


def import_provenance(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> tuple[int, bool]:
    """A session's signature (who signed) or a later amendment (who, when, why)."""
    targets = resource.get("target") or [{}]
    session_pk = run.required(targets[0], "Procedure", "signed session")
    agents = resource.get("agent") or [{}]
    user = run.user_of(agents[0].get("who"))
    activity = ((resource.get("activity") or {}).get("coding") or [{}])[0].get("code")
    session = TreatmentSession.objects.for_org(run.org_id).get(pk=session_pk)
    if activity == "CREATE":
        if user is not None and session.pk in run.signatures:
            run.signatures[session.pk]["signed_by_id"] = user
        elif user is not None:
            update_row(session, signed_by_id=user)
        outcome.label = "signature"
        return session.pk, True
    if activity != "UPDATE":
        raise RowSkipped(f"the activity {activity!r} is neither a signature nor an amendment")
    if user is None:
        raise RowSkipped("the amendment names no staff member of this import")
    amendment = Amendment.objects.create(
        organization_id=run.org_id,
        session=session,
        by_id=user,
        reason=text_of((resource.get("reason") or [{}])[0]) or "imported",
    )
    update_row(amendment, at=when(resource.get("recorded")))
    outcome.label = "amendment"
    return amendment.pk, False


def sign_sessions(run: Run) -> None:
    """Sign the run's sessions, with an UPDATE: saving a signed session schedules its
    aftercare messages, and these were signed (and looked after) long ago."""
    for pk, values in run.signatures.items():
        TreatmentSession.objects.for_org(run.org_id).filter(pk=pk).update(**values)


IMPORTERS = {
    "Organization": import_organization,
    "Location": import_location,
    "Practitioner": import_practitioner,
    "PractitionerRole": import_practitioner_role,
    "Consent": import_consent,
    "Medication": import_medication,
    "Observation": import_observation,
    "CarePlan": import_care_plan,
    "Appointment": import_appointment,
    "Encounter": import_encounter,
    "Procedure": import_procedure,
    "MedicationAdministration": import_medication_administration,
    "AdverseEvent": import_adverse_event,
    "Media": import_media,
    "Communication": import_communication,
    "Provenance": import_provenance,
}
