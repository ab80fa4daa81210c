"""The CapabilityStatement, generated from the registry: it claims exactly what the routes and
the search module serve."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from mesocare.fhir import search
from mesocare.fhir.definitions import DEFINITION_TYPES
from mesocare.fhir.registry import resource_types

# Fixed so that the statement (and its ETag-free body) is the same on every request.
PUBLISHED = "2026-12-07"


def _software_version() -> str:
    try:
        return version("mesocare")
    except PackageNotFoundError:
        return "0.1.0"


def capability_statement(base_url: str) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
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
                "security": {
                    "cors": False,
                    "description": "Bearer API tokens of the organization's staff.",
                },
                "resource": resources,
            }
        ],
    }
