"""The patient page frame shared by every patient tab: an audited read of the patient, the
header (age, allergies, safety flags) and the tabs this actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.patients.choices import DrugClass, PregnancyStatus
from mesocare.patients.models import Allergy, Condition, Medication, Patient
from mesocare.patients.services.registry import get_patient
from mesocare.web.patient_tabs import visible_tabs

# Drug classes that change what may be injected; shown in the header as flags.
FLAGGED_DRUG_CLASSES = {
    DrugClass.ANTICOAGULANT,
    DrugClass.ANTIPLATELET,
    DrugClass.ISOTRETINOIN,
    DrugClass.IMMUNOSUPPRESSANT,
}


@dataclass(frozen=True)
class Flag:
    label: str
    level: str  # "block" or "warn": the badge class


def header_flags(actor: Actor, patient: Patient) -> list[Flag]:
    """Clinical flags for the header; empty for roles that may not read clinical history."""
    if not actor.can(Perm.CLINICAL_VIEW):
        return []
    flags: list[Flag] = []
    if patient.pregnancy_status == PregnancyStatus.PREGNANT:
        flags.append(Flag(_("Pregnant"), "block"))
    if patient.breastfeeding:
        flags.append(Flag(_("Breastfeeding"), "block"))
    classes = (
        Medication.objects.for_org(actor.org_id)
        .filter(patient=patient, is_active=True, drug_class__in=FLAGGED_DRUG_CLASSES)
        .values_list("drug_class", flat=True)
        .distinct()
    )
    for drug_class in sorted(set(classes)):
        flags.append(Flag(str(DrugClass(drug_class).label), "warn"))
    codes = (
        Condition.objects.for_org(actor.org_id)
        .filter(patient=patient, is_active=True)
        .values_list("code", flat=True)
        .distinct()
    )
    for condition in sorted(set(codes)):
        flags.append(Flag(str(Condition(code=condition).get_code_display()), "warn"))
    return flags


def open_patient_page(actor: Actor, patient_id: Any, tab: str) -> tuple[Patient, dict[str, Any]]:
    """Read the patient (audited, channel "web") and build the layout's context."""
    patient = get_patient(actor, patient_id, channel="web")
    allergies = list(
        Allergy.objects.for_org(actor.org_id)
        .filter(patient=patient, is_active=True)
        .order_by("substance", "id")
    )
    context = {
        "patient": patient,
        "patient_age": patient.age_on(timezone.localdate()),
        "header_allergies": allergies,
        "header_flags": header_flags(actor, patient),
        "patient_tabs": visible_tabs(actor, patient.pk),
        "active_tab": tab,
    }
    return patient, context
