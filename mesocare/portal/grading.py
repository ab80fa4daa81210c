"""Grade a patient's check-in answers into side effects (pure: no Django).

Grades follow charting's CTCAE-style scheme (1 mild, 2 moderate, 3 severe/medically
significant). Mapping, from the aftercare warning signs in docs/clinical-sources.md
("return or phone immediately if …"):

| answer                                   | side effect      | grade            |
|------------------------------------------|------------------|------------------|
| pain VAS 1–3 / 4–6 / 7–10                | pain             | 1 / 2 / 3        |
| bruising, swelling, redness mild/mod/sev | bruising, swelling, erythema | 1 / 2 / 3 |
| lumps (nodules)                          | nodule           | 2                |
| warmth; pus or discharge                 | infection_sign   | 1 (2 with moderate+ redness); 2 |
| fever                                    | infection_sign   | 3                |
| skin white, grey/dusky or mottled        | necrosis         | 3 (vascular compromise) |

An alert goes to the practitioner when any grade is 3 or more, or on any sign of infection or
necrosis.
"""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("none", "mild", "moderate", "severe")
ALERT_KINDS = frozenset({"infection_sign", "necrosis"})


@dataclass(frozen=True)
class CheckInAnswers:
    pain_vas: int = 0
    bruising: str = "none"
    swelling: str = "none"
    redness: str = "none"
    warmth: bool = False
    nodules: bool = False
    fever: bool = False
    discharge: bool = False
    skin_colour_change: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.pain_vas <= 10:
            raise ValueError("pain_vas must be 0-10")
        for name in ("bruising", "swelling", "redness"):
            if getattr(self, name) not in LEVELS:
                raise ValueError(f"{name} must be one of {', '.join(LEVELS)}")


@dataclass(frozen=True)
class Finding:
    kind: str
    grade: int
    reason: str


def _level(value: str) -> int:
    return LEVELS.index(value)


def grade_check_in(a: CheckInAnswers) -> list[Finding]:
    out: list[Finding] = []
    if a.pain_vas:
        grade = 1 if a.pain_vas <= 3 else 2 if a.pain_vas <= 6 else 3
        out.append(Finding("pain", grade, f"pain {a.pain_vas}/10"))
    for answer, kind in (
        ("bruising", "bruising"),
        ("swelling", "swelling"),
        ("redness", "erythema"),
    ):
        level = _level(getattr(a, answer))
        if level:
            out.append(Finding(kind, level, f"{answer}: {getattr(a, answer)}"))
    if a.nodules:
        out.append(Finding("nodule", 2, "lumps under the skin"))
    infection = []
    if a.warmth:
        infection.append((2 if _level(a.redness) >= 2 else 1, "warmth"))
    if a.discharge:
        infection.append((2, "pus or discharge"))
    if a.fever:
        infection.append((3, "fever"))
    if infection:
        grade = max(g for g, _ in infection)
        out.append(Finding("infection_sign", grade, ", ".join(r for _, r in infection)))
    if a.skin_colour_change:
        out.append(Finding("necrosis", 3, "skin white, grey or mottled"))
    return out


def needs_alert(findings: list[Finding]) -> bool:
    return any(f.grade >= 3 or f.kind in ALERT_KINDS for f in findings)


def alert_severity(findings: list[Finding]) -> str:
    if any(f.grade >= 3 or f.kind == "necrosis" for f in findings):
        return "critical"
    return "warning"
