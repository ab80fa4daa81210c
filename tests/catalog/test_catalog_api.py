"""The catalog over the API: indications, protocols, products, ingredients, and a clinic's own
protocol copies (defaults are read-only; every edit is a new version)."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Protocol, ProtocolVersion

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _default(code: str = "cellulite_cocktail_nappage") -> Protocol:
    return Protocol.objects.get(organization__isnull=True, code=code)


def test_indications_list_every_curated_indication_with_protocols_and_citations(api: Any) -> None:
    response = api.get("indications")
    assert response.status_code == 200
    body = {i["code"]: i for i in response.json()}
    assert {"cellulite", "melasma", "striae", "musculoskeletal_pain"} <= set(body)
    cellulite = body["cellulite"]
    assert cellulite["id"] > 0 and cellulite["name"].startswith("Cellulite")
    assert [p["code"] for p in cellulite["protocols"]] == ["cellulite_cocktail_nappage"]
    assert cellulite["citations"] and all(c["text"] for c in cellulite["citations"])


def test_protocols_filter_by_indication_code_and_carry_citations_and_rules(api: Any) -> None:
    items = api.get("protocols", indication="cellulite").json()
    assert [p["code"] for p in items] == ["cellulite_cocktail_nappage"]
    protocol = items[0]
    assert protocol["is_default"] is True
    assert protocol["scale"] == "hexsel-css"
    assert protocol["sessions_by_band"] == {"mild": 4, "moderate": 6, "severe": 8}
    assert protocol["interval_days"] == {"min": 7, "target": 7, "max": 21}
    assert protocol["evidence_level"] == "practice"
    assert protocol["citations"][0]["url"].startswith("http")
    assert {p["code"] for p in protocol["products"]} >= {"caffeine_20"}
    assert protocol["aftercare"]["items"]


def test_a_protocol_without_scale_shows_null_scale_and_the_any_rule(api: Any) -> None:
    items = api.get("protocols", indication="striae").json()
    assert items[0]["scale"] is None
    assert items[0]["sessions_by_band"] == {"any": 5}


def test_protocols_filter_by_indication_id(api: Any) -> None:
    indication = _default().indication
    items = api.get("protocols", indication=str(indication.pk)).json()
    assert [p["code"] for p in items] == ["cellulite_cocktail_nappage"]


def test_product_search_by_name_words_ignores_case_and_accents(api: Any) -> None:
    names = [p["name"] for p in api.get("products", q="LIDOCAINE 1%").json()]
    assert any("epinephrine" in n for n in names)
    assert all("Lidocaine 1%" in n for n in names)
    dca = api.get("products", q="deoxycholic").json()
    assert dca and dca[0]["ingredients"][0]["concentration"] is not None
    assert dca[0]["citations"]


def test_product_lists_ingredients_with_mg_per_ml(api: Any) -> None:
    plain = next(p for p in api.get("products", q="lidocaine 1").json() if "plain" in p["name"])
    component = plain["ingredients"][0]
    assert component["ingredient"]["code"] == "lidocaine"
    assert float(component["mg_per_ml"]) == 10


def test_ingredient_search_matches_synonyms_and_lists_allergen_families(api: Any) -> None:
    found = api.get("ingredients", q="lignocaine").json()
    assert [i["code"] for i in found] == ["lidocaine"]
    assert found[0]["allergen_families"][0]["code"] == "amide_local_anaesthetic"
    assert found[0]["products"] and found[0]["citations"]
    pc = api.get("ingredients", q="phosphatidylcholine").json()
    assert "soy" in {f["code"] for f in pc[0]["allergen_families"]}


def test_catalog_lists_are_bounded_in_queries(api: Any, django_assert_max_num_queries: Any) -> None:
    for path in ("indications", "protocols", "products", "ingredients"):
        with django_assert_max_num_queries(8):
            assert api.get(path).status_code == 200


def test_copying_a_default_makes_a_clinic_protocol_at_version_1(api: Any, clinic: Any) -> None:
    source = _default()
    response = api.post(
        "protocols", {"copy_of": source.pk, "name": "Our cellulite", "reason": "house mix"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["is_default"] is False
    assert body["copied_from"] == source.pk
    assert body["version"] == 1
    assert body["name"] == "Our cellulite"
    assert body["products"] == [
        {**p, "product": p["product"]} for p in api.get(f"protocols/{source.pk}").json()["products"]
    ]
    copy = Protocol.objects.get(pk=body["id"])
    assert copy.organization_id == clinic.org.pk
    version = ProtocolVersion.objects.get(protocol=copy)
    assert version.version == 1 and "house mix" in version.reason
    assert AuditEvent.objects.filter(object_id=str(copy.pk), action="create").exists()


def test_patching_a_copy_bumps_the_version_and_keeps_a_snapshot(api: Any) -> None:
    copy = api.post("protocols", {"copy_of": _default().pk}).json()
    response = api.patch(
        f"protocols/{copy['id']}",
        {
            "sessions_by_band": {"mild": 5, "moderate": 7, "severe": 9},
            "interval_days": {"min": 7, "target": 10, "max": 14},
            "reason": "longer courses",
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["version"] == 2
    assert body["sessions_by_band"]["mild"] == 5
    assert body["interval_days"] == {"min": 7, "target": 10, "max": 14}
    versions = api.get(f"protocols/{copy['id']}/versions").json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["snapshot"]["sessions_by_band"]["mild"] == 4
    assert versions[1]["snapshot"]["sessions_by_band"]["mild"] == 5
    assert versions[1]["reason"] == "longer courses"


def test_a_patch_that_changes_nothing_keeps_the_version(api: Any) -> None:
    copy = api.post("protocols", {"copy_of": _default().pk}).json()
    body = api.patch(f"protocols/{copy['id']}", {"name": copy["name"]}).json()
    assert body["version"] == 1


def test_copying_twice_gives_distinct_codes(api: Any) -> None:
    first = api.post("protocols", {"copy_of": _default().pk}).json()
    second = api.post("protocols", {"copy_of": _default().pk}).json()
    assert first["code"] != second["code"]


def test_defaults_are_read_only(api: Any) -> None:
    source = _default()
    response = api.patch(f"protocols/{source.pk}", {"name": "Hacked"})
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "read_only_default"
    source.refresh_from_db()
    assert source.name != "Hacked"


def test_invalid_protocol_changes_are_422_naming_the_field(api: Any) -> None:
    copy = api.post("protocols", {"copy_of": _default().pk}).json()
    cases = [
        ({"sessions_by_band": {"huge": 3}}, "sessions_by_band"),
        ({"sessions_by_band": {"none": 3}}, "sessions_by_band"),
        ({"interval_days": {"min": 14, "target": 7, "max": 21}}, "interval_days"),
        ({"depth_mm": {"min": "6", "max": "2"}}, "depth_mm_min"),
        ({"scale": "no-such-scale"}, "scale"),
        ({"target_band": "enormous"}, "target_band"),
        ({"technique": "laser"}, "technique"),
        ({"products": [{"product": 999999}]}, "products"),
        ({"pre_care": "nope"}, "pre_care"),
        ({"colour": "red"}, "colour"),
    ]
    for change, field in cases:
        response = api.patch(f"protocols/{copy['id']}", change)
        assert response.status_code == 422, (change, response.content)
        assert response["Content-Type"] == PROBLEM
        assert field in {e["field"] for e in response.json()["errors"]}, (change, response.json())
    assert api.get(f"protocols/{copy['id']}").json()["version"] == 1


def test_changing_the_scale_needs_matching_band_rules(api: Any) -> None:
    copy = api.post("protocols", {"copy_of": _default().pk}).json()
    response = api.patch(
        f"protocols/{copy['id']}",
        {"scale": "nurnberger-muller", "sessions_by_band": {"mild": 3, "severe": 6}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["scale"] == "nurnberger-muller"


def test_another_clinics_protocol_is_404(api: Any, other_clinic: Any) -> None:
    theirs = other_clinic.api("admin").post("protocols", {"copy_of": _default().pk}).json()
    assert api.get(f"protocols/{theirs['id']}").status_code == 404
    assert api.patch(f"protocols/{theirs['id']}", {"name": "x"}).status_code == 404
    assert api.post("protocols", {"copy_of": theirs["id"]}).status_code == 404
    assert theirs["id"] not in {p["id"] for p in api.get("protocols").json()}


def test_reception_may_read_but_not_copy_protocols(clinic: Any) -> None:
    reception = clinic.api("reception")
    assert reception.get("protocols").status_code == 200
    assert reception.post("protocols", {"copy_of": _default().pk}).status_code == 403


def test_catalog_needs_authentication(client: Any) -> None:
    assert client.get("/api/v1/protocols").status_code == 401
