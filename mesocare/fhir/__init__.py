"""FHIR R4 adapter over the domain: read, search and the CapabilityStatement at /fhir/R4/.

The mapping modules live in `mesocare.fhir.resources`; `mesocare.fhir.registry` documents the
interface they implement and holds the one registry that drives routes, search parameters and
the CapabilityStatement."""
