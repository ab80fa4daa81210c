"""The body map of the session page: three views (face close-up, front, back), each an SVG
silhouette with one rectangle per catalog zone. Geometry is data here; names come from the
catalog in the reader's language (`mesocare.web.labels.zone_names`), so the map is labelled in
Italian for an Italian member and costs no query of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# (zone code, x, y, width, height) in the view's viewBox units
Rect = tuple[str, int, int, int, int]


@dataclass(frozen=True)
class View:
    key: str
    caption: Promise
    view_box: str
    silhouette: str  # SVG markup, constant
    zones: tuple[Rect, ...]


# front and back share one silhouette
BODY = (
    '<path class="silhouette" d="'
    "M100 4 a18 20 0 1 1 -0.1 0 M84 40 h32 v20 l36 8 l8 90 l10 60 h-16 l-12 "
    "-70 l-6 -40 v60 l10 10 l-2 130 h-30 l-6 -100 h-8 l-6 100 h-30 l-2 -130 "
    "l10 -10 v-60 l-6 40 l-12 70 h-16 l10 -60 l8 -90 l36 -8 z"
    '"/>'
)


VIEWS: tuple[View, ...] = (
    View(
        "face",
        _("Face close-up"),
        "0 0 200 240",
        '<ellipse class="silhouette" cx="100" cy="110" rx="66" ry="104"/>',
        (
            ("scalp_frontal", 60, 8, 80, 18),
            ("scalp_vertex", 70, 0, 60, 8),
            ("scalp_temporal_r", 30, 20, 26, 40),
            ("scalp_temporal_l", 144, 20, 26, 40),
            ("scalp_occipital", 62, 228, 76, 12),
            ("forehead", 58, 30, 84, 30),
            ("glabella", 88, 62, 24, 14),
            ("periorbital_r", 52, 70, 34, 22),
            ("periorbital_l", 114, 70, 34, 22),
            ("malar_r", 44, 96, 38, 34),
            ("malar_l", 118, 96, 38, 34),
            ("nasolabial_r", 72, 128, 18, 30),
            ("nasolabial_l", 110, 128, 18, 30),
            ("perioral", 86, 150, 28, 22),
            ("chin", 84, 176, 32, 18),
            ("jawline_r", 44, 160, 36, 26),
            ("jawline_l", 120, 160, 36, 26),
            ("submental", 80, 198, 40, 18),
        ),
    ),
    View(
        "front",
        pgettext_lazy("body map view", "Front"),
        "0 0 200 330",
        BODY,
        (
            ("neck", 86, 40, 28, 20),
            ("decollete", 66, 62, 68, 30),
            ("arm_r", 30, 70, 24, 80),
            ("arm_l", 146, 70, 24, 80),
            ("hand_r", 22, 190, 24, 30),
            ("hand_l", 154, 190, 24, 30),
            ("abdomen_ur", 70, 112, 30, 36),
            ("abdomen_ul", 100, 112, 30, 36),
            ("abdomen_lr", 70, 150, 30, 36),
            ("abdomen_ll", 100, 150, 30, 36),
            ("flank_r", 56, 120, 14, 60),
            ("flank_l", 130, 120, 14, 60),
            ("thigh_lateral_r", 58, 200, 14, 90),
            ("thigh_anterior_r", 72, 200, 16, 90),
            ("thigh_medial_r", 88, 200, 11, 90),
            ("thigh_medial_l", 101, 200, 11, 90),
            ("thigh_anterior_l", 112, 200, 16, 90),
            ("thigh_lateral_l", 128, 200, 14, 90),
            ("knee_r", 68, 296, 26, 24),
            ("knee_l", 106, 296, 26, 24),
        ),
    ),
    View(
        "back",
        pgettext_lazy("body map view", "Back"),
        "0 0 200 330",
        BODY,
        (
            ("neck_posterior", 86, 40, 28, 20),
            ("shoulder_l", 46, 62, 34, 22),
            ("shoulder_r", 120, 62, 34, 22),
            ("back_upper", 66, 86, 68, 50),
            ("back_lower", 66, 138, 68, 44),
            ("buttock_l", 66, 186, 34, 42),
            ("buttock_r", 100, 186, 34, 42),
            ("thigh_posterior_l", 66, 232, 32, 70),
            ("thigh_posterior_r", 102, 232, 32, 70),
        ),
    ),
)
ZONE_CODES = frozenset(code for view in VIEWS for code, *_ in view.zones)


# One zone's link and rectangle (a page draws 47 of them: written here, not by a template loop).
ZONE = (
    '<a href="?zone={code}#inject" aria-label="{name}" class="zone-link"><rect id="zone-{code}" '
    'data-zone="{code}" class="zone{state}" x="{x}" y="{y}" width="{width}" height="{height}" '
    'rx="4"><title>{name}</title></rect></a>\n'
)


def bodymap_views(names: dict[str, str], *, done: set[str], selected: str) -> list[dict[str, Any]]:
    """What `_bodymap.html` draws: each view with its zones' links, named and marked (charted
    already, selected)."""
    return [
        {
            "key": view.key,
            "caption": view.caption,
            "view_box": view.view_box,
            "silhouette": view.silhouette,
            "zones": SafeString(
                "".join(
                    format_html(
                        ZONE,
                        code=code,
                        name=names.get(code, code.replace("_", " ")),
                        state=(" done" if code in done else "")
                        + (" selected" if code == selected else ""),
                        x=x,
                        y=y,
                        width=width,
                        height=height,
                    )
                    for code, x, y, width, height in view.zones
                )
            ),
        }
        for view in VIEWS
    ]
