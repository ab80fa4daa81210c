"""Property tests: monotonic blocks, no false alarms, deterministic output."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.core.dosing import lidocaine_max_mg
from mesocare.core.safety import evaluate

Make = Any  # the conftest ``Make`` builder
TODAY = date(2025, 6, 15)
AREAS = [None, "abdomen", "face", "submental"]
TERMS = [
    "soy",
    "egg",
    "amide_local_anaesthetic",
    "ester_local_anaesthetic",
    "benzyl_alcohol",
    "lidocaine",
    "caffeine",
    "deoxycholic_acid",
    "hyaluronic_acid",
    "latex",
]
CONDITIONS = [
    "keloid_scarring",
    "autoimmune_disease",
    "diabetes",
    "active_skin_infection",
    "cancer_under_treatment",
    "bleeding_disorder",
    "thromboembolic_history",
]
MEDICATION = ["anticoagulant", "antiplatelet", "isotretinoin", "immunosuppressant", "other"]
MOMENTS = ["booking", "check_in", "charting"]
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)

volumes = st.decimals(min_value=0, max_value=20, places=2)
days_ago = st.integers(min_value=0, max_value=400).map(lambda d: TODAY - timedelta(days=d))


def catalog(make: Make) -> list[Any]:
    return [
        make.lido2,
        make.lido1,
        make.lido1_epi,
        make.kybella,
        make.belkyra,
        make.pc,
        make.caffeine,
        make.ha,
        make.procaine,
    ]


def allergies(make: Make) -> st.SearchStrategy[Any]:
    return st.builds(
        lambda terms: make.allergy("+".join(sorted(terms)), *terms),
        st.sets(st.sampled_from(TERMS), min_size=1, max_size=2),
    )


def conditions(make: Make) -> st.SearchStrategy[Any]:
    return st.builds(make.condition, st.sampled_from(CONDITIONS), st.sampled_from(AREAS))


def any_check(make: Make) -> st.SearchStrategy[Any]:
    consent = st.builds(
        make.consent,
        st.sampled_from(["treatment", "guardian", "general"]),
        st.sampled_from(["1", "2"]),
        days_ago,
        st.sampled_from(["cellulite", "melasma", None]),
        st.booleans(),
    )
    patient = st.builds(
        make.patient,
        birth_date=st.dates(min_value=date(1940, 1, 1), max_value=date(2015, 1, 1)),
        sex_at_birth=st.sampled_from(["female", "male", "intersex", "unknown"]),
        pregnancy_status=st.sampled_from([None, "pregnant", "not_pregnant", "unknown"]),
        pregnancy_status_on=st.none() | days_ago,
        breastfeeding=st.sampled_from([None, False, True]),
        weight_kg=st.none() | st.decimals(min_value=30, max_value=150, places=1),
        weight_on=st.none() | days_ago,
        allergies=st.lists(allergies(make), max_size=2).map(tuple),
        medication_classes=st.frozensets(st.sampled_from(MEDICATION), max_size=2),
        conditions=st.lists(conditions(make), max_size=2).map(tuple),
        consents=st.lists(consent, max_size=3).map(tuple),
    )
    lot = st.builds(
        make.lot,
        st.dates(min_value=TODAY - timedelta(days=3), max_value=TODAY + timedelta(days=3)),
        st.booleans(),
    )
    item = st.builds(
        make.item,
        st.sampled_from(catalog(make)),
        volumes.map(str),
        lot,
        st.none() | st.integers(min_value=1, max_value=60),
        st.sampled_from([None, 1, 2]),
        st.sampled_from(AREAS),
    )
    session = st.builds(
        make.session,
        days_ago,
        st.sampled_from([None, *catalog(make)]),
        st.sampled_from([None, "p1"]),
        st.sampled_from([("submental",), ()]),
    )
    treatment = st.lists(item, min_size=1, max_size=4).map(
        lambda items: make.treatment(*items, protocol_id="p1", protocol_min_interval_days=14)
    )
    return st.builds(
        make.check,
        patient,
        treatment,
        st.lists(session, max_size=8).map(tuple),
        st.sampled_from(MOMENTS),
    )


def add_risk(make: Make, check: Any, data: st.DataObject) -> Any:
    patient = check.patient
    kind = data.draw(
        st.sampled_from(
            [
                "allergy",
                "condition",
                "medication",
                "pregnant",
                "breastfeeding",
                "session",
                "later_moment",
            ]
        )
    )
    if kind == "allergy":
        patient = replace(patient, allergies=(*patient.allergies, data.draw(allergies(make))))
    elif kind == "condition":
        patient = replace(patient, conditions=(*patient.conditions, data.draw(conditions(make))))
    elif kind == "medication":
        extra = data.draw(st.sampled_from(MEDICATION))
        patient = replace(patient, medication_classes=patient.medication_classes | {extra})
    elif kind == "pregnant":
        patient = replace(patient, pregnancy_status="pregnant", pregnancy_status_on=TODAY)
    elif kind == "breastfeeding":
        patient = replace(patient, breastfeeding=True)
    elif kind == "session":
        extra = make.session(data.draw(days_ago), data.draw(st.sampled_from(catalog(make))))
        return replace(check, previous_sessions=(*check.previous_sessions, extra))
    else:
        return replace(check, moment="charting")
    return replace(check, patient=patient)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_adding_a_risk_fact_never_removes_a_block(make: Make, data: st.DataObject) -> None:
    check = data.draw(any_check(make))
    before = {f.code for f in evaluate(check).blocks}
    after = {f.code for f in evaluate(add_risk(make, check, data)).blocks}
    assert before <= after


@PROPERTY_SETTINGS
@given(data=st.data())
def test_input_order_does_not_change_the_output(make: Make, data: st.DataObject) -> None:
    check = data.draw(any_check(make))
    patient = check.patient
    shuffled = replace(
        check,
        patient=replace(
            patient,
            allergies=tuple(data.draw(st.permutations(patient.allergies))),
            conditions=tuple(data.draw(st.permutations(patient.conditions))),
            consents=tuple(data.draw(st.permutations(patient.consents))),
        ),
        treatment=replace(
            check.treatment, items=tuple(data.draw(st.permutations(check.treatment.items)))
        ),
        previous_sessions=tuple(data.draw(st.permutations(check.previous_sessions))),
    )
    first = evaluate(check)
    assert evaluate(check) == first
    assert evaluate(shuffled) == first


def safe_volume(limit_mg: Decimal, concentration: Decimal, share: Decimal) -> str:
    return str((limit_mg / concentration * share).quantize(Decimal("0.01"), ROUND_FLOOR))


@PROPERTY_SETTINGS
@given(
    data=st.data(),
    age_days=st.integers(min_value=18 * 366, max_value=80 * 365),
    weight=st.decimals(min_value=40, max_value=140, places=1),
    share=st.decimals(min_value=0, max_value=1, places=2),
)
def test_risk_free_patient_with_a_valid_plan_gets_no_findings(
    make: Make, data: st.DataObject, age_days: int, weight: Decimal, share: Decimal
) -> None:
    patient = make.patient(
        birth_date=TODAY - timedelta(days=age_days),
        sex_at_birth=data.draw(st.sampled_from(["female", "male", "intersex", "unknown"])),
        weight_kg=weight,
        weight_on=data.draw(st.integers(0, 90).map(lambda d: TODAY - timedelta(days=d))),
        pregnancy_status_on=data.draw(st.integers(0, 30).map(lambda d: TODAY - timedelta(days=d))),
        medication_classes=data.draw(st.frozensets(st.sampled_from(["other", "isotretinoin"]))),
    )
    lido = data.draw(st.sampled_from([make.lido2, make.lido1, make.lido1_epi]))
    limit = lidocaine_max_mg(weight, lido.contains_epinephrine).max_mg
    dca_ml = safe_volume(Decimal(100), Decimal(10), share)
    points = max(1, math.ceil(Decimal(dca_ml) / Decimal("0.2")))
    items = [
        make.item(lido, safe_volume(limit, lido.ingredients[0].concentration_mg_per_ml, share)),
        make.item(make.kybella, dca_ml, points=points, syringe=1, body_area="submental"),
        *[
            make.item(p, str(data.draw(volumes)), syringe=s, lot=make.lot(expiry=TODAY))
            for s, p in enumerate(
                data.draw(
                    st.lists(
                        st.sampled_from([make.ha, make.caffeine, make.pc, make.procaine]),
                        max_size=3,
                    )
                ),
                start=2,
            )
        ],
    ]
    previous = tuple(
        make.session(TODAY - timedelta(days=d), make.kybella, areas=("submental",))
        for d in data.draw(st.lists(st.integers(31, 400), max_size=5))
    )
    check = make.check(
        patient,
        make.treatment(*data.draw(st.permutations(items))),
        previous,
        data.draw(st.sampled_from(MOMENTS)),
    )
    assert evaluate(check).findings == ()
