"""Validated severity scales: definitions with anchors and bands, and scoring."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from mesocare.api.access import requires
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.api.scales_schemas import ScaleOut, ScoreIn, ScoreOut
from mesocare.assessments import services
from mesocare.clinics.permissions import MEMBER
from mesocare.core.scales import ScaleDef, all_scales

router = Router(tags=["scales"])


def scale_out(scale: ScaleDef) -> dict[str, Any]:
    return {
        "id": scale.id,
        "name": scale.name,
        "version": scale.version,
        "description": scale.description,
        "citation": scale.citation,
        "higher_is_worse": scale.higher_is_worse,
        "total": {"min": scale.total_min, "max": scale.total_max},
        "items": [
            {
                "key": item.key,
                "label": item.label,
                "min": item.minimum,
                "max": item.maximum,
                "step": item.step,
                "choices": list(item.choices) if item.choices else None,
                "anchors": [
                    {
                        "value": value,
                        "code": item.choices[int(value) - 1] if item.choices else None,
                        "text": text,
                    }
                    for value, text in item.anchors
                ],
            }
            for item in scale.items
        ],
        "bands": [
            {"code": b.code, "label": b.label, "low": b.low, "high": b.high} for b in scale.bands
        ],
    }


@router.get("/scales", response={200: list[ScaleOut], **PROBLEM_RESPONSES})
@requires(MEMBER)
def list_scales(request: HttpRequest) -> list[dict[str, Any]]:
    return [scale_out(s) for s in all_scales()]


@router.post(
    "/scales/{scale_id}/score",
    response={200: ScoreOut, **PROBLEM_RESPONSES},
    summary="Score items on a scale (nothing is stored)",
)
@requires(MEMBER)
def score(request: HttpRequest, scale_id: str, payload: ScoreIn) -> dict[str, Any]:
    result = services.score(scale_id, payload.items)
    return {"scale": result.scale_id, "total": result.total, "band": result.band}
