"""One mapping module per FHIR resource type; importing this package registers them all (the
CapabilityStatement lists them in this order)."""

from mesocare.fhir.resources import (  # noqa: F401
    adverse_event,
    allergy_intolerance,
    appointment,
    care_plan,
    communication,
    condition,
    consent,
    encounter,
    group,
    location,
    media,
    medication,
    medication_administration,
    medication_statement,
    observation,
    organization,
    patient,
    practitioner,
    practitioner_role,
    procedure,
    provenance,
)
