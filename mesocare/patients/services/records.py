"""Intake and history records on a patient's chart: allergies, medications, conditions,
consents, weights. Reception may record them (intake) but only clinical roles read them back,
except allergies, which every role sees because they are safety-critical."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Ingredient
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.patients.choices import AllergyStatus
from mesocare.patients.matching import match_substance
from mesocare.patients.models import (
    Allergy,
    Condition,
    Consent,
    Medication,
    Patient,
    PatientRecord,
    Weight,
)
from mesocare.patients.services.registry import stamp_allergy_status

R = TypeVar("R", bound=PatientRecord)

READ_PERMISSION: dict[type[PatientRecord], Perm] = {
    Allergy: Perm.ALLERGY_VIEW,
    Medication: Perm.CLINICAL_VIEW,
    Condition: Perm.CLINICAL_VIEW,
    Consent: Perm.CLINICAL_VIEW,
    Weight: Perm.CLINICAL_VIEW,
}


def _create(actor: Actor, patient: Patient, instance: R, summary: str) -> R:
    actor.require(Perm.INTAKE_RECORD)
    instance.organization_id = actor.org_id
    instance.patient = patient  # type: ignore[attr-defined]
    instance.recorded_by = actor.user
    full_clean_or_invalid(instance, exclude=["organization", "patient", "recorded_by"])
    instance.save()
    record(actor, AuditAction.CREATE, instance, patient_id=patient.pk, summary=summary)
    return instance


def list_records(actor: Actor, patient: Patient, model: type[R]) -> models.QuerySet[R]:
    actor.require(READ_PERMISSION[model])
    qs: Any = model.objects.for_org(actor.org_id).filter(patient=patient)  # type: ignore[attr-defined,misc]
    if model is Allergy:
        qs = qs.select_related("ingredient", "allergen_family")
    return qs  # type: ignore[no-any-return]


@transaction.atomic
def add_allergy(
    actor: Actor,
    patient: Patient,
    *,
    substance: str | None = None,
    ingredient_id: int | None = None,
    reaction: str = "",
    severity: str = "unknown",
    patient_reported: bool = False,
) -> Allergy:
    """Record an allergy; the patient's allergy status becomes "has allergies"."""
    ingredient = family = None
    if ingredient_id is not None:
        ingredient = Ingredient.objects.filter(pk=ingredient_id).first()
        if ingredient is None:
            raise Invalid.field("ingredient", _("No ingredient with id %s.") % ingredient_id)
        substance = substance or ingredient.name
    elif substance and substance.strip():
        ingredient, family = match_substance(substance)
    else:
        raise Invalid.field("substance", _("Give a substance or a catalog ingredient."))
    allergy = Allergy(
        substance=(substance or "").strip(),
        ingredient=ingredient,
        allergen_family=family,
        reaction=reaction,
        severity=severity,
    )
    allergy = _create(actor, patient, allergy, f"allergy: {allergy.substance}")
    _set_allergy_status(
        actor, patient, AllergyStatus.HAS_ALLERGIES, patient_reported=patient_reported
    )
    return allergy


@transaction.atomic
def record_no_known_allergies(
    actor: Actor, patient: Patient, *, patient_reported: bool = False
) -> None:
    """The patient was asked and knows of no allergy (refused while one is on file)."""
    actor.require(Perm.INTAKE_RECORD)
    if Allergy.objects.filter(patient_id=patient.pk, is_active=True).exists():
        raise Invalid.field(
            "allergy_status",
            _("This patient has allergies on file: end them before recording this answer."),
        )
    _set_allergy_status(
        actor, patient, AllergyStatus.NO_KNOWN_ALLERGIES, patient_reported=patient_reported
    )


def _set_allergy_status(
    actor: Actor, patient: Patient, status: str, *, patient_reported: bool = False
) -> None:
    """Follow the allergy list with the status (audited on the patient) when it changes: one
    conditional UPDATE, so two requests never both record the change."""
    row = Patient(pk=patient.pk, organization_id=actor.org_id)
    stamp_allergy_status(
        actor,
        row,
        status,
        has_active=status == AllergyStatus.HAS_ALLERGIES,
        patient_reported=patient_reported,
    )
    fields = {
        "allergy_status": row.allergy_status,
        "allergy_status_by": row.allergy_status_by,
        "allergy_status_at": row.allergy_status_at,
        "allergy_status_patient_reported": row.allergy_status_patient_reported,
    }
    changed = (
        Patient.objects.for_org(actor.org_id)
        .filter(pk=patient.pk)
        .exclude(allergy_status=status)
        .update(**fields)
    )
    if not changed:
        return
    before = patient.allergy_status if patient.allergy_status != status else None
    for name, value in fields.items():
        setattr(patient, name, value)
    record(
        actor,
        AuditAction.UPDATE,
        patient,
        patient_id=patient.pk,
        changes={"allergy_status": [before, status]},
    )


@transaction.atomic
def add_medication(actor: Actor, patient: Patient, *, name: str, drug_class: str) -> Medication:
    return _create(
        actor, patient, Medication(name=name, drug_class=drug_class), f"medication: {name}"
    )


@transaction.atomic
def add_condition(
    actor: Actor, patient: Patient, *, code: str, body_area: str = "", note: str = ""
) -> Condition:
    condition = Condition(code=code, body_area=body_area, note=note)
    return _create(actor, patient, condition, f"condition: {code}")


@transaction.atomic
def add_consent(actor: Actor, patient: Patient, **fields: Any) -> Consent:
    if fields.get("signed_on") and fields["signed_on"] > timezone.localdate():
        raise Invalid.field("signed_on", _("A consent cannot be signed in the future."))
    consent = Consent(**{k: v for k, v in fields.items() if v is not None})
    return _create(actor, patient, consent, f"consent: {consent.kind} v{consent.version}")


@transaction.atomic
def record_weight(actor: Actor, patient: Patient, *, kg: Decimal, measured_on: dt.date) -> Weight:
    if measured_on > timezone.localdate():
        raise Invalid.field("measured_on", _("A weight cannot be measured in the future."))
    if not Decimal("1") <= kg <= Decimal("400"):
        raise Invalid.field("kg", _("Weight must be between 1 and 400 kg."))
    return _create(actor, patient, Weight(kg=kg, measured_on=measured_on), f"weight: {kg} kg")


def get_record(
    actor: Actor, patient: Patient, model: type[R], pk: Any, *, to_change: Perm | None = None
) -> R:
    """One record of the patient. ``to_change`` names the permission of the change the caller
    is about to make, when that may be made without reading the kind back (reception withdraws
    a consent it recorded but may not list consents)."""
    if to_change is not None:
        actor.require(to_change)
    try:
        if to_change is not None:
            qs: Any = model.objects.for_org(actor.org_id).filter(patient=patient)  # type: ignore[attr-defined,misc]
            return qs.get(pk=pk)  # type: ignore[no-any-return]
        return list_records(actor, patient, model).get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise NotFound("not_found", _("No such record on this patient.")) from None


@transaction.atomic
def deactivate_record(actor: Actor, instance: Allergy | Medication | Condition) -> None:
    """Allergies, medications and conditions are ended, never erased: the history stays."""
    actor.require(Perm.CLINICAL_EDIT)
    if not instance.is_active:
        raise Conflict("already_inactive", _("This record is already ended."))
    instance.is_active = False
    instance.save(update_fields=["is_active"])
    record(
        actor,
        AuditAction.UPDATE,
        instance,
        patient_id=instance.patient_id,
        changes={"is_active": [True, False]},
    )
    if isinstance(instance, Allergy) and not (
        Allergy.objects.filter(patient_id=instance.patient_id, is_active=True).exists()
    ):
        # The last allergy ended (recorded in error, or outgrown): that is not an answer
        # of "none known". The history must be taken again.
        _set_allergy_status(actor, instance.patient, AllergyStatus.UNKNOWN)


@transaction.atomic
def withdraw_consent(actor: Actor, consent: Consent, on: dt.date | None = None) -> Consent:
    actor.require(Perm.INTAKE_RECORD)
    if consent.withdrawn_on is not None:
        raise Conflict("already_withdrawn", _("This consent was already withdrawn."))
    consent.withdrawn_on = on or timezone.localdate()
    consent.save(update_fields=["withdrawn_on"])
    record(
        actor,
        AuditAction.UPDATE,
        consent,
        patient_id=consent.patient_id,
        changes={"withdrawn_on": [None, str(consent.withdrawn_on)]},
    )
    return consent


def latest_weight(patient: Patient) -> Weight | None:
    return patient.weights.order_by("-measured_on", "-id").first()
