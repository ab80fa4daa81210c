"""Rules about the patient: allergies, pregnancy, age, medication and conditions.

Sources and classes: CLINICAL.md §3.1 (Vedamurthy IJDVL 2007;73:60; 2025 international
consensus J Clin Med 14:4689 Q17; Kybella label). Absolute contraindications block,
relative ones warn.
"""

from __future__ import annotations

from collections.abc import Iterator

from mesocare.core.safety.facts import Check, norm
from mesocare.core.safety.findings import Finding, RuleSpec

CONSENSUS = "2025 international consensus, J Clin Med 2025;14:4689 (Q17)"
VEDAMURTHY = "Vedamurthy, IJDVL 2007;73:60"
KYBELLA = "Kybella (deoxycholic acid) US label"

PREGNANCY_STATUS_MAX_AGE_DAYS = 30
CHILDBEARING_AGES = range(12, 56)  # 12–55 inclusive, in completed years
ADULT_AGE = 18
BLEEDING_MEDICATION = frozenset({"anticoagulant", "antiplatelet"})

ALLERGY = RuleSpec(
    "allergy_ingredient", "Allergy to an ingredient", f"{VEDAMURTHY}; {CONSENSUS}", "block", True
)
PREGNANCY = RuleSpec("pregnancy", "Pregnancy", f"{VEDAMURTHY}; {CONSENSUS}", "block", True)
BREASTFEEDING = RuleSpec("breastfeeding", "Breastfeeding", CONSENSUS, "block", True)
PREGNANCY_UNKNOWN = RuleSpec(
    "pregnancy_status_unknown",
    "Pregnancy status not confirmed",
    f"Pre-care practice consensus (CLINICAL.md §4.1); {CONSENSUS}",
    "warn",
    True,
)
MINOR = RuleSpec(
    "minor",
    "Patient under 18",
    f"{KYBELLA} (safety <18 not established); {CONSENSUS}",
    "block",
    False,
)
ANTICOAGULANT = RuleSpec(
    "anticoagulant",
    "Anticoagulant or antiplatelet medication",
    f"{KYBELLA} (caution with antiplatelet/anticoagulant); {VEDAMURTHY}",
    "warn",
    True,
)
BLEEDING = RuleSpec(
    "bleeding_disorder",
    "Bleeding disorder",
    f"{KYBELLA} (coagulopathy); {CONSENSUS}",
    "block",
    True,
)
INFECTION = RuleSpec(
    "active_infection",
    "Active skin infection at a treated area",
    f"{KYBELLA} (contraindicated with infection at injection sites); {VEDAMURTHY}",
    "block",
    True,
)
KELOID = RuleSpec("keloid_history", "History of keloid scarring", CONSENSUS, "warn", True)
AUTOIMMUNE = RuleSpec("autoimmune", "Autoimmune disease", CONSENSUS, "warn", True)
CANCER = RuleSpec(
    "cancer_treatment",
    "Cancer under active treatment",
    f"{VEDAMURTHY}; {CONSENSUS}",
    "block",
    True,
)
THROMBO = RuleSpec(
    "thromboembolic_history",
    "Thromboembolic history with a lipolytic product",
    f"CLINICAL.md §3.1 (lipolytic mesotherapy contraindications); {CONSENSUS}",
    "warn",
    True,
)


def allergy_ingredient(check: Check) -> Iterator[Finding]:
    """Block each planned product that an allergy matches by ingredient or family."""
    allergies = sorted(check.patient.allergies, key=lambda a: (a.label, sorted(a.substance_terms)))
    for product in check.treatment.products:
        for allergy in allergies:
            hits = []
            for ingredient in product.ingredients:
                codes = frozenset({ingredient.code}) | ingredient.allergen_families
                matched = allergy.matches(codes)
                if matched:
                    hits.append(f"{ingredient.name} ({', '.join(sorted(matched))})")
            if hits:
                yield ALLERGY.finding(
                    check,
                    f"allergy '{allergy.label}' matches {'; '.join(sorted(hits))} "
                    f"in {product.name}",
                    {
                        "product": product.name,
                        "product_id": product.id,
                        "allergy": allergy.label,
                        "matched": tuple(sorted(hits)),
                    },
                )


def pregnancy(check: Check) -> Iterator[Finding]:
    """The latest recorded status is pregnant, however old (stale is not reassuring)."""
    if check.patient.pregnancy_status == "pregnant":
        recorded = check.patient.pregnancy_status_on
        when = f" (recorded {recorded.isoformat()})" if recorded else ""
        yield PREGNANCY.finding(
            check,
            f"patient is recorded as pregnant{when}",
            {"recorded_on": recorded.isoformat() if recorded else ""},
        )


def breastfeeding(check: Check) -> Iterator[Finding]:
    if check.patient.breastfeeding:
        yield BREASTFEEDING.finding(check, "patient is breastfeeding")


def pregnancy_status_unknown(check: Check) -> Iterator[Finding]:
    """Female 12–55 without a pregnant/not-pregnant status from the last 30 days."""
    patient = check.patient
    if patient.sex_at_birth != "female" or check.age not in CHILDBEARING_AGES:
        return
    if patient.pregnancy_status == "pregnant":
        return  # the pregnancy rule already blocks
    recorded = patient.pregnancy_status_on
    fresh = (
        patient.pregnancy_status == "not_pregnant"
        and recorded is not None
        and (check.on - recorded).days <= PREGNANCY_STATUS_MAX_AGE_DAYS
    )
    if not fresh:
        yield PREGNANCY_UNKNOWN.finding(
            check,
            f"no pregnancy status recorded in the last {PREGNANCY_STATUS_MAX_AGE_DAYS} days "
            f"for a female patient aged {check.age}",
            {"age": check.age, "recorded_on": recorded.isoformat() if recorded else ""},
        )


def minor(check: Check) -> Iterator[Finding]:
    """Always a block; overridable only when a guardian consent is on file."""
    if check.age >= ADULT_AGE:
        return
    guardian = any(
        c.kind == "guardian" and not c.withdrawn and c.signed_on <= check.on
        for c in check.patient.consents
    )
    note = "guardian consent on file" if guardian else "no guardian consent recorded"
    yield MINOR.finding(
        check,
        f"patient is {check.age} years old ({note})",
        {"age": check.age, "guardian_consent": guardian},
        overridable=guardian,
    )


def anticoagulant(check: Check) -> Iterator[Finding]:
    classes = sorted(BLEEDING_MEDICATION & {norm(m) for m in check.patient.medication_classes})
    if classes:
        yield ANTICOAGULANT.finding(
            check,
            f"patient takes {' and '.join(classes)} medication: bruising/bleeding risk",
            {"medication_classes": tuple(classes)},
        )


def bleeding_disorder(check: Check) -> Iterator[Finding]:
    if check.patient.has_condition("bleeding_disorder"):
        yield BLEEDING.finding(check, "patient has a bleeding disorder")


def active_infection(check: Check) -> Iterator[Finding]:
    """Infection without an area counts everywhere; a plan without areas matches any."""
    planned = check.treatment.all_areas
    areas = {
        norm(c.body_area) if c.body_area else "anywhere"
        for c in check.patient.conditions
        if norm(c.code) == "active_skin_infection"
    }
    for area in sorted(areas):
        if area == "anywhere" or not planned or area in planned:
            where = "an unspecified area" if area == "anywhere" else area
            yield INFECTION.finding(check, f"active skin infection at {where}", {"body_area": area})


def keloid_history(check: Check) -> Iterator[Finding]:
    if check.patient.has_condition("keloid_scarring"):
        yield KELOID.finding(check, "history of keloid scarring")


def autoimmune(check: Check) -> Iterator[Finding]:
    if check.patient.has_condition("autoimmune_disease"):
        yield AUTOIMMUNE.finding(check, "patient has an autoimmune disease")


def cancer_treatment(check: Check) -> Iterator[Finding]:
    if check.patient.has_condition("cancer_under_treatment"):
        yield CANCER.finding(check, "patient is under active cancer treatment")


def thromboembolic_history(check: Check) -> Iterator[Finding]:
    if not check.patient.has_condition("thromboembolic_history"):
        return
    lipolytic = [p.name for p in check.treatment.products if p.is_lipolytic]
    if lipolytic:
        yield THROMBO.finding(
            check,
            f"thromboembolic history and lipolytic product(s): {', '.join(lipolytic)}",
            {"products": tuple(lipolytic)},
        )
