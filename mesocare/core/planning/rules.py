"""Course rules of a protocol, the assessments they apply to, and planning errors."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import NoReturn, Protocol

from mesocare.core.scales import ScaleDef, UnknownScaleError, get_scale

MAX_SESSIONS = 30
MIN_OVERRIDE_REASON = 5

# Rule key that applies to every treatable baseline; the only way to plan on a bandless
# scale such as MASI/mMASI, and a convenient default when sessions do not depend on band.
# The curated catalog data (protocols.json `sessions_by_band`) uses the same key.
ANY_BAND = "any"

# Scale id of a protocol that grades nothing: it plans a fixed course with the ANY_BAND rule,
# needs no baseline, and cannot be reviewed against one.
NO_SCALE = ""


class PlanningError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")


class Assessment(Protocol):
    """Anything scored on a scale: a ``ScoreResult`` or a model row with the same fields."""

    @property
    def scale_id(self) -> str: ...

    @property
    def total(self) -> Decimal: ...

    @property
    def band(self) -> str | None: ...


@dataclass(frozen=True)
class CourseRules:
    """How a protocol plans and judges a course on one scale.

    A course responds when the total falls by at least ``responder_min_improvement`` points
    or by at least ``responder_min_improvement_pct`` percent (either suffices; at least one
    must be set). The percentage is of the baseline's distance above the scale minimum, so
    it reads the same on scales that start at 1 (Glogau, Norwood) as on those that start at 0.
    """

    scale_id: str
    sessions_by_band: Mapping[str, int]
    interval_min_days: int
    interval_target_days: int
    interval_max_days: int
    response_check_session: int = 2
    maintenance_interval_days: int | None = None
    responder_min_improvement: Decimal | None = None
    responder_min_improvement_pct: Decimal | None = None
    target_band: str | None = None
    # At least this many calendar months between sessions, on top of interval_min_days.
    interval_min_months: int | None = None
    # The most severe baseline total the protocol plans (its evidence's population).
    max_baseline_total: Decimal | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: later edits to the caller's dict must not bypass validation.
        object.__setattr__(self, "sessions_by_band", MappingProxyType(dict(self.sessions_by_band)))
        if self.scale_id == NO_SCALE:
            self._check_unscored()
            return
        try:
            scale = get_scale(self.scale_id)
        except UnknownScaleError as exc:
            raise PlanningError("unknown_scale", str(exc)) from None
        band_codes = {b.code for b in scale.bands}
        for band, sessions in self.sessions_by_band.items():
            if band != ANY_BAND and band not in band_codes:
                _invalid(f"sessions_by_band: scale '{scale.id}' has no band '{band}'")
            if band == "none":
                _invalid("sessions_by_band: band 'none' has nothing to treat")
            if not is_count(sessions, 1, MAX_SESSIONS):
                _invalid(f"sessions_by_band['{band}'] must be 1..{MAX_SESSIONS}")
        self._check_course_numbers()
        self._check_responder_thresholds()
        if self.target_band is not None and self.target_band not in band_codes:
            _invalid(f"target_band: scale '{scale.id}' has no band '{self.target_band}'")

    @property
    def scored(self) -> bool:
        return self.scale_id != NO_SCALE

    def _check_unscored(self) -> None:
        if set(self.sessions_by_band) != {ANY_BAND}:
            _invalid(
                f"sessions_by_band: a protocol without a scale needs exactly the '{ANY_BAND}' rule"
            )
        if not is_count(self.sessions_by_band[ANY_BAND], 1, MAX_SESSIONS):
            _invalid(f"sessions_by_band['{ANY_BAND}'] must be 1..{MAX_SESSIONS}")
        if self.target_band is not None:
            _invalid("target_band: a protocol without a scale has no bands")
        self._check_course_numbers()

    def _check_course_numbers(self) -> None:
        if not (
            is_count(self.interval_min_days, 1, 3650)
            and is_count(self.interval_target_days, self.interval_min_days, 3650)
            and is_count(self.interval_max_days, self.interval_target_days, 3650)
        ):
            _invalid("intervals must satisfy 1 <= min <= target <= max days")
        if self.interval_min_months is not None and not is_count(self.interval_min_months, 1, 120):
            _invalid("interval_min_months must be 1..120 calendar months")
        if not is_count(self.response_check_session, 1, MAX_SESSIONS):
            _invalid(f"response_check_session must be 1..{MAX_SESSIONS}")
        if self.maintenance_interval_days is not None and not is_count(
            self.maintenance_interval_days, 1, 3650
        ):
            _invalid("maintenance_interval_days must be a positive number of days")

    def _check_responder_thresholds(self) -> None:
        points, pct = self.responder_min_improvement, self.responder_min_improvement_pct
        if points is None and pct is None:
            _invalid("set responder_min_improvement and/or responder_min_improvement_pct")
        if points is not None and not (isinstance(points, Decimal) and points > 0):
            _invalid("responder_min_improvement must be a positive Decimal")
        if pct is not None and not (isinstance(pct, Decimal) and 0 < pct <= 100):
            _invalid("responder_min_improvement_pct must be a Decimal in (0, 100]")

    def sessions_for(self, band: str | None) -> int | None:
        if band == "none":
            return None
        if band is not None and band in self.sessions_by_band:
            return self.sessions_by_band[band]
        return self.sessions_by_band.get(ANY_BAND)


def _invalid(message: str) -> NoReturn:
    raise PlanningError("invalid_rules", message)


def is_count(value: object, low: int, high: int) -> bool:
    # bool is an int subclass; True must not pass as one session.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def severity_scale(rules: CourseRules) -> ScaleDef:
    if rules.scale_id == NO_SCALE:
        raise PlanningError(
            "scale_not_reviewable",
            "the protocol grades no scale: there is no baseline to judge the course against",
        )
    scale = get_scale(rules.scale_id)
    if not scale.higher_is_worse:
        raise PlanningError(
            "scale_not_reviewable",
            f"scale '{scale.id}' is not a severity scale: a course cannot be planned or "
            "reviewed on it",
        )
    return scale


def checked_band(scale: ScaleDef, assessment: Assessment, role: str) -> str | None:
    """Band of ``assessment``, after checking it belongs to ``scale`` and is consistent."""
    if assessment.scale_id != scale.id:
        raise PlanningError(
            "scale_mismatch",
            f"{role} is on scale '{assessment.scale_id}', the rules on '{scale.id}'",
        )
    try:
        band = scale.band_for(assessment.total)
    except ValueError as exc:
        raise PlanningError("invalid_assessment", f"{role}: {exc}") from None
    if band != assessment.band:
        raise PlanningError(
            "invalid_assessment",
            f"{role}: band '{assessment.band}' does not match total {assessment.total} "
            f"(expected '{band}')",
        )
    return band


def treatable_sessions(rules: CourseRules, scale: ScaleDef, baseline: Assessment) -> int:
    """Sessions the rules give ``baseline``; PlanningError ``nothing_to_treat`` if none."""
    band = checked_band(scale, baseline, "baseline")
    if rules.max_baseline_total is not None and baseline.total > rules.max_baseline_total:
        raise PlanningError(
            "above_protocol_maximum",
            f"baseline {scale.name} {scale.describe_total(baseline.total)} is beyond this "
            f"protocol's maximum {scale.describe_total(rules.max_baseline_total)}: "
            "its evidence does not cover it",
        )
    if band == "none":
        raise PlanningError("nothing_to_treat", "baseline band 'none': nothing to treat")
    if band is None and baseline.total <= scale.total_min:
        raise PlanningError(
            "nothing_to_treat",
            f"baseline total {baseline.total} is the scale minimum: nothing to treat",
        )
    sessions = rules.sessions_for(band)
    if sessions is None:
        raise PlanningError(
            "nothing_to_treat", f"no sessions rule for baseline band '{band}': nothing to treat"
        )
    return sessions
