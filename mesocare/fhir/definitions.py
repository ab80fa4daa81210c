"""The code systems and the extension this server defines, served at their canonical URLs
(``<base>/CodeSystem/<id>``, ``<base>/StructureDefinition/<id>``).

No LOINC or SNOMED CT codes exist for the items of the aesthetic severity scales, the
mesotherapy techniques or the clinic's treatment zones, so they are published here as code
systems; everything that has a standard code uses it (LOINC 29463-7 body weight, UCUM units,
SNOMED CT routes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mesocare.catalog.choices import Technique
from mesocare.charting.choices import SideEffectKind
from mesocare.clinics.choices import Role
from mesocare.core.scales import all_scales
from mesocare.outcomes.choices import Landmark, MeasurementKind
from mesocare.patients.choices import ConditionCode, ConsentKind, DrugClass, PhotoUse

DEFINITION_TYPES = ("StructureDefinition", "CodeSystem")
FHIR_VERSION = "4.0.1"
PUBLISHED = "2026-12-07"

# Ids of what this server publishes; a mapper writes ctx.canonical(f"CodeSystem/{id}").
CS_SCALE = "scale"
CS_SCALE_ITEM = "scale-item"
CS_TECHNIQUE = "technique"
CS_ZONE = "zone"
CS_PRODUCT = "product"
CS_SIDE_EFFECT = "side-effect"
CS_CONDITION = "condition"
CS_DRUG_CLASS = "drug-class"
CS_LANDMARK = "landmark"
CS_CONSENT_KIND = "consent-kind"
CS_STAFF_ROLE = "staff-role"
CS_INGREDIENT = "ingredient"
CS_ALLERGEN_FAMILY = "allergen-family"
CS_PHOTO_USE = "photo-use"
CS_INDICATION = "indication"
CS_MEASUREMENT = "measurement"
CS_CHECK_IN = "check-in"
SD_INJECTION = "injection"

# Sub-extensions of the injection extension: (url, value type, short description).
INJECTION_PARTS: tuple[tuple[str, str, str], ...] = (
    ("zone", "Coding", "Treatment zone (code system zone)"),
    ("technique", "Coding", "Mesotherapy technique (code system technique)"),
    ("depth", "Quantity", "Injection depth in mm (UCUM mm)"),
    ("points", "positiveInt", "Number of injection points"),
    ("volume", "Quantity", "Total volume injected in mL (UCUM mL)"),
)


def _choices(choices: Any) -> list[tuple[str, str]]:
    return [(str(value), str(label)) for value, label in choices.choices]


def _zones() -> list[tuple[str, str]]:
    from mesocare.catalog.models import Zone

    return [
        (code, str(name))
        for code, name in Zone.objects.order_by("code").values_list("code", "name")
    ]


def _products() -> list[tuple[str, str]]:
    from mesocare.catalog.models import Product

    curated = Product.objects.filter(organization__isnull=True).order_by("code")
    return [(code, str(name)) for code, name in curated.values_list("code", "name")]


def _ingredients() -> list[tuple[str, str]]:
    from mesocare.catalog.models import Ingredient

    return [(c, str(n)) for c, n in Ingredient.objects.order_by("code").values_list("code", "name")]


def _allergen_families() -> list[tuple[str, str]]:
    from mesocare.catalog.models import AllergenFamily

    rows = AllergenFamily.objects.order_by("code").values_list("code", "name")
    return [(c, str(n)) for c, n in rows]


def _indications() -> list[tuple[str, str]]:
    from mesocare.catalog.models import Indication

    return [(c, str(n)) for c, n in Indication.objects.order_by("code").values_list("code", "name")]


# The items of a patient's side-effect check-in (Observation.component.code).
CHECK_IN_ITEMS: tuple[tuple[str, str], ...] = (
    ("pain_vas", "Pain (0–10)"),
    ("bruising", "Bruising"),
    ("swelling", "Swelling"),
    ("redness", "Redness"),
    ("warmth", "Warmth"),
    ("nodules", "Nodules"),
    ("fever", "Fever"),
    ("discharge", "Discharge"),
    ("skin_colour_change", "Skin colour change"),
    ("max_grade", "Highest side-effect grade found"),
)
CHECK_IN_CODE = ("side-effect-check-in", "Side-effect check-in after a session")


def _check_in() -> list[tuple[str, str]]:
    return [CHECK_IN_CODE, *CHECK_IN_ITEMS]


def _scales() -> list[tuple[str, str]]:
    return [(scale.id, scale.name) for scale in all_scales()]


def _scale_items() -> list[tuple[str, str]]:
    return [
        (f"{scale.id}.{item.key}", f"{scale.name}: {item.label}")
        for scale in all_scales()
        for item in scale.items
    ]


_CODE_SYSTEMS: dict[str, tuple[str, str, Callable[[], list[tuple[str, str]]]]] = {
    CS_SCALE: ("Severity scales", "The scales an Observation's code names.", _scales),
    CS_SCALE_ITEM: (
        "Severity scale items",
        "One code per item of each scale, as <scale>.<item> (Observation.component.code).",
        _scale_items,
    ),
    CS_TECHNIQUE: (
        "Mesotherapy techniques",
        "How an injection was given.",
        lambda: _choices(Technique),
    ),
    CS_ZONE: ("Treatment zones", "The body zones a session treats.", _zones),
    CS_SIDE_EFFECT: (
        "Side effects",
        "Side effects charted by staff or reported by patients.",
        lambda: _choices(SideEffectKind),
    ),
    CS_CONDITION: ("History conditions", "Medical history flags.", lambda: _choices(ConditionCode)),
    CS_DRUG_CLASS: ("Drug classes", "Classes of current medications.", lambda: _choices(DrugClass)),
    CS_LANDMARK: (
        "Measurement landmarks",
        "Where a circumference or skinfold was measured.",
        lambda: _choices(Landmark),
    ),
    CS_CONSENT_KIND: ("Consent kinds", "What a consent covers.", lambda: _choices(ConsentKind)),
    CS_STAFF_ROLE: ("Staff roles", "A staff member's role in the clinic.", lambda: _choices(Role)),
    CS_INGREDIENT: ("Ingredients", "Active ingredients of products.", _ingredients),
    CS_ALLERGEN_FAMILY: (
        "Allergen families",
        "Groups of substances that cross-react.",
        _allergen_families,
    ),
    CS_PHOTO_USE: (
        "Photo use",
        "What a patient allows photos to be used for.",
        lambda: _choices(PhotoUse),
    ),
    CS_INDICATION: ("Indications", "What a treatment course treats.", _indications),
    CS_MEASUREMENT: (
        "Measurements",
        "Kinds of body measurement.",
        lambda: _choices(MeasurementKind),
    ),
    CS_CHECK_IN: (
        "Side-effect check-in",
        "The check-in a patient answers after a session, and its items.",
        _check_in,
    ),
    CS_PRODUCT: (
        "Products",
        "The curated products (a clinic's own products use the same system).",
        _products,
    ),
}


def _name(title: str) -> str:
    return "".join(word.capitalize() for word in title.replace("-", " ").split())


def code_system(cs_id: str, base_url: str) -> dict[str, Any] | None:
    spec = _CODE_SYSTEMS.get(cs_id)
    if spec is None:
        return None
    title, description, concepts = spec
    rows = concepts()
    return {
        "resourceType": "CodeSystem",
        "id": cs_id,
        "url": f"{base_url}/CodeSystem/{cs_id}",
        "name": _name(title),
        "title": title,
        "status": "active",
        "date": PUBLISHED,
        "publisher": "mesocare",
        "description": description,
        "caseSensitive": True,
        "content": "fragment" if cs_id == CS_PRODUCT else "complete",
        "count": len(rows),
        "concept": [{"code": code, "display": display} for code, display in rows],
    }


def injection_extension(base_url: str) -> dict[str, Any]:
    url = f"{base_url}/StructureDefinition/{SD_INJECTION}"
    elements: list[dict[str, Any]] = [
        {
            "id": "Extension",
            "path": "Extension",
            "short": "One injection of the session",
            "definition": "Zone, technique, depth, points and volume of one injection record "
            "of a mesotherapy session.",
            "min": 0,
            "max": "*",
        },
        {
            "id": "Extension.extension",
            "path": "Extension.extension",
            "slicing": {"discriminator": [{"type": "value", "path": "url"}], "rules": "open"},
            "min": 5,
        },
    ]
    for part, value_type, short in INJECTION_PARTS:
        slice_id = f"Extension.extension:{part}"
        elements += [
            {
                "id": slice_id,
                "path": "Extension.extension",
                "sliceName": part,
                "short": short,
                "min": 1,
                "max": "1",
            },
            {"id": f"{slice_id}.extension", "path": "Extension.extension.extension", "max": "0"},
            {"id": f"{slice_id}.url", "path": "Extension.extension.url", "fixedUri": part},
            {
                "id": f"{slice_id}.value[x]",
                "path": "Extension.extension.value[x]",
                "min": 1,
                "type": [{"code": value_type}],
            },
        ]
    elements += [
        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
        {"id": "Extension.value[x]", "path": "Extension.value[x]", "max": "0"},
    ]
    return {
        "resourceType": "StructureDefinition",
        "id": SD_INJECTION,
        "url": url,
        "name": "Injection",
        "title": "Mesotherapy injection",
        "status": "active",
        "date": PUBLISHED,
        "publisher": "mesocare",
        "description": "The technique, depth, zone, points and volume of one injection of a "
        "treatment session (on Procedure, one per injection record).",
        "fhirVersion": FHIR_VERSION,
        "kind": "complex-type",
        "abstract": False,
        "context": [{"type": "element", "expression": "Procedure"}],
        "type": "Extension",
        "baseDefinition": "http://hl7.org/fhir/StructureDefinition/Extension",
        "derivation": "constraint",
        "differential": {"element": elements},
    }


def definition(type_name: str, fhir_id: str, base_url: str) -> dict[str, Any] | None:
    if type_name == "CodeSystem":
        return code_system(fhir_id, base_url)
    if type_name == "StructureDefinition" and fhir_id == SD_INJECTION:
        return injection_extension(base_url)
    return None


def code_system_ids() -> tuple[str, ...]:
    return tuple(_CODE_SYSTEMS)
