"""Rules about the patient: allergies, pregnancy, teratogens, age, medication, conditions.

Sources: Vedamurthy M, Mesotherapy, Indian J Dermatol Venereol Leprol 2007;73:60-62; the
2025 international consensus (J Clin Med 2025;14:4689, Q17); the Kybella, Avodart and
Lysteda US labels. Absolute contraindications block, relative ones warn
(``docs/clinical-sources.md``, "Safety rules").
"""

from __future__ import annotations

from collections.abc import Iterator

from mesocare.core.safety.facts import Check, norm
from mesocare.core.safety.findings import Finding, RuleSpec

CONSENSUS = "2025 international consensus, J Clin Med 2025;14:4689 (Q17)"
VEDAMURTHY = "Vedamurthy, IJDVL 2007;73:60"
KYBELLA = "Kybella (deoxycholic acid) US label"
AVODART = (
    "AVODART (dutasteride) US prescribing information (GlaxoSmithKline), sections 4, 5.3 "
    "and 5.4: contraindicated in pregnancy and in women of childbearing potential; "
    "do not donate blood until 6 months after the last dose"
)
LYSTEDA = (
    "LYSTEDA (tranexamic acid) US prescribing information, sections 4 and 5.1: "
    "thromboembolic risk; combined hormonal contraceptives increase it"
)

PREGNANCY_STATUS_MAX_AGE_DAYS = 30
CONTRACEPTION_MAX_AGE_DAYS = 90
CHILDBEARING_AGES = range(12, 56)  # 12–55 inclusive, in completed years
CHILDBEARING_SEXES = frozenset({"female", "intersex"})
ADULT_AGE = 18
BLEEDING_MEDICATION = frozenset({"anticoagulant", "antiplatelet"})
FIVE_ARI = "five_alpha_reductase_inhibitor"
TRANEXAMIC_ACID = "tranexamic_acid"
HORMONAL_CONTRACEPTIVE = "combined_hormonal_contraceptive"

ALLERGY = RuleSpec(
    "allergy_ingredient",
    "Allergy to an ingredient",
    f"{VEDAMURTHY}; {CONSENSUS}",
    "block",
    overridable=True,
)
ALLERGIES_UNKNOWN = RuleSpec(
    "allergies_not_recorded",
    "Allergies not recorded",
    f"{VEDAMURTHY} (history of allergy before mesotherapy); {CONSENSUS}",
    "warn",
    overridable=True,
)
PREGNANCY = RuleSpec(
    "pregnancy", "Pregnancy", f"{VEDAMURTHY}; {CONSENSUS}; {AVODART}", "block", overridable=True
)
BREASTFEEDING = RuleSpec(
    "breastfeeding", "Breastfeeding", f"{CONSENSUS}; {AVODART}", "block", overridable=True
)
TERATOGEN = RuleSpec(
    "teratogen_contraception",
    "5-alpha-reductase inhibitor without recorded reliable contraception",
    AVODART,
    default_severity="block",
    overridable=True,
)
PREGNANCY_UNKNOWN = RuleSpec(
    "pregnancy_status_unknown",
    "Pregnancy status not confirmed",
    f"{CONSENSUS}; pre-care practice (docs/clinical-sources.md, Pre-care and aftercare)",
    "warn",
    overridable=True,
)
MINOR = RuleSpec(
    "minor",
    "Patient under 18",
    f"{KYBELLA} (safety <18 not established); {CONSENSUS}",
    "block",
    overridable=False,
)
ANTICOAGULANT = RuleSpec(
    "anticoagulant",
    "Anticoagulant or antiplatelet medication",
    f"{KYBELLA} (caution with antiplatelet/anticoagulant); {VEDAMURTHY}",
    "warn",
    overridable=True,
)
BLEEDING = RuleSpec(
    "bleeding_disorder",
    "Bleeding disorder",
    f"{KYBELLA} (coagulopathy); {CONSENSUS}",
    "block",
    overridable=True,
)
INFECTION = RuleSpec(
    "active_infection",
    "Active skin infection at a treated area",
    f"{KYBELLA} (contraindicated with infection at injection sites); {VEDAMURTHY}",
    "block",
    overridable=True,
)
KELOID = RuleSpec(
    "keloid_history", "History of keloid scarring", CONSENSUS, "warn", overridable=True
)
AUTOIMMUNE = RuleSpec("autoimmune", "Autoimmune disease", CONSENSUS, "warn", overridable=True)
CANCER = RuleSpec(
    "cancer_treatment",
    "Cancer under active treatment",
    f"{VEDAMURTHY}; {CONSENSUS}",
    "block",
    overridable=True,
)
THROMBO = RuleSpec(
    "thromboembolic_history",
    "Thromboembolic history with a lipolytic product or tranexamic acid",
    f"{CONSENSUS}; {VEDAMURTHY}; {LYSTEDA}",
    "warn",
    overridable=True,
)
TXA_HORMONAL = RuleSpec(
    "tranexamic_hormonal_contraceptive",
    "Tranexamic acid with a combined hormonal contraceptive",
    LYSTEDA,
    default_severity="warn",
    overridable=True,
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


def allergies_not_recorded(check: Check) -> Iterator[Finding]:
    """Before a first session, an allergy history nobody took: "no allergies listed" is
    not the same as "asked, none known" (NKA), which gives no finding."""
    patient = check.patient
    if patient.allergy_status != "unknown" or patient.allergies or check.past_sessions:
        return
    yield ALLERGIES_UNKNOWN.finding(
        check, "allergies not recorded: ask the patient before the first session"
    )


def _teratogens(check: Check) -> list[str]:
    return [p.name for p in check.treatment.products if p.in_family(FIVE_ARI)]


def pregnancy(check: Check) -> Iterator[Finding]:
    """The latest recorded status is pregnant, however old (stale is not reassuring).
    With a teratogen (5-alpha-reductase inhibitor) planned, nobody may override it."""
    if check.patient.pregnancy_status == "pregnant":
        recorded = check.patient.pregnancy_status_on
        when = f" (recorded {recorded.isoformat()})" if recorded else ""
        teratogens = _teratogens(check)
        also = f"; {', '.join(teratogens)} is a teratogen" if teratogens else ""
        yield PREGNANCY.finding(
            check,
            f"patient is recorded as pregnant{when}{also}",
            {"recorded_on": recorded.isoformat() if recorded else ""},
            overridable=False if teratogens else None,
        )


def breastfeeding(check: Check) -> Iterator[Finding]:
    if check.patient.breastfeeding:
        teratogens = _teratogens(check)
        also = f"; {', '.join(teratogens)} is a teratogen" if teratogens else ""
        yield BREASTFEEDING.finding(
            check,
            f"patient is breastfeeding{also}",
            overridable=False if teratogens else None,
        )


def teratogen_contraception(check: Check) -> Iterator[Finding]:
    """A 5-alpha-reductase inhibitor for a female or intersex patient aged 12–55 who may
    become pregnant (childbearing potential not recorded as ``no``) without reliable
    contraception recorded as true in the last 90 days. Pregnancy itself is the pregnancy
    rule's (absolute) block."""
    teratogens = _teratogens(check)
    patient = check.patient
    if not teratogens or patient.sex_at_birth not in CHILDBEARING_SEXES:
        return
    if check.age not in CHILDBEARING_AGES or patient.childbearing_potential == "no":
        return
    if patient.pregnancy_status == "pregnant":
        return
    recorded = patient.reliable_contraception_on
    if (
        patient.reliable_contraception
        and recorded is not None
        and 0 <= (check.on - recorded).days <= CONTRACEPTION_MAX_AGE_DAYS
    ):
        return
    if patient.reliable_contraception and recorded is not None:
        state = f"reliable contraception last recorded {recorded.isoformat()}"
    else:
        state = "no reliable contraception recorded"
    yield TERATOGEN.finding(
        check,
        f"{', '.join(teratogens)} is a teratogen: patient aged {check.age} may become "
        f"pregnant and has {state} in the last {CONTRACEPTION_MAX_AGE_DAYS} days",
        {"products": tuple(teratogens), "age": check.age},
    )


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
            message_without_medications="a recorded medication raises the bruising/bleeding risk",
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


def _tranexamic(check: Check) -> list[str]:
    return [p.name for p in check.treatment.products if TRANEXAMIC_ACID in p.ingredient_codes]


def thromboembolic_history(check: Check) -> Iterator[Finding]:
    """Lipolytic products and tranexamic acid (an antifibrinolytic)."""
    if not check.patient.has_condition("thromboembolic_history"):
        return
    tranexamic = set(_tranexamic(check))
    named = [p.name for p in check.treatment.products if p.is_lipolytic or p.name in tranexamic]
    if named:
        yield THROMBO.finding(
            check,
            f"thromboembolic history and {', '.join(named)}",
            {"products": tuple(named)},
        )


def tranexamic_hormonal_contraceptive(check: Check) -> Iterator[Finding]:
    classes = {norm(m) for m in check.patient.medication_classes}
    tranexamic = _tranexamic(check)
    if HORMONAL_CONTRACEPTIVE in classes and tranexamic:
        yield TXA_HORMONAL.finding(
            check,
            f"patient takes a combined hormonal contraceptive and {', '.join(tranexamic)} "
            "is planned: higher risk of thrombosis",
            {"products": tuple(tranexamic), "medication_classes": (HORMONAL_CONTRACEPTIVE,)},
            message_without_medications=(
                f"a recorded medication and {', '.join(tranexamic)} together raise the risk "
                "of thrombosis"
            ),
        )
