"""Scale definitions and scoring over the API: ids, anchors, bands, and per-item errors."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
HEXSEL = {
    "number_of_depressions": 2,
    "depth_of_depressions": 2,
    "morphology": 2,
    "laxity": 1,
    "nurnberger_muller": 2,
}
SCALE_IDS = {
    "hexsel-css", "nurnberger-muller", "gags", "masi", "mmasi", "vas-pain", "glogau", "norwood",
    "ludwig", "cr-smfrs", "gais", "fitzpatrick-phototype",
}  # fmt: skip


def test_scales_list_every_scale_with_items_anchors_bands_and_citation(api: Any) -> None:
    scales = {s["id"]: s for s in api.get("scales").json()}
    assert set(scales) == SCALE_IDS
    hexsel = scales["hexsel-css"]
    assert hexsel["citation"].startswith("Hexsel")
    assert [i["key"] for i in hexsel["items"]] == list(HEXSEL)
    depth = hexsel["items"][1]
    assert (depth["min"], depth["max"], depth["step"]) == (0, 3, None)
    assert [a["text"] for a in depth["anchors"]][-1] == "Deep depressions"
    assert [(b["code"], b["low"], b["high"]) for b in hexsel["bands"]] == [
        ("none", 0, 0), ("mild", 1, 5), ("moderate", 6, 10), ("severe", 11, 15),
    ]  # fmt: skip
    assert scales["masi"]["bands"] == []
    norwood_stage = scales["norwood"]["items"][0]
    assert norwood_stage["choices"][:3] == ["I", "II", "IIa"]
    assert norwood_stage["anchors"][2]["code"] == "IIa"
    assert scales["vas-pain"]["items"][0]["step"] == 0.1


@pytest.mark.parametrize(
    ("scale", "items", "total", "band"),
    [
        ("hexsel-css", HEXSEL, 9, "moderate"),
        ("vas-pain", {"score": 6.5}, 6.5, "moderate"),
        ("vas-pain", {"score": 0}, 0, "none"),
        ("norwood", {"stage": "IIIa"}, 5, "moderate"),
        (
            "mmasi",
            {"forehead_area": 2, "forehead_darkness": 2, "right_malar_area": 3,
             "right_malar_darkness": 3, "left_malar_area": 3, "left_malar_darkness": 2,
             "chin_area": 1, "chin_darkness": 1},
            5.8, None,
        ),
    ],
)  # fmt: skip
def test_scoring_returns_scale_total_and_band(
    api: Any, scale: str, items: dict[str, Any], total: float, band: str | None
) -> None:
    response = api.post(f"scales/{scale}/score", {"items": items})
    assert response.status_code == 200, response.content
    assert response.json() == {"scale": scale, "total": total, "band": band}


def test_unknown_scale_is_404_problem(api: Any) -> None:
    response = api.post("scales/made-up/score", {"items": {}})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_bad_items_are_422_naming_each_bad_item(api: Any) -> None:
    items = {**HEXSEL, "laxity": 4, "morphology": "two", "extra": 1}
    del items["depth_of_depressions"]
    response = api.post("scales/hexsel-css/score", {"items": items})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert set(errors) == {"laxity", "morphology", "depth_of_depressions", "extra"}
    assert errors["depth_of_depressions"] == "required"
    assert "between 0 and 3" in errors["laxity"]
    assert body["detail"]


@pytest.mark.parametrize("value", [1.5, True, None, "3", [1]])
def test_non_integer_or_non_numeric_values_are_rejected(api: Any, value: Any) -> None:
    response = api.post("scales/nurnberger-muller/score", {"items": {"grade": value}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "grade"


def test_items_must_be_an_object(api: Any) -> None:
    response = api.post("scales/gags/score", {"items": [1, 2]})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_scales_list_is_bounded_in_queries(api: Any, django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(3):
        api.get("scales")
