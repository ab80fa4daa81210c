"""Dose and interval rules: lidocaine, deoxycholic acid, minimum intervals.

Sources: lidocaine HCl US labels (CLINICAL.md §3.3); Kybella label (§3.2).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal

from mesocare.core.dosing import (
    LIDOCAINE_EPI_CAP_MG,
    LIDOCAINE_PLAIN_CAP_MG,
    fmt,
    lidocaine_max_mg,
    mg_from_ml,
)
from mesocare.core.safety.facts import (
    Check,
    PlannedItem,
    PreviousSession,
    ProductFacts,
    add_months,
    norm,
)
from mesocare.core.safety.findings import Finding, RuleSpec

LIDOCAINE = "lidocaine"
DCA = "deoxycholic_acid"
WEIGHT_MAX_AGE_DAYS = 90
DCA_MAX_MG = Decimal("100")
DCA_MAX_ML = Decimal("10")
DCA_MAX_ML_PER_POINT = Decimal("0.2")
DCA_MAX_SESSIONS = 6
DCA_MIN_INTERVAL_MONTHS = 1

LIDOCAINE_LABEL = (
    "Lidocaine HCl US label: ≤4.5 mg/kg, never >300 mg; with epinephrine ≤7 mg/kg, below 500 mg"
)
KYBELLA_LABEL = (
    "Kybella (deoxycholic acid) US label: 0.2 mL per injection, ≤10 mL (100 mg) per "
    "treatment, up to 6 treatments ≥1 month apart"
)

WEIGHT_MISSING = RuleSpec(
    "weight_missing",
    "Recent weight needed for a weight-based dose limit",
    LIDOCAINE_LABEL,
    "warn",
    True,
    block_at=frozenset({"charting"}),
)
LIDOCAINE_DOSE = RuleSpec(
    "lidocaine_dose", "Lidocaine maximum dose", LIDOCAINE_LABEL, "block", False, True
)
DCA_SESSION = RuleSpec(
    "deoxycholic_session_dose",
    "Deoxycholic acid per-session maximum",
    KYBELLA_LABEL,
    "block",
    False,
    True,
)
DCA_COURSE = RuleSpec(
    "deoxycholic_course_limit", "Deoxycholic acid course limit", KYBELLA_LABEL, "warn", True
)
INTERVAL = RuleSpec(
    "interval_too_short",
    "Minimum interval between sessions",
    f"{KYBELLA_LABEL}; protocol and catalog minimum intervals (CLINICAL.md §2.1, §3.4)",
    "block",
    True,
)


def _items_with(check: Check, code: str) -> list[PlannedItem]:
    return [i for i in check.treatment.items if i.product.ingredient(code) is not None]


def recent_weight(check: Check) -> Decimal | None:
    """The weight if recorded within the last 90 days (90 days old still counts)."""
    patient = check.patient
    if patient.weight_kg is None or patient.weight_on is None:
        return None
    if (check.on - patient.weight_on).days > WEIGHT_MAX_AGE_DAYS:
        return None
    return patient.weight_kg


def weight_missing(check: Check) -> Iterator[Finding]:
    if not _items_with(check, LIDOCAINE) or recent_weight(check) is not None:
        return
    patient = check.patient
    last = (
        f" (last: {fmt(patient.weight_kg)} kg on {patient.weight_on.isoformat()})"
        if patient.weight_kg is not None and patient.weight_on is not None
        else ""
    )
    yield WEIGHT_MISSING.finding(
        check,
        f"no weight recorded in the last {WEIGHT_MAX_AGE_DAYS} days{last}; "
        "the lidocaine limit is weight-based",
    )


def lidocaine_dose(check: Check) -> Iterator[Finding]:
    """Sum lidocaine over the whole session (all areas); mixed plain/epi → plain limit."""
    items = _items_with(check, LIDOCAINE)
    if not items:
        return
    unknown = sorted({i.product.name for i in items if _concentration(i, LIDOCAINE) is None})
    if unknown:
        yield LIDOCAINE_DOSE.finding(
            check,
            f"lidocaine concentration not recorded for {', '.join(unknown)}: "
            "the session total cannot be checked",
            {"products": tuple(unknown)},
        )
        return
    total = sum((_mg(i, LIDOCAINE) for i in items), Decimal(0))
    epinephrine = {i.product.has_epinephrine for i in items}
    with_epi = epinephrine == {True}
    weight = recent_weight(check)
    if weight is not None:
        limit = lidocaine_max_mg(weight, with_epi)
        max_mg = limit.max_mg
        arithmetic = f"{fmt(limit.per_kg)} mg/kg × {fmt(weight)} kg"
        if limit.capped:
            arithmetic += f" = {fmt(limit.weight_based_mg)} mg, capped at {fmt(limit.cap_mg)} mg"
    else:
        max_mg = LIDOCAINE_EPI_CAP_MG if with_epi else LIDOCAINE_PLAIN_CAP_MG
        arithmetic = f"absolute cap; no weight from the last {WEIGHT_MAX_AGE_DAYS} days"
    if total <= max_mg:
        return
    message = f"lidocaine {fmt(total)} mg exceeds {fmt(max_mg)} mg ({arithmetic})"
    if len(epinephrine) == 2:
        message += (
            "; the session mixes plain and epinephrine lidocaine, so the plain limit "
            "applies (conservative)"
        )
    yield LIDOCAINE_DOSE.finding(
        check,
        message,
        {"total_mg": total, "max_mg": max_mg, "weight_kg": weight, "with_epinephrine": with_epi},
    )


def _concentration(item: PlannedItem, code: str) -> Decimal | None:
    ingredient = item.product.ingredient(code)
    return None if ingredient is None else ingredient.concentration_mg_per_ml


def _mg(item: PlannedItem, code: str) -> Decimal:
    """Milligrams of ``code`` in an item; callers filter out unknown concentrations."""
    concentration = _concentration(item, code)
    if concentration is None:
        raise ValueError(f"no concentration recorded for {code} in {item.product.name}")
    return mg_from_ml(item.volume_ml, concentration)


def deoxycholic_session_dose(check: Check) -> Iterator[Finding]:
    items = _items_with(check, DCA)
    known = [i for i in items if _concentration(i, DCA) is not None]
    total_mg = sum((_mg(i, DCA) for i in known), Decimal(0))
    total_ml = sum((i.volume_ml for i in items), Decimal(0))
    if total_mg > DCA_MAX_MG:
        yield DCA_SESSION.finding(
            check,
            f"deoxycholic acid {fmt(total_mg)} mg exceeds {fmt(DCA_MAX_MG)} mg per session "
            f"(label maximum {fmt(DCA_MAX_ML)} mL of 10 mg/mL; {fmt(total_ml)} mL planned)",
            {"total_mg": total_mg, "total_ml": total_ml},
        )
    elif len(known) < len(items) and total_ml > DCA_MAX_ML:
        yield DCA_SESSION.finding(
            check,
            f"deoxycholic acid {fmt(total_ml)} mL exceeds {fmt(DCA_MAX_ML)} mL per session "
            "(concentration not recorded)",
            {"total_ml": total_ml},
        )
    pointed = [i for i in items if i.points is not None]
    for item in sorted(pointed, key=lambda i: (i.product.name, i.body_area or "", i.volume_ml)):
        per_point = item.volume_ml / (item.points or 1)
        if per_point > DCA_MAX_ML_PER_POINT:
            shown = per_point.quantize(Decimal("0.001"), ROUND_CEILING)
            yield DCA_SESSION.finding(
                check,
                f"{item.product.name}: {fmt(shown)} mL per "
                f"injection point exceeds {fmt(DCA_MAX_ML_PER_POINT)} mL "
                f"({fmt(item.volume_ml)} mL over {item.points} points)",
                {
                    "product": item.product.name,
                    "body_area": item.body_area or "",
                    "volume_ml": item.volume_ml,
                    "points": item.points,
                },
            )


def _is_dca_session(session: PreviousSession, dca_ids: frozenset[str]) -> bool:
    return DCA in {norm(c) for c in session.ingredient_codes} or bool(session.product_ids & dca_ids)


def deoxycholic_course_limit(check: Check) -> Iterator[Finding]:
    items = _items_with(check, DCA)
    dca_ids = frozenset(i.product.id for i in items)
    areas: set[str] = set()
    for item in items:
        areas |= check.treatment.areas_for(item) or {""}
    for area in sorted(areas):
        previous = [
            s
            for s in check.past_sessions
            if _is_dca_session(s, dca_ids)
            and (not area or not s.body_areas or area in {norm(a) for a in s.body_areas})
        ]
        session_number = len(previous) + 1
        if session_number > DCA_MAX_SESSIONS:
            where = area or "the treated area"
            yield DCA_COURSE.finding(
                check,
                f"this would be deoxycholic acid session {session_number} for {where} "
                f"({len(previous)} previous + this one; label maximum {DCA_MAX_SESSIONS})",
                {"body_area": area, "session_number": session_number},
            )


@dataclass(frozen=True)
class _Interval:
    label: str
    days: int
    months: int
    matches: Callable[[PreviousSession], bool]


def _product_interval(product: ProductFacts) -> _Interval | None:
    days = product.min_interval_days or 0
    months = product.min_interval_months or 0
    is_dca = DCA in product.ingredient_codes
    if is_dca:
        months = max(months, DCA_MIN_INTERVAL_MONTHS)
    if not days and not months:
        return None

    def matches(session: PreviousSession) -> bool:
        return product.id in session.product_ids or (
            is_dca and _is_dca_session(session, frozenset())
        )

    return _Interval(product.name, days, months, matches)


def interval_too_short(check: Check) -> Iterator[Finding]:
    treatment = check.treatment
    intervals: list[_Interval] = []
    if treatment.protocol_id is not None and treatment.protocol_min_interval_days:
        protocol = treatment.protocol_id
        intervals.append(
            _Interval(
                f"protocol {protocol}",
                treatment.protocol_min_interval_days,
                0,
                lambda s: s.protocol_id == protocol,
            )
        )
    intervals += [i for p in treatment.products if (i := _product_interval(p)) is not None]
    for interval in intervals:
        last = next((s for s in check.past_sessions if interval.matches(s)), None)
        if last is None:
            continue
        earliest = max(
            last.on + timedelta(days=interval.days), add_months(last.on, interval.months)
        )
        if check.on < earliest:
            yield INTERVAL.finding(
                check,
                f"{interval.label}: last session {last.on.isoformat()}, minimum interval "
                f"{_describe(interval)}, so not before {earliest.isoformat()}",
                {"product": interval.label, "last_session": last.on, "earliest": earliest},
            )


def _describe(interval: _Interval) -> str:
    parts = []
    if interval.months:
        parts.append(f"{interval.months} month{'s' if interval.months > 1 else ''}")
    if interval.days:
        parts.append(f"{interval.days} day{'s' if interval.days > 1 else ''}")
    return " and ".join(parts)
