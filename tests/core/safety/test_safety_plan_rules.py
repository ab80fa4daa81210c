from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mesocare.core.safety import evaluate

Make = Any  # the conftest ``Make`` builder


def with_lot(make: Make, **lot: Any) -> Any:
    return make.check(treatment=make.treatment(make.item(make.ha, lot=make.lot(**lot))))


@pytest.mark.parametrize(("offset", "expired"), [(-1, True), (0, False), (1, False)])
def test_lot_is_usable_through_its_expiry_date(make: Make, offset: int, expired: bool) -> None:
    report = evaluate(with_lot(make, expiry=make.today + timedelta(days=offset)))
    assert ("lot_expired" in report.codes) is expired
    if expired:
        [finding] = report.findings
        assert finding.message == "lot L001 of Hyaluronic acid 1% expired on 2025-06-14"
        assert not finding.overridable and not report.overridable


def test_recalled_lot_blocks_without_override(make: Make) -> None:
    [finding] = evaluate(with_lot(make, recalled=True)).findings
    assert (finding.code, finding.severity, finding.overridable) == ("lot_recalled", "block", False)


def test_a_lot_used_in_two_items_is_reported_once(make: Make) -> None:
    lot = make.lot(recalled=True)
    plan = make.treatment(
        make.item(lot=lot, body_area="abdomen"), make.item(lot=lot, body_area="thigh")
    )
    assert evaluate(make.check(treatment=plan)).codes == ("lot_recalled",)


@pytest.mark.parametrize(
    ("moment", "severity"), [("booking", "warn"), ("check_in", "block"), ("charting", "block")]
)
def test_missing_consent_severity_depends_on_moment(make: Make, moment: str, severity: str) -> None:
    check = make.check(make.patient(consents=()), moment=moment)
    [finding] = evaluate(check).findings
    assert (finding.code, finding.severity) == ("consent_missing", severity)
    assert finding.message == "no valid treatment consent for cellulite (version 1)"


@pytest.mark.parametrize(
    "consent",
    [
        {"indication": "melasma"},
        {"indication": None},
        {"version": "0"},
        {"withdrawn": True},
        {"kind": "general"},
        {"signed_on_offset": 1},
    ],
)
def test_consent_must_match_kind_indication_version_and_date(
    make: Make, consent: dict[str, Any]
) -> None:
    offset = consent.pop("signed_on_offset", -1)
    signed = make.consent(signed_on=make.today + timedelta(days=offset), **consent)
    check = make.check(make.patient(consents=(signed,)))
    assert evaluate(check).codes == ("consent_missing",)


def test_consent_signed_on_the_treatment_day_is_valid(make: Make) -> None:
    check = make.check(make.patient(consents=(make.consent(signed_on=make.today),)))
    assert evaluate(check).codes == ()


def test_consent_indication_is_compared_normalised(make: Make) -> None:
    plan = make.treatment(indication="Localized fat")
    patient = make.patient(consents=(make.consent(indication="localized-fat"),))
    assert evaluate(make.check(patient, plan)).codes == ()


def test_any_treatment_consent_counts_when_nothing_specific_is_required(make: Make) -> None:
    plan = make.treatment(indication=None, consent_version_required=None)
    patient = make.patient(consents=(make.consent(indication="melasma", version="7"),))
    assert evaluate(make.check(patient, plan)).codes == ()


def test_incompatible_products_in_one_syringe_warn(make: Make) -> None:
    plan = make.treatment(make.item(make.pc, "4", syringe=1), make.item(make.lido1, "1", syringe=1))
    [finding] = evaluate(make.check(treatment=plan)).findings
    assert (finding.code, finding.severity) == ("incompatible_mix", "warn")
    assert finding.message == (
        "syringe 1: Lidocaine 1% and Phosphatidylcholine 5% are incompatible (lidocaine)"
    )


@pytest.mark.parametrize(("first", "second"), [(1, 2), (None, None), (1, None)])
def test_incompatible_products_in_separate_syringes_are_fine(
    make: Make, first: int | None, second: int | None
) -> None:
    plan = make.treatment(
        make.item(make.pc, "4", syringe=first), make.item(make.lido1, "1", syringe=second)
    )
    assert evaluate(make.check(treatment=plan)).codes == ()


def test_compatible_cocktail_does_not_warn(make: Make) -> None:
    plan = make.treatment(make.item(make.ha, syringe=1), make.item(make.lido1, "1", syringe=1))
    assert evaluate(make.check(treatment=plan)).codes == ()
