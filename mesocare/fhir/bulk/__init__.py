"""Bulk Data access for the FHIR API: SMART Backend Services clients and their access tokens
(`mesocare.fhir.smart`)."""
