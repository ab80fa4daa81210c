"""Rules about the plan itself: lots, consent, syringe compatibility and the labelled
population of a product."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from itertools import combinations

from mesocare.core.safety.facts import Check, LotFacts, ProductFacts, norm
from mesocare.core.safety.findings import Finding, RuleSpec

LOT_SOURCE = (
    "Product label expiry and manufacturer/regulator recall notices; lot traceback for "
    "mesotherapy non-tuberculous mycobacterial outbreaks (docs/clinical-sources.md, "
    "Instruction sets)"
)
CONSENT_SOURCE = (
    "2025 international consensus, J Clin Med 2025;14:4689 (Q18: written informed consent); "
    "SIM consensus, Mammucari et al., Eur Rev Med Pharmacol Sci 2011;15:682-694"
)
MIX_SOURCE = (
    "Catalog incompatibility data; Kybella label (no dilution or admixture); Jayasinghe "
    "et al., Obes Rev 2013 (local anaesthetics inhibit lipolysis)"
)

LOT_EXPIRED = RuleSpec(
    "lot_expired", "Expired lot", LOT_SOURCE, "block", overridable=False, non_negotiable=True
)
LOT_RECALLED = RuleSpec(
    "lot_recalled", "Recalled lot", LOT_SOURCE, "block", overridable=False, non_negotiable=True
)
CONSENT = RuleSpec(
    "consent_missing",
    "Valid treatment consent",
    CONSENT_SOURCE,
    "warn",
    overridable=True,
    block_at=frozenset({"check_in", "charting"}),
)
MIX = RuleSpec(
    "incompatible_mix", "Incompatible products in one syringe", MIX_SOURCE, "warn", overridable=True
)
OUTSIDE_LABEL = RuleSpec(
    "outside_label_population",
    "Outside the labelled population",
    "KYBELLA (deoxycholic acid) US prescribing information, section 1 and 14: moderate to "
    "severe submental fat (CR-SMFRS 2-3 in the phase 3 trials, Jones DH et al., Dermatol "
    "Surg 2016;42:38-49, doi:10.1097/DSS.0000000000000578)",
    default_severity="warn",
    overridable=True,
)
# Grades of the labelled population, per scale (CR-SMFRS 2 moderate, 3 severe).
LABELLED_GRADES = {"cr-smfrs": frozenset({2, 3})}
DCA = "deoxycholic_acid"
PC = "phosphatidylcholine"


def _planned_lots(check: Check) -> list[tuple[ProductFacts, LotFacts]]:
    pairs = {(i.product, i.lot) for i in check.treatment.items if i.lot is not None}
    return sorted(
        pairs,
        key=lambda p: (p[0].name, p[0].id, p[1].lot_number, p[1].id, p[1].expiry, p[1].recalled),
    )


def lot_expired(check: Check) -> Iterator[Finding]:
    """The expiry date itself is still usable; the day after is expired."""
    for product, lot in _planned_lots(check):
        if check.on > lot.expiry:
            yield LOT_EXPIRED.finding(
                check,
                f"lot {lot.lot_number} of {product.name} expired on {lot.expiry.isoformat()}",
                {"product": product.name, "lot": lot.lot_number, "expiry": lot.expiry},
            )


def lot_recalled(check: Check) -> Iterator[Finding]:
    for product, lot in _planned_lots(check):
        if lot.recalled:
            yield LOT_RECALLED.finding(
                check,
                f"lot {lot.lot_number} of {product.name} is recalled",
                {"product": product.name, "lot": lot.lot_number},
            )


def consent_missing(check: Check) -> Iterator[Finding]:
    """A valid consent: kind ``treatment``, not withdrawn, signed on or before the
    treatment date, for the treatment's indication (when it has one; a consent without
    indication does not cover a specific indication) and the required version."""
    treatment = check.treatment
    indication = norm(treatment.indication) if treatment.indication else None
    version = treatment.consent_version_required
    for consent in check.patient.consents:
        if (
            consent.kind == "treatment"
            and not consent.withdrawn
            and consent.signed_on <= check.on
            and (
                indication is None
                or (consent.indication is not None and norm(consent.indication) == indication)
            )
            and (version is None or consent.version == version)
        ):
            return
    wanted = "treatment consent"
    if indication:
        wanted += f" for {indication}"
    if version:
        wanted += f" (version {version})"
    yield CONSENT.finding(
        check, f"no valid {wanted}", {"indication": indication or "", "version": version or ""}
    )


def incompatible_mix(check: Check) -> Iterator[Finding]:
    """Items sharing a syringe number are one cocktail; ``incompatible_with`` lists
    ingredient codes, checked in both directions."""
    syringes: dict[int, set[ProductFacts]] = defaultdict(set)
    for item in check.treatment.items:
        if item.syringe is not None:
            syringes[item.syringe].add(item.product)
    for syringe in sorted(syringes):
        products = sorted(syringes[syringe], key=lambda p: (p.name, p.id))
        for first, second in combinations(products, 2):
            clash = ({norm(c) for c in first.incompatible_with} & second.ingredient_codes) | (
                {norm(c) for c in second.incompatible_with} & first.ingredient_codes
            )
            if clash:
                yield MIX.finding(
                    check,
                    f"syringe {syringe}: {first.name} and {second.name} are incompatible "
                    f"({', '.join(sorted(clash))})",
                    {
                        "product": f"{first.name} + {second.name}",
                        "syringe": syringe,
                        "ingredients": tuple(sorted(clash)),
                    },
                )


def outside_label_population(check: Check) -> Iterator[Finding]:
    """A single-agent deoxycholic acid plan whose baseline CR-SMFRS grade is not 2-3."""
    treatment = check.treatment
    grades = LABELLED_GRADES.get(treatment.severity_scale or "")
    if grades is None or treatment.severity_total is None:
        return
    labelled = [
        p.name
        for p in treatment.products
        if DCA in p.ingredient_codes and PC not in p.ingredient_codes
    ]
    grade = treatment.severity_total
    if labelled and not (grade == grade.to_integral_value() and int(grade) in grades):
        yield OUTSIDE_LABEL.finding(
            check,
            f"{', '.join(labelled)} is labelled for CR-SMFRS grades 2-3 (moderate to severe "
            f"submental fat); this plan treats grade {grade}",
            {"products": tuple(labelled), "scale": treatment.severity_scale, "grade": grade},
        )
