"""One mapping module per FHIR resource type; importing this package registers them all, in
the order the CapabilityStatement lists them."""

from mesocare.fhir.resources import (  # noqa: F401
    location,
    organization,
    patient,
    practitioner,
    practitioner_role,
)
