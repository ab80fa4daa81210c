"""`mesocare fhir import DIR`: the patients of a Bulk Data export (this server's or any R4
server's) with their allergies, medications and conditions, into one organization.

Each resource goes through the switching import's services (`mesocare.imports.services`): the
same validation, the same duplicate matching of patients, the same audit, one transaction for
the whole directory, and (source, kind, resource id) remembered so a second run changes
nothing. Every resource is first checked against the R4B model of `fhir.resources`; one that
does not validate, or whose type is not imported, is reported as skipped with the reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Ingredient
from mesocare.clinics.actor import Actor
from mesocare.errors import DomainError, Invalid
from mesocare.fhir.definitions import CS_ALLERGEN_FAMILY, CS_INGREDIENT
from mesocare.fhir.importer.clinical import (
    IMPORTERS,
    KIND,
    Deferred,
    Run,
    import_no_known_allergy,
    is_no_known_allergy,
    sign_sessions,
    update_row,
    when,
)
from mesocare.imports.models import ImportedRecord
from mesocare.imports.services import (
    CREATED,
    SKIPPED,
    ImportReport,
    RowOutcome,
    RowSkipped,
    clean_source,
    import_patient,
    import_row,
    require_import,
)
from mesocare.lib.text import normalize_search
from mesocare.patients.choices import ConditionCode, DrugClass
from mesocare.patients.models import Allergy, Condition, Medication, Patient
from mesocare.patients.services import records

# Dependency order: a resource's references point at types before it (those that point ahead,
# e.g. an Observation made in a session, are tried again after every type: `Deferred`).
ORDER = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "AllergyIntolerance",
    "MedicationStatement",
    "Condition",
    "Consent",
    "Medication",
    "Observation",
    "CarePlan",
    "Appointment",
    "Encounter",
    "Procedure",
    "MedicationAdministration",
    "AdverseEvent",
    "Media",
    "Communication",
    "Provenance",
)
SEX = {"female": "female", "male": "male", "other": "intersex", "unknown": "unknown"}
SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}
CRITICALITY = {"low": "unknown", "high": "severe", "unable-to-assess": "unknown"}


class _RollBack(Exception):
    pass


def read_export(directory: Path) -> Iterator[tuple[str, int, dict[str, Any] | None, str]]:
    """(file name, line, resource or None, error) for every line of every .ndjson file."""
    for path in sorted(directory.glob("*.ndjson")):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    resource = json.loads(line)
                except ValueError:
                    yield path.name, number, None, "the line is not JSON"
                    continue
                if not isinstance(resource, dict) or "resourceType" not in resource:
                    yield path.name, number, None, "the line is not a FHIR resource"
                    continue
                yield path.name, number, resource, ""


def import_export(
    actor: Actor, directory: Path, *, source: str = "fhir", dry_run: bool = False
) -> ImportReport:
    require_import(actor, "patients")
    for kind in ("appointments", "stock_lots"):  # bookings and lots come in too
        require_import(actor, kind)
    source = clean_source(source)
    if not directory.is_dir():
        raise Invalid.field("directory", f"No directory {directory}.")
    by_type: dict[str, list[tuple[str, int, dict[str, Any]]]] = {}
    report = ImportReport("fhir", source, dry_run)
    counter = 0
    for name, number, resource, error in read_export(directory):
        counter += 1
        if resource is None:
            report.rows.append(RowOutcome(counter, f"{name}:{number}", SKIPPED, "", [error]))
            continue
        by_type.setdefault(resource["resourceType"], []).append((name, number, resource))
    for file_name, number, resource in by_type.pop("OperationOutcome", []):
        issues = resource.get("issue") or [{}]
        report.rows.append(
            RowOutcome(
                number,
                f"{file_name}:{number}",
                SKIPPED,
                "",
                [f"the exporting server reported an error: {issues[0].get('diagnostics', '')}"],
            )
        )
    for type_name in sorted(set(by_type) - set(ORDER)):
        for _name, number, resource in by_type[type_name]:
            report.rows.append(
                RowOutcome(
                    number,
                    f"{type_name}/{resource.get('id', '')}",
                    SKIPPED,
                    "",
                    [f"{type_name} is not imported (only {', '.join(ORDER)})"],
                )
            )
    run = Run(actor, source, index={})
    for type_name, rows in by_type.items():
        run.index[type_name] = {str(r.get("id", "")): r for _n, _l, r in rows}
    try:
        with transaction.atomic():
            seen: dict[str, set[str]] = {kind: set() for kind in KIND.values()}
            deferred: list[tuple[str, int, dict[str, Any], RowOutcome]] = []
            for type_name in ORDER:
                for _name, number, resource in by_type.get(type_name, []):
                    outcome = RowOutcome(number, f"{type_name}/{resource.get('id', '')}", "")
                    report.rows.append(outcome)
                    if not _import_one(run, type_name, resource, outcome, seen):
                        deferred.append((type_name, number, resource, outcome))
            run.last_pass = True
            for type_name, _number, resource, outcome in deferred:
                _import_one(run, type_name, resource, outcome, seen)
            sign_sessions(run)
            record(
                actor,
                AuditAction.CREATE,
                actor.organization,
                summary=(
                    f"FHIR import from {source}: "
                    + ", ".join(f"{v} {k}" for k, v in report.counts.items())
                ),
                channel="cli",
            )
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return report


def _import_one(
    run: Run,
    type_name: str,
    resource: dict[str, Any],
    outcome: RowOutcome,
    seen: dict[str, set[str]],
) -> bool:
    """Import one resource into `outcome`; False when it must wait for a later one."""
    kind = KIND[type_name]
    external_id = str(resource.get("id", ""))
    try:
        _validate(resource)
        values = {"external_id": external_id}
        if type_name == "AllergyIntolerance" and is_no_known_allergy(resource):

            def importer(
                actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
            ) -> tuple[int, bool]:
                return import_no_known_allergy(run, resource, outcome)

        elif type_name in _VALUES:
            values.update(_VALUES[type_name](resource))
            importer = _IMPORTERS[type_name]
        else:

            def importer(
                actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
            ) -> tuple[int, bool]:
                return IMPORTERS[type_name](run, resource, outcome)

        import_row(run.actor, importer, run.source, kind, values, outcome, seen[kind])
        if type_name in _AFTER:
            _AFTER[type_name](run, resource, outcome)
    except Deferred:
        seen[kind].discard(external_id)
        return False
    except RowSkipped as exc:
        outcome.status, outcome.reasons = SKIPPED, exc.reasons
    except DomainError as exc:
        outcome.status, outcome.reasons = SKIPPED, [exc.message]
    except IntegrityError as exc:  # the savepoint was rolled back
        outcome.status, outcome.reasons = SKIPPED, [_refused(exc)]
    return True


OVERLAPS = {
    "appointment_practitioner_no_overlap": "the practitioner has another booking at that time",
    "appointment_patient_no_overlap": "the patient has another booking at that time",
}


def _refused(exc: IntegrityError) -> str:
    text = str(exc)
    for constraint, reason in OVERLAPS.items():
        if constraint in text:
            return reason
    return f"refused by the database: {text.splitlines()[0][:200]}"


def _validate(resource: dict[str, Any]) -> None:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except (ValidationError, KeyError, ValueError) as exc:
        first = str(exc).splitlines()
        raise RowSkipped(f"not valid R4: {' '.join(first[:3])[:300]}") from None


# -- resource → the values the importers take ------------------------------------------------


def _patient_values(resource: dict[str, Any]) -> dict[str, str]:
    names = resource.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    telecom = resource.get("telecom") or []
    address = resource.get("address") or [{}]
    address_text = address[0].get("text") or ", ".join(
        [*address[0].get("line", []), address[0].get("city", "")]
    ).strip(", ")
    return {
        "given_name": " ".join(name.get("given") or []),
        "family_name": name.get("family", ""),
        "birth_date": resource.get("birthDate", ""),
        "sex_at_birth": SEX.get(resource.get("gender", ""), resource.get("gender", "")),
        "phone": next((t.get("value", "") for t in telecom if t.get("system") == "phone"), ""),
        "email": next((t.get("value", "") for t in telecom if t.get("system") == "email"), ""),
        "address": address_text,
    }


def _concept_text(concept: dict[str, Any] | None) -> str:
    concept = concept or {}
    codings = concept.get("coding") or [{}]
    return concept.get("text") or codings[0].get("display") or codings[0].get("code") or ""


def _codes(concept: dict[str, Any] | None) -> list[str]:
    return [c.get("code", "") for c in (concept or {}).get("coding") or []]


def _subject(resource: dict[str, Any]) -> str:
    reference = (resource.get("patient") or resource.get("subject") or {}).get("reference", "")
    type_name, _sep, fhir_id = reference.rpartition("/")
    if type_name != "Patient" or not fhir_id:
        raise RowSkipped(f"the patient reference {reference!r} is not Patient/<id>")
    return fhir_id


def _allergy_values(resource: dict[str, Any]) -> dict[str, str]:
    reactions = resource.get("reaction") or []
    severity = next((r.get("severity") for r in reactions if r.get("severity")), None)
    manifestation = next(
        (_concept_text(m) for r in reactions for m in r.get("manifestation") or []), ""
    )
    codings = (resource.get("code") or {}).get("coding") or []
    systems = {c.get("system", "").rsplit("/", 1)[-1]: c.get("code", "") for c in codings}
    return {
        # This server's own catalog codes (an ingredient without an allergen family) are kept
        # as they are; otherwise the substance is matched by name as on the allergy form.
        "ingredient": systems.get(CS_INGREDIENT, "") if CS_ALLERGEN_FAMILY not in systems else "",
        "patient": _subject(resource),
        "substance": _concept_text(resource.get("code")),
        "severity": SEVERITY.get(
            severity or "", CRITICALITY.get(resource.get("criticality", ""), "unknown")
        ),
        "reaction": manifestation,
    }


def _medication_values(resource: dict[str, Any]) -> dict[str, str]:
    concept = resource.get("medicationCodeableConcept")
    drug_class = next((c for c in _codes(concept) if c in DrugClass.values), DrugClass.OTHER)
    return {"patient": _subject(resource), "name": _concept_text(concept), "drug_class": drug_class}


def _condition_values(resource: dict[str, Any]) -> dict[str, str]:
    code = next((c for c in _codes(resource.get("code")) if c in ConditionCode.values), "")
    if not code:
        raise RowSkipped(
            f"condition {_concept_text(resource.get('code'))!r} is not one mesocare records"
        )
    sites = resource.get("bodySite") or []
    return {
        "patient": _subject(resource),
        "code": code,
        "body_area": _concept_text(sites[0]) if sites else "",
    }


def _imported_patient(actor: Actor, source: str, fhir_id: str) -> Patient:
    link = (
        ImportedRecord.objects.for_org(actor.org_id)
        .filter(source=source, kind="patients", external_id=fhir_id)
        .first()
    )
    patient = (
        Patient.objects.for_org(actor.org_id).filter(pk=link.object_id).first() if link else None
    )
    if patient is None:
        raise RowSkipped(f"Patient/{fhir_id} is not in the export (or was skipped)")
    return patient


def _import_allergy(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    patient = _imported_patient(actor, source, values["patient"])
    if not values["substance"]:
        raise RowSkipped("the allergy names no substance")
    outcome.label = patient.full_name
    for existing in Allergy.objects.for_org(actor.org_id).filter(patient=patient, is_active=True):
        if normalize_search(existing.substance) == normalize_search(values["substance"]):
            return existing.pk, True
    ingredient = (
        Ingredient.objects.filter(code=values["ingredient"]).first()
        if values["ingredient"]
        else None
    )
    allergy = records.add_allergy(
        actor, patient, substance=values["substance"][:200], reaction=values["reaction"][:200],
        severity=values["severity"], ingredient_id=ingredient.pk if ingredient else None,
    )  # fmt: skip
    outcome.label = patient.full_name
    return allergy.pk, False


def _import_medication(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    patient = _imported_patient(actor, source, values["patient"])
    if not values["name"]:
        raise RowSkipped("the medication has no name")
    outcome.label = patient.full_name
    for existing in Medication.objects.for_org(actor.org_id).filter(
        patient=patient, is_active=True
    ):
        if normalize_search(existing.name) == normalize_search(values["name"]):
            return existing.pk, True
    medication = records.add_medication(
        actor, patient, name=values["name"][:200], drug_class=values["drug_class"]
    )
    outcome.label = patient.full_name
    return medication.pk, False


def _import_condition(
    actor: Actor, source: str, values: dict[str, str], outcome: RowOutcome
) -> tuple[int, bool]:
    patient = _imported_patient(actor, source, values["patient"])
    outcome.label = patient.full_name
    existing = (
        Condition.objects.for_org(actor.org_id)
        .filter(patient=patient, is_active=True, code=values["code"])
        .first()
    )
    if existing is not None:
        return existing.pk, True
    condition = records.add_condition(
        actor, patient, code=values["code"], body_area=values["body_area"][:64]
    )
    outcome.label = patient.full_name
    return condition.pk, False


_VALUES = {
    "Patient": _patient_values,
    "AllergyIntolerance": _allergy_values,
    "MedicationStatement": _medication_values,
    "Condition": _condition_values,
}
_IMPORTERS = {
    "Patient": import_patient,
    "AllergyIntolerance": _import_allergy,
    "MedicationStatement": _import_medication,
    "Condition": _import_condition,
}


def _record_times(model: Any, when_key: str, type_name: str) -> Any:
    """After a record was created: when and by whom the source recorded it."""

    def after(run: Run, resource: dict[str, Any], outcome: RowOutcome) -> None:
        if outcome.status != CREATED:
            return
        pk = run.link(type_name, str(resource.get("id", "")))
        row = model.objects.for_org(run.org_id).filter(pk=pk).first()
        if row is None:
            return
        update_row(
            row,
            recorded_at=when(resource.get(when_key)),
            recorded_by_id=run.user_of(resource.get("recorder")),
        )

    return after


_AFTER = {
    "AllergyIntolerance": _record_times(Allergy, "recordedDate", "AllergyIntolerance"),
    "MedicationStatement": _record_times(Medication, "dateAsserted", "MedicationStatement"),
    "Condition": _record_times(Condition, "recordedDate", "Condition"),
}
