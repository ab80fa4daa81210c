"""Dose and interval rules: lidocaine, deoxycholic acid, phosphatidylcholine/deoxycholate,
minimum intervals.

Deoxycholic acid has two rules because it ships in two kinds of product. The Kybella label
limits hold for single-agent deoxycholic acid products (no phosphatidylcholine); a
phosphatidylcholine/deoxycholate (PC/DC) mix is dosed by its phosphatidylcholine, as in
Lipostabil N practice. Applying the label's 10 mL cap to PC/DC would make every PC/DC session
undeliverable. Sources and the practice figures: ``docs/clinical-sources.md``, "Dose rules".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
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
PC = "phosphatidylcholine"
WEIGHT_MAX_AGE_DAYS = 90
DCA_MAX_MG = Decimal("100")
DCA_MAX_ML = Decimal("10")
# 0.2 mL of 10 mg/mL: stated in mg so that it holds for any concentration.
DCA_MAX_MG_PER_POINT = Decimal("2")
DCA_MAX_ML_PER_POINT = Decimal("0.2")
DCA_MAX_SESSIONS = 6
DCA_MIN_INTERVAL_MONTHS = 1
PC_MAX_MG = Decimal("2500")
PC_MAX_ML_PER_POINT = Decimal("0.3")
PC_MIN_INTERVAL_DAYS = 28

LIDOCAINE_LABEL = (
    "Lidocaine HCl US label: ≤4.5 mg/kg, never >300 mg; with epinephrine ≤7 mg/kg, below 500 mg"
)
KYBELLA_LABEL = (
    "KYBELLA (deoxycholic acid) injection, US prescribing information (Kythera/Allergan, "
    "2015), section 2: 0.2 mL (2 mg) per injection 1 cm apart, at most 50 injections "
    "(10 mL, 100 mg) per treatment, up to 6 treatments at least 1 month apart"
)
PC_DC_SOURCE = (
    "Lipostabil N practice (Network-Lipolysis): at most 2,500 mg phosphatidylcholine per "
    "session; Thomas M et al., Plast Reconstr Surg Glob Open 2016;4(9):e861, "
    "doi:10.1097/GOX.0000000000000839 (at most 0.3 mL per point, at least 4 weeks apart); "
    "docs/clinical-sources.md, Dose rules"
)

WEIGHT_MISSING = RuleSpec(
    "weight_missing",
    "Recent weight needed for a weight-based dose limit",
    LIDOCAINE_LABEL,
    "warn",
    overridable=True,
    block_at=frozenset({"charting"}),
)
LIDOCAINE_DOSE = RuleSpec(
    "lidocaine_dose",
    "Lidocaine maximum dose",
    LIDOCAINE_LABEL,
    "block",
    overridable=False,
    non_negotiable=True,
)
DCA_SESSION = RuleSpec(
    "deoxycholic_session_dose",
    "Deoxycholic acid per-session maximum (single-agent products)",
    KYBELLA_LABEL,
    default_severity="block",
    overridable=False,
    non_negotiable=True,
)
PC_SESSION = RuleSpec(
    "phosphatidylcholine_session_dose",
    "Phosphatidylcholine/deoxycholate per-session maximum",
    PC_DC_SOURCE,
    default_severity="block",
    overridable=True,
)
DCA_COURSE = RuleSpec(
    "deoxycholic_course_limit",
    "Deoxycholic acid course limit",
    KYBELLA_LABEL,
    "warn",
    overridable=True,
)
INTERVAL = RuleSpec(
    "interval_too_short",
    "Minimum interval between sessions",
    f"{KYBELLA_LABEL}; {PC_DC_SOURCE}; protocol and catalog minimum intervals "
    "(docs/clinical-sources.md, Protocols and Products)",
    "block",
    overridable=True,
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


def is_single_agent_dca(product: ProductFacts) -> bool:
    """A deoxycholic acid product without phosphatidylcholine: the label limits apply."""
    codes = product.ingredient_codes
    return DCA in codes and PC not in codes


def _per_point(item: PlannedItem) -> Decimal:
    return item.volume_ml / (item.points or 1)


def _shown(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.001"), ROUND_CEILING)


def deoxycholic_session_dose(check: Check) -> Iterator[Finding]:
    items = [i for i in check.treatment.items if is_single_agent_dca(i.product)]
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
        per_point = _per_point(item)
        concentration = _concentration(item, DCA)
        if concentration is not None:
            mg_per_point = mg_from_ml(per_point, concentration)
            if mg_per_point <= DCA_MAX_MG_PER_POINT:
                continue
            excess = (
                f"{fmt(_shown(mg_per_point))} mg per injection point exceeds "
                f"{fmt(DCA_MAX_MG_PER_POINT)} mg"
            )
        elif per_point > DCA_MAX_ML_PER_POINT:
            excess = (
                f"{fmt(_shown(per_point))} mL per injection point exceeds "
                f"{fmt(DCA_MAX_ML_PER_POINT)} mL (concentration not recorded)"
            )
        else:
            continue
        yield DCA_SESSION.finding(
            check,
            f"{item.product.name}: {excess} ({fmt(item.volume_ml)} mL over {item.points} points)",
            {
                "product": item.product.name,
                "body_area": item.body_area or "",
                "volume_ml": item.volume_ml,
                "points": item.points,
            },
        )


def phosphatidylcholine_session_dose(check: Check) -> Iterator[Finding]:
    """PC/DC: at most 2,500 mg phosphatidylcholine per session, 0.3 mL per point, and a
    compounded product's own session cap (``max_ml_per_session``). Block, overridable."""
    items = [i for i in check.treatment.items if PC in i.product.ingredient_codes]
    known = [i for i in items if _concentration(i, PC) is not None]
    total_mg = sum((_mg(i, PC) for i in known), Decimal(0))
    total_ml = sum((i.volume_ml for i in items), Decimal(0))
    if total_mg > PC_MAX_MG:
        yield PC_SESSION.finding(
            check,
            f"phosphatidylcholine {fmt(total_mg)} mg exceeds {fmt(PC_MAX_MG)} mg per session "
            f"({fmt(total_ml)} mL planned)",
            {"total_mg": total_mg, "max_mg": PC_MAX_MG, "total_ml": total_ml},
        )
    # A compounded mix is not the licensed product the 2,500 mg figure comes from: it
    # carries its own cap (its deoxycholate content differs).
    capped = {i.product for i in items if i.product.compounded and i.product.max_ml_per_session}
    for product in sorted(capped, key=lambda p: (p.name, p.id)):
        cap = product.max_ml_per_session or Decimal(0)
        volume = sum((i.volume_ml for i in items if i.product == product), Decimal(0))
        if volume > cap:
            yield PC_SESSION.finding(
                check,
                f"{product.name}: {fmt(volume)} mL exceeds this compounded product's session "
                f"cap of {fmt(cap)} mL",
                {"product": product.name, "total_ml": volume, "max_ml": cap},
            )
    pointed = [i for i in items if i.points is not None]
    for item in sorted(pointed, key=lambda i: (i.product.name, i.body_area or "", i.volume_ml)):
        per_point = _per_point(item)
        if per_point > PC_MAX_ML_PER_POINT:
            yield PC_SESSION.finding(
                check,
                f"{item.product.name}: {fmt(_shown(per_point))} mL per injection point "
                f"exceeds {fmt(PC_MAX_ML_PER_POINT)} mL "
                f"({fmt(item.volume_ml)} mL over {item.points} points)",
                {
                    "product": item.product.name,
                    "body_area": item.body_area or "",
                    "volume_ml": item.volume_ml,
                    "points": item.points,
                },
            )


def _is_dca_session(session: PreviousSession, dca_ids: frozenset[str]) -> bool:
    """A previous single-agent deoxycholic acid session (PC/DC sessions do not count)."""
    codes = {norm(c) for c in session.ingredient_codes}
    return (DCA in codes and PC not in codes) or bool(session.product_ids & dca_ids)


def _is_pc_session(session: PreviousSession, pc_ids: frozenset[str]) -> bool:
    return PC in {norm(c) for c in session.ingredient_codes} or bool(session.product_ids & pc_ids)


def deoxycholic_course_limit(check: Check) -> Iterator[Finding]:
    items = [i for i in check.treatment.items if is_single_agent_dca(i.product)]
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


CATALOG_INTERVAL_SOURCE = (
    "the clinic catalog's minimum interval for this product (docs/clinical-sources.md, Products)"
)
PROTOCOL_INTERVAL_SOURCE = (
    "the protocol's minimum interval between sessions (docs/clinical-sources.md, Protocols)"
)


@dataclass(frozen=True)
class _Interval:
    label: str
    days: int
    months: int
    matches: Callable[[PreviousSession], bool]
    source: str  # what sets this interval: the label, the practice source or the catalog


def _product_interval(product: ProductFacts) -> _Interval | None:
    """The catalog's interval, at least one calendar month for single-agent deoxycholic
    acid (label) and 28 days for phosphatidylcholine/deoxycholate (practice)."""
    days = product.min_interval_days or 0
    months = product.min_interval_months or 0
    single_dca = is_single_agent_dca(product)
    has_pc = PC in product.ingredient_codes
    if single_dca:
        months = max(months, DCA_MIN_INTERVAL_MONTHS)
    if has_pc:
        days = max(days, PC_MIN_INTERVAL_DAYS)
    if not days and not months:
        return None
    sources = []
    if single_dca and months == DCA_MIN_INTERVAL_MONTHS:
        sources.append(KYBELLA_LABEL)
    if has_pc and days == PC_MIN_INTERVAL_DAYS:
        sources.append(PC_DC_SOURCE)
    source = "; ".join(sources) or CATALOG_INTERVAL_SOURCE

    def matches(session: PreviousSession) -> bool:
        return (
            product.id in session.product_ids
            or (single_dca and _is_dca_session(session, frozenset()))
            or (has_pc and _is_pc_session(session, frozenset()))
        )

    return _Interval(product.name, days, months, matches, source)


def interval_too_short(check: Check) -> Iterator[Finding]:
    """Not before the later of ``days`` after and ``months`` calendar months after the last
    matching session (31 January + 1 month = 28/29 February)."""
    treatment = check.treatment
    intervals: list[_Interval] = []
    protocol_days = treatment.protocol_min_interval_days or 0
    protocol_months = treatment.protocol_min_interval_months or 0
    if treatment.protocol_id is not None and (protocol_days or protocol_months):
        protocol = treatment.protocol_id
        intervals.append(
            _Interval(
                treatment.protocol_name or f"protocol {protocol}",
                protocol_days,
                protocol_months,
                lambda s: s.protocol_id == protocol,
                PROTOCOL_INTERVAL_SOURCE,
            )
        )
    intervals += [i for p in treatment.products if (i := _product_interval(p)) is not None]
    # Products whose intervals fire for the same reason (same source, same last session, same
    # earliest date) make one finding naming them all, not one block per product.
    fired: dict[tuple[str, date, date, str], list[str]] = {}
    for interval in intervals:
        last = next((s for s in check.past_sessions if interval.matches(s)), None)
        if last is None:
            continue
        earliest = earliest_after(last.on, interval.days, interval.months)
        if check.on < earliest:
            key = (interval.source, last.on, earliest, _describe(interval))
            names = fired.setdefault(key, [])
            if interval.label not in names:
                names.append(interval.label)
    for (source, last_on, earliest, described), names in fired.items():
        label = ", ".join(names)
        finding = INTERVAL.finding(
            check,
            f"{label}: last session {last_on.isoformat()}, minimum interval "
            f"{described}, so not before {earliest.isoformat()}",
            {"product": label, "last_session": last_on, "earliest": earliest},
        )
        yield replace(finding, source=source)


def earliest_after(last: date, days: int, months: int) -> date:
    """The first allowed date after a session on ``last``."""
    return max(last + timedelta(days=days), add_months(last, months))


def _describe(interval: _Interval) -> str:
    parts = []
    if interval.months:
        parts.append(f"{interval.months} month{'s' if interval.months > 1 else ''}")
    if interval.days:
        parts.append(f"{interval.days} day{'s' if interval.days > 1 else ''}")
    return " and ".join(parts)
