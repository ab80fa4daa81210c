"""The CapabilityStatement, generated from the registry: it claims exactly what the routes and
the search module serve."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mesocare.fhir import search
from mesocare.fhir.definitions import DEFINITION_TYPES
from mesocare.fhir.registry import BULK_DATA, EXPORT_OPERATIONS, resource_types
from mesocare.fhir.smart import token_url

RESTFUL_SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"
OAUTH_URIS = "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris"

# Fixed so that the statement (and its ETag-free body) is the same on every request.
PUBLISHED = "2026-12-07"


def _software_version() -> str:
    try:
        return version("mesocare")
    except PackageNotFoundError:
        return "0.1.0"


def _export_operation(level: str) -> dict[str, Any]:
    _type_name, definition = EXPORT_OPERATIONS[level]
    return {
        "name": "export",
        "definition": definition,
        "documentation": (
            "Bulk Data export (asynchronous: Prefer: respond-async; _type, _since, "
            "_outputFormat=application/fhir+ndjson)."
        ),
    }


def _security() -> dict[str, Any]:
    return {
        "extension": [
            {
                "url": OAUTH_URIS,
                "extension": [{"url": "token", "valueUri": token_url()}],
            }
        ],
        "cors": False,
        "service": [
            {
                "coding": [{"system": RESTFUL_SECURITY, "code": "SMART-on-FHIR"}],
                "text": "SMART Backend Services (client credentials, signed JWT assertion)",
            }
        ],
        "description": (
            "Bearer API tokens of the organization's staff, or SMART Backend Services: a "
            "registered client posts a JWT signed with its key (private_key_jwt) to the token "
            "endpoint (see .well-known/smart-configuration) for a system/*.read token."
        ),
    }


def capability_statement(base_url: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    type_operations = {
        type_name: level for level, (type_name, _d) in EXPORT_OPERATIONS.items() if type_name
    }
    for rtype in resource_types():
        entry: dict[str, Any] = {
            "type": rtype.name,
            "profile": rtype.profile,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "versioning": "versioned",
            "readHistory": False,
            "conditionalRead": "not-match",
            "searchParam": [
                {"name": p.name, "type": p.type, "documentation": p.documentation}
                for p in search.all_params(rtype)
            ],
        }
        if rtype.documentation:
            entry["documentation"] = rtype.documentation
        if rtype.includes:
            entry["searchInclude"] = [f"{rtype.name}:{inc.param}" for inc in rtype.includes]
        if rtype.name in type_operations:
            entry["operation"] = [_export_operation(type_operations[rtype.name])]
        resources.append(entry)
    for type_name in DEFINITION_TYPES:
        resources.append(
            {
                "type": type_name,
                "interaction": [{"code": "read"}],
                "documentation": "The definitions this server publishes (read by id).",
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "mesocare",
        "kind": "instance",
        "software": {"name": "mesocare", "version": _software_version()},
        "implementation": {"description": "mesocare FHIR R4 API", "url": base_url},
        "instantiates": [f"{BULK_DATA}/CapabilityStatement/bulk-data"],
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read and search of one organization's records. Authenticate with "
                    "Authorization: Bearer <API token>. Search: comma = OR, repeated "
                    "parameter = AND, _count (at most "
                    f"{search.MAX_COUNT}, default {search.DEFAULT_COUNT}) with next links; "
                    "any parameter not listed here is refused with 400."
                ),
                "security": _security(),
                "resource": resources,
                "operation": [
                    _export_operation(level)
                    for level, (type_name, _d) in EXPORT_OPERATIONS.items()
                    if type_name is None
                ],
            }
        ],
    }
