"""Builders for safety-engine tests, exposed as the session fixture ``make``.

The project runs pytest with ``--import-mode=importlib``, so test modules cannot import
a sibling helper module; a fixture is the portable way to share builders.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from mesocare.core.safety import (
    Allergy,
    Check,
    ConditionFact,
    ConsentFact,
    IngredientDose,
    LotFacts,
    PatientFacts,
    PlannedItem,
    PreviousSession,
    ProductFacts,
    Treatment,
)
from mesocare.core.safety.facts import ConsentKind, Moment

TODAY = date(2025, 6, 15)


def lidocaine_product(pct: str = "2", epinephrine: bool = False) -> ProductFacts:
    concentration = Decimal(pct) * 10
    ingredients = [
        IngredientDose(
            "lidocaine", "lidocaine", frozenset({"amide_local_anaesthetic"}), concentration
        )
    ]
    if epinephrine:
        ingredients.append(IngredientDose("epinephrine", "epinephrine"))
    suffix = " with epinephrine" if epinephrine else ""
    return ProductFacts(
        id=f"lido-{pct}{'-epi' if epinephrine else ''}",
        name=f"Lidocaine {pct}%{suffix}",
        ingredients=tuple(ingredients),
        contains_epinephrine=epinephrine,
    )


class Make:
    """A fixed catalog plus builders whose defaults describe a risk-free patient and plan."""

    today = TODAY
    lido2 = lidocaine_product("2")
    lido1 = lidocaine_product("1")
    lido1_epi = lidocaine_product("1", epinephrine=True)
    kybella = ProductFacts(
        "kybella",
        "Kybella",
        (IngredientDose("deoxycholic_acid", "deoxycholic acid", frozenset(), Decimal("10")),),
        is_lipolytic=True,
        min_interval_months=1,
    )
    belkyra = ProductFacts(
        "belkyra",
        "Belkyra",
        (IngredientDose("deoxycholic_acid", "deoxycholic acid", frozenset(), Decimal("10")),),
        is_lipolytic=True,
    )
    pc = ProductFacts(
        "pc5",
        "Phosphatidylcholine 5%",
        (
            IngredientDose(
                "phosphatidylcholine",
                "phosphatidylcholine",
                frozenset({"soy", "egg"}),
                Decimal("50"),
            ),
            IngredientDose("benzyl_alcohol", "benzyl alcohol", frozenset({"benzyl_alcohol"})),
        ),
        is_lipolytic=True,
        incompatible_with=frozenset({"lidocaine"}),
        min_interval_days=28,
    )
    caffeine = ProductFacts(
        "caf",
        "Caffeine 2%",
        (IngredientDose("caffeine", "caffeine", frozenset(), Decimal("20")),),
        is_lipolytic=True,
        min_interval_days=7,
    )
    ha = ProductFacts(
        "ha",
        "Hyaluronic acid 1%",
        (IngredientDose("hyaluronic_acid", "hyaluronic acid", frozenset(), Decimal("10")),),
    )
    procaine = ProductFacts(
        "proc",
        "Procaine 2%",
        (
            IngredientDose(
                "procaine", "procaine", frozenset({"ester_local_anaesthetic"}), Decimal("20")
            ),
        ),
    )

    def lot(
        self, expiry: date | None = None, recalled: bool = False, number: str = "L001"
    ) -> LotFacts:
        return LotFacts(f"lot-{number}", number, expiry or date(2027, 1, 31), recalled)

    def consent(
        self,
        kind: ConsentKind = "treatment",
        version: str = "1",
        signed_on: date | None = None,
        indication: str | None = "cellulite",
        withdrawn: bool = False,
    ) -> ConsentFact:
        return ConsentFact(
            kind,
            version,
            signed_on or TODAY - timedelta(days=10),
            indication,
            withdrawn,
        )

    def patient(self, **changes: object) -> PatientFacts:
        values: dict[str, object] = {
            "birth_date": date(1985, 3, 10),
            "sex_at_birth": "female",
            "pregnancy_status": "not_pregnant",
            "pregnancy_status_on": TODAY,
            "breastfeeding": False,
            "weight_kg": Decimal("70"),
            "weight_on": TODAY,
            "allergies": (),
            "allergy_status": "no_known_allergies",
            "medication_classes": frozenset(),
            "conditions": (),
            "consents": (self.consent(),),
        }
        values.update(changes)
        return PatientFacts(**values)  # type: ignore[arg-type]

    def item(
        self,
        product: ProductFacts | None = None,
        volume: str = "2",
        lot: LotFacts | None = None,
        points: int | None = None,
        syringe: int | None = None,
        body_area: str | None = None,
    ) -> PlannedItem:
        return PlannedItem(
            product or self.ha, lot or self.lot(), Decimal(volume), points, syringe, body_area
        )

    def treatment(self, *items: PlannedItem, **changes: object) -> Treatment:
        values: dict[str, object] = {
            "protocol_id": None,
            "protocol_min_interval_days": None,
            "indication": "cellulite",
            "consent_version_required": "1",
            "items": items or (self.item(),),
            "body_areas": frozenset({"abdomen"}),
        }
        values.update(changes)
        return Treatment(**values)  # type: ignore[arg-type]

    def session(
        self,
        on: date,
        product: ProductFacts | None = None,
        protocol_id: str | None = None,
        areas: tuple[str, ...] = ("abdomen",),
        ingredients: tuple[str, ...] = (),
    ) -> PreviousSession:
        """A past session; ingredient codes default to the product's."""
        ids = frozenset({product.id}) if product else frozenset()
        codes = frozenset(ingredients) or (product.ingredient_codes if product else frozenset())
        return PreviousSession(on, protocol_id, ids, frozenset(areas), codes)

    def check(
        self,
        patient: PatientFacts | None = None,
        treatment: Treatment | None = None,
        previous: tuple[PreviousSession, ...] = (),
        moment: Moment = "check_in",
        on: date = TODAY,
    ) -> Check:
        return Check(patient or self.patient(), treatment or self.treatment(), previous, moment, on)

    def allergy(self, label: str, *terms: str) -> Allergy:
        return Allergy(frozenset(terms), label)

    def condition(self, code: str, area: str | None = None) -> ConditionFact:
        return ConditionFact(code, area)


@pytest.fixture(scope="session")
def make() -> Make:
    return Make()
