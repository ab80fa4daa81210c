"""Reading a FHIR Bulk Data export (ndjson files) into an organization (`mesocare fhir import`)."""
