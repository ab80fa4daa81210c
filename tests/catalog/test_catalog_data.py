"""Integrity of the curated catalog seed data in mesocare/catalog/data/*.json.

Pure Python (json + pathlib + decimal): no Django, no database. The Django loader upserts these
records by ``code``; these tests make sure every cross-reference resolves and every number is sane
before the loader ever sees the files.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).resolve().parents[2] / "mesocare" / "catalog" / "data"

FILES = (
    "allergen_families",
    "ingredients",
    "products",
    "zones",
    "indications",
    "instructions",
    "protocols",
)

# Scale ids a protocol may use, with the bands the scales API exposes. "any" is the planner's
# fixed-count rule for scales without bands (and for protocols without a scale).
PROTOCOL_SCALE_BANDS: dict[str | None, set[str]] = {
    "hexsel-css": {"none", "mild", "moderate", "severe"},
    "nurnberger-muller": {"none", "mild", "moderate", "severe"},
    "gags": {"none", "mild", "moderate", "severe", "very_severe"},
    "vas-pain": {"none", "mild", "moderate", "severe"},
    "glogau": {"mild", "moderate", "advanced", "severe"},
    "norwood": {"mild", "moderate", "severe"},
    "ludwig": {"mild", "moderate", "severe"},
    "cr-smfrs": {"none", "mild", "moderate", "severe", "extreme"},
    "mmasi": set(),
    None: set(),
}

REQUIRED_PRODUCT_NAMES = (
    "Lidocaine 1%",
    "Lidocaine 1% with epinephrine",
    "Lidocaine 2%",
    "Deoxycholic acid 10 mg/mL",
    "Phosphatidylcholine",
    "Caffeine",
    "Hyaluronic acid",
    "Tranexamic acid",
    "Dutasteride",
    "Biotin",
    "Polyrevitalising",
    "Procaine 2%",
    "Organic silicon",
    "Sodium chloride 0.9%",
    "Minoxidil 0.5%",
    "Artichoke",
    "L-carnitine",
)

REQUIRED_INDICATIONS = (
    "cellulite",
    "localized_fat_body",
    "localized_fat_submental",
    "acne_active",
    "acne_scars",
    "striae",
    "rejuvenation_face",
    "rejuvenation_neck",
    "rejuvenation_decollete",
    "rejuvenation_arms",
    "rejuvenation_hands",
    "melasma",
    "hair_loss_androgenetic",
    "hair_loss_female_pattern",
    "musculoskeletal_pain",
)

REQUIRED_ALLERGEN_FAMILIES = (
    "soy",
    "egg",
    "amide_local_anaesthetic",
    "ester_local_anaesthetic",
    "benzyl_alcohol",
    "sulfite",
)

# Generic words a patient may type without knowing the anaesthetic class: deliberately listed
# under both anaesthetic families so an unknown-class allergy flags both.
SHARED_SYNONYMS = {
    "caine",
    "local anaesthetic",
    "local anesthetic",
    "numbing injection",
    "dental anaesthetic",
    "dental anesthetic",
}

INGREDIENT_KINDS = {
    "drug",
    "vitamin",
    "amino_acid",
    "mineral",
    "polymer",
    "botanical",
    "anaesthetic",
    "vasoconstrictor",
    "other",
}
UNITS = {"mg/mL", "%", "IU/mL", "mcg/mL"}
FORMS = {"solution", "gel", "suspension"}
VIALS = {"single_dose", "multi_dose"}
TECHNIQUES = {"nappage", "papule", "point_by_point", "linear_retrograde", "epidermal", "mesogun"}
ROLES = {"active", "anaesthetic", "diluent"}
ROOM_KINDS = {"facial", "body", "general"}
REGIONS = {"face", "neck", "body", "scalp", "limb"}
EVIDENCE_LEVELS = {"label", "rct", "case_series", "practice"}
INSTRUCTION_KINDS = {"pre_care", "aftercare"}


def load(name: str) -> list[dict]:
    return json.loads((DATA_DIR / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalog() -> dict[str, list[dict]]:
    return {name: load(name) for name in FILES}


def codes(records: list[dict]) -> set[str]:
    return {r["code"] for r in records}


def positive_decimal(value: object, where: str) -> Decimal:
    assert isinstance(value, str), f"{where}: decimal must be a string, got {value!r}"
    try:
        number = Decimal(value)
    except InvalidOperation:
        pytest.fail(f"{where}: {value!r} is not a decimal")
    assert number.is_finite() and number > 0, f"{where}: {value!r} must be positive"
    return number


def assert_citations(record: dict, where: str) -> None:
    citations = record["citations"]
    assert citations, f"{where} has no citation"
    for citation in citations:
        assert set(citation) == {"text", "url"}, f"{where}: citation keys {sorted(citation)}"
        assert citation["text"].strip(), f"{where}: empty citation text"
        url = citation["url"]
        assert url is None or url.startswith(("http://", "https://")), f"{where}: bad url {url!r}"


# ------------------------------------------------------------------------------ general


@pytest.mark.parametrize("name", FILES)
def test_every_file_is_a_non_empty_list_of_records_with_unique_snake_case_codes(name):
    records = load(name)
    assert isinstance(records, list) and records
    seen: set[str] = set()
    for record in records:
        code = record["code"]
        assert code == code.lower() and code.replace("_", "").isalnum(), (
            f"{name}: bad code {code!r}"
        )
        assert code not in seen, f"{name}: duplicate code {code!r}"
        seen.add(code)


# ------------------------------------------------------------------------------ allergens


def test_required_allergen_families_exist(catalog):
    assert set(REQUIRED_ALLERGEN_FAMILIES) <= codes(catalog["allergen_families"])


def test_allergen_synonyms_are_lowercase_and_only_generic_words_are_shared(catalog):
    owner: dict[str, str] = {}
    for family in catalog["allergen_families"]:
        assert family["name"].strip()
        assert family["synonyms"], f"{family['code']} has no synonyms"
        assert len(family["synonyms"]) == len(set(family["synonyms"])), family["code"]
        for synonym in family["synonyms"]:
            assert synonym == synonym.lower().strip() and synonym, f"{family['code']}: {synonym!r}"
            if synonym in owner and synonym not in SHARED_SYNONYMS:
                pytest.fail(f"synonym {synonym!r} in both {owner[synonym]} and {family['code']}")
            owner[synonym] = family["code"]


def test_generic_anaesthetic_words_flag_both_anaesthetic_classes(catalog):
    by_code = {f["code"]: set(f["synonyms"]) for f in catalog["allergen_families"]}
    assert by_code["amide_local_anaesthetic"] >= SHARED_SYNONYMS
    assert by_code["ester_local_anaesthetic"] >= SHARED_SYNONYMS


# ------------------------------------------------------------------------------ ingredients


def test_ingredients_reference_existing_allergen_families_and_valid_kinds(catalog):
    families = codes(catalog["allergen_families"])
    for ingredient in catalog["ingredients"]:
        assert ingredient["kind"] in INGREDIENT_KINDS, ingredient["code"]
        assert isinstance(ingredient["lipolytic"], bool)
        assert all(s == s.lower() for s in ingredient["synonyms"]), ingredient["code"]
        for family in ingredient["allergen_families"]:
            assert family in families, f"{ingredient['code']} -> unknown family {family}"


def test_key_ingredients_carry_their_allergen_class(catalog):
    by_code = {i["code"]: i for i in catalog["ingredients"]}
    assert "amide_local_anaesthetic" in by_code["lidocaine"]["allergen_families"]
    assert "ester_local_anaesthetic" in by_code["procaine"]["allergen_families"]
    assert "soy" in by_code["phosphatidylcholine"]["allergen_families"]
    assert "benzyl_alcohol" in by_code["benzyl_alcohol"]["allergen_families"]
    assert "sulfite" in by_code["sodium_metabisulfite"]["allergen_families"]


# ------------------------------------------------------------------------------ products


def test_products_reference_existing_ingredients_with_positive_decimal_concentrations(catalog):
    ingredients = codes(catalog["ingredients"])
    for product in catalog["products"]:
        code = product["code"]
        assert product["form"] in FORMS and product["vial"] in VIALS, code
        assert product["ingredients"], f"{code} has no ingredients"
        for part in product["ingredients"]:
            assert part["ingredient"] in ingredients, (
                f"{code} -> unknown ingredient {part['ingredient']}"
            )
            assert part["unit"] in UNITS, f"{code}: unit {part['unit']!r}"
            positive_decimal(part["concentration"], f"{code}.{part['ingredient']}")


def test_product_limits_are_positive_or_null(catalog):
    for product in catalog["products"]:
        code = product["code"]
        for key in ("max_volume_ml_per_session", "max_volume_ml_per_point", "default_unit_cost"):
            if product[key] is not None:
                positive_decimal(product[key], f"{code}.{key}")
        for key in ("min_interval_days", "min_interval_months", "max_sessions_per_area"):
            value = product[key]
            assert value is None or (isinstance(value, int) and value >= 1), (
                f"{code}.{key}={value!r}"
            )
        if product["max_volume_ml_per_point"] and product["max_volume_ml_per_session"]:
            assert Decimal(product["max_volume_ml_per_point"]) <= Decimal(
                product["max_volume_ml_per_session"]
            )


def test_product_flags_agree_with_their_ingredients(catalog):
    ingredients = {i["code"]: i for i in catalog["ingredients"]}
    for product in catalog["products"]:
        parts = [ingredients[p["ingredient"]] for p in product["ingredients"]]
        has_epi = any(i["code"] == "epinephrine" for i in parts)
        assert product["contains_epinephrine"] is has_epi, product["code"]
        assert product["lipolytic"] is any(i["lipolytic"] for i in parts), product["code"]


def test_every_product_has_a_citation(catalog):
    for product in catalog["products"]:
        assert_citations(product, f"product {product['code']}")


def test_incompatibilities_exist_and_are_symmetric(catalog):
    by_code = {p["code"]: p for p in catalog["products"]}
    for product in catalog["products"]:
        for other in product["incompatible_with"]:
            assert other in by_code, f"{product['code']} -> unknown product {other}"
            assert other != product["code"]
            assert product["code"] in by_code[other]["incompatible_with"], (
                f"{product['code']} lists {other} but not the reverse"
            )


def test_local_anaesthetics_never_share_a_syringe_with_pc_deoxycholate(catalog):
    """Jayasinghe et al., Obes Rev 2013: sodium-channel-blocking anaesthetics inhibit lipolysis."""
    by_code = {p["code"]: p for p in catalog["products"]}
    ingredients = {i["code"]: i for i in catalog["ingredients"]}
    pcdc = next(p for p in catalog["products"] if "Phosphatidylcholine" in p["name"])
    anaesthetics = [
        p["code"]
        for p in catalog["products"]
        if any(ingredients[i["ingredient"]]["kind"] == "anaesthetic" for i in p["ingredients"])
    ]
    assert anaesthetics
    for code in anaesthetics:
        assert code in pcdc["incompatible_with"], code
        assert pcdc["code"] in by_code[code]["incompatible_with"], code


def test_deoxycholic_acid_product_matches_the_label(catalog):
    """KYBELLA US label: 10 mg/mL, 0.2 mL per injection, at most 10 mL per treatment,
    at most 6 treatments at least 1 month apart."""
    dca = next(p for p in catalog["products"] if "Deoxycholic acid 10 mg/mL" in p["name"])
    assert dca["lipolytic"] is True
    assert dca["min_interval_months"] == 1
    assert Decimal(dca["max_volume_ml_per_session"]) == Decimal("10")
    assert Decimal(dca["max_volume_ml_per_point"]) == Decimal("0.2")
    assert dca["max_sessions_per_area"] == 6
    assert [(i["ingredient"], Decimal(i["concentration"])) for i in dca["ingredients"]] == [
        ("deoxycholic_acid", Decimal("10")),
        ("benzyl_alcohol", Decimal("9")),  # label section 11: preservative
    ]


def test_lidocaine_strengths(catalog):
    def strengths(name: str) -> dict[str, Decimal]:
        product = next(p for p in catalog["products"] if p["name"].startswith(name))
        return {i["ingredient"]: Decimal(i["concentration"]) for i in product["ingredients"]}

    plain_1 = next(
        p
        for p in catalog["products"]
        if "Lidocaine 1%" in p["name"] and not p["contains_epinephrine"]
    )
    assert {i["ingredient"]: Decimal(i["concentration"]) for i in plain_1["ingredients"]} == {
        "lidocaine": Decimal("10")
    }
    with_epi = strengths("Lidocaine 1% with epinephrine")
    assert with_epi["lidocaine"] == Decimal("10") and with_epi["epinephrine"] == Decimal("0.01")
    assert strengths("Lidocaine 2%") == {"lidocaine": Decimal("20")}


@pytest.mark.parametrize("fragment", REQUIRED_PRODUCT_NAMES)
def test_required_product_names_exist(catalog, fragment):
    assert any(fragment in p["name"] for p in catalog["products"]), fragment


# ------------------------------------------------------------------------------ zones & indications


def test_zones_have_valid_regions(catalog):
    for zone in catalog["zones"]:
        assert zone["region"] in REGIONS, zone["code"]
        assert zone["name"].strip()


def test_indications_reference_existing_zones(catalog):
    zones = codes(catalog["zones"])
    for indication in catalog["indications"]:
        assert indication["body_areas"], indication["code"]
        assert indication["default_room_kind"] in ROOM_KINDS, indication["code"]
        for zone in indication["body_areas"]:
            assert zone in zones, f"{indication['code']} -> unknown zone {zone}"


def test_required_indications_exist_and_each_has_a_protocol(catalog):
    indications = codes(catalog["indications"])
    with_protocol = {p["indication"] for p in catalog["protocols"]}
    for code in REQUIRED_INDICATIONS:
        assert code in indications, code
        assert code in with_protocol, f"{code} has no protocol"


# ------------------------------------------------------------------------------ instructions


def test_instruction_sets_are_well_formed(catalog):
    for instruction_set in catalog["instructions"]:
        code = instruction_set["code"]
        assert instruction_set["kind"] in INSTRUCTION_KINDS, code
        assert instruction_set["items"], code
        item_codes = [item["code"] for item in instruction_set["items"]]
        assert len(item_codes) == len(set(item_codes)), f"{code}: duplicate item code"
        for item in instruction_set["items"]:
            assert item["text"].strip(), f"{code}.{item['code']}"
            timing = item["timing"]
            if timing is not None:
                assert len(timing) == 1, f"{code}.{item['code']}"
                [(key, hours)] = timing.items()
                expected = (
                    "hours_before" if instruction_set["kind"] == "pre_care" else "hours_after"
                )
                assert key == expected, f"{code}.{item['code']}: {key}"
                assert isinstance(hours, int) and hours > 0, f"{code}.{item['code']}"
        assert_citations(instruction_set, f"instruction set {code}")


def test_pre_care_tells_patients_to_avoid_caffeine_and_facial_aftercare_to_avoid_make_up(catalog):
    sets = {s["code"]: s for s in catalog["instructions"]}
    for code, instruction_set in sets.items():
        if instruction_set["kind"] == "pre_care":
            assert any(
                "caffeine" in i["text"].lower() or "coffee" in i["text"].lower()
                for i in instruction_set["items"]
            ), code
    assert any("make-up" in i["text"].lower() for i in sets["aftercare_facial"]["items"])


# ------------------------------------------------------------------------------ protocols


def test_protocols_reference_existing_records(catalog):
    indications = codes(catalog["indications"])
    products = codes(catalog["products"])
    instruction_kind = {s["code"]: s["kind"] for s in catalog["instructions"]}
    for protocol in catalog["protocols"]:
        code = protocol["code"]
        assert protocol["indication"] in indications, code
        assert protocol["products"], code
        for entry in protocol["products"]:
            assert entry["product"] in products, f"{code} -> unknown product {entry['product']}"
            assert entry["role"] in ROLES, code
        assert instruction_kind.get(protocol["pre_care"]) == "pre_care", code
        assert instruction_kind.get(protocol["aftercare"]) == "aftercare", code
        assert protocol["technique"] in TECHNIQUES, code
        assert protocol["room_kind"] in ROOM_KINDS, code
        assert protocol["evidence_level"] in EVIDENCE_LEVELS, code


def test_protocol_ranges_are_positive_and_ordered(catalog):
    for protocol in catalog["protocols"]:
        code = protocol["code"]
        for key in ("depth_mm", "volume_per_point_ml", "volume_per_session_ml"):
            low = positive_decimal(protocol[key]["min"], f"{code}.{key}.min")
            high = positive_decimal(protocol[key]["max"], f"{code}.{key}.max")
            assert low <= high, f"{code}.{key}"
        assert Decimal(protocol["volume_per_point_ml"]["max"]) <= Decimal(
            protocol["volume_per_session_ml"]["max"]
        )
        interval = protocol["interval_days"]
        assert all(isinstance(interval[k], int) for k in ("min", "target", "max")), code
        assert 1 <= interval["min"] <= interval["target"] <= interval["max"], code
        assert (
            isinstance(protocol["session_duration_min"], int)
            and protocol["session_duration_min"] > 0
        )
        maintenance = protocol["maintenance_interval_days"]
        assert maintenance is None or (isinstance(maintenance, int) and maintenance >= 1), code
        positive_decimal(protocol["responder_min_improvement"], f"{code}.responder_min_improvement")


def test_protocol_scales_and_session_bands(catalog):
    for protocol in catalog["protocols"]:
        code = protocol["code"]
        scale = protocol["scale"]
        assert scale in PROTOCOL_SCALE_BANDS, f"{code}: scale {scale!r} not allowed"
        bands = protocol["sessions_by_band"]
        assert bands, code
        assert "none" not in bands, f"{code}: never plan sessions for band 'none'"
        allowed = PROTOCOL_SCALE_BANDS[scale]
        if allowed:
            assert set(bands) <= allowed, f"{code}: bands {sorted(bands)} not in {sorted(allowed)}"
            assert protocol["target_band"] is None or protocol["target_band"] in allowed, code
        else:
            assert set(bands) == {"any"}, f"{code}: scale without bands must use 'any'"
            assert protocol["target_band"] is None, code
        for band, sessions in bands.items():
            assert isinstance(sessions, int) and 1 <= sessions <= 30, f"{code}.{band}={sessions!r}"
        check = protocol["response_check_session"]
        assert isinstance(check, int) and 1 <= check <= min(bands.values()), (
            f"{code}: check {check}"
        )


def test_protocol_products_are_never_incompatible_with_each_other(catalog):
    by_code = {p["code"]: p for p in catalog["products"]}
    for protocol in catalog["protocols"]:
        used = [entry["product"] for entry in protocol["products"]]
        for product in used:
            clash = set(by_code[product]["incompatible_with"]) & set(used)
            assert not clash, f"{protocol['code']}: {product} incompatible with {sorted(clash)}"


def test_protocol_room_kind_matches_its_indication(catalog):
    rooms = {i["code"]: i["default_room_kind"] for i in catalog["indications"]}
    for protocol in catalog["protocols"]:
        assert protocol["room_kind"] == rooms[protocol["indication"]], protocol["code"]


def test_every_protocol_has_a_citation(catalog):
    for protocol in catalog["protocols"]:
        assert_citations(protocol, f"protocol {protocol['code']}")
        assert protocol["notes"].strip(), protocol["code"]
