from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import EmailStr, Field

from mesocare.api.inputs import Patch
from mesocare.patients.choices import (
    AllergySeverity,
    AllergyStatus,
    Channel,
    ChildbearingPotential,
    ChildbearingReason,
    ConditionCode,
    ConsentKind,
    DrugClass,
    Language,
    PhotoUse,
    PregnancyStatus,
    SexAtBirth,
)

Name = Field(min_length=1, max_length=100)


class PatientIn(Schema):
    given_name: str = Name
    family_name: str = Name
    birth_date: dt.date
    sex_at_birth: SexAtBirth
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    preferred_channel: Channel | None = None
    language: Language | None = Field(None, description="language of messages; empty: the clinic's")
    address: str | None = Field(None, max_length=2000)
    tax_code: str | None = Field(None, max_length=32, description="e.g. an Italian codice fiscale")
    notes: str | None = Field(None, max_length=5000)
    pregnancy_status: PregnancyStatus | None = None
    pregnancy_status_on: dt.date | None = None
    breastfeeding: bool | None = None
    breastfeeding_on: dt.date | None = None
    childbearing_potential: ChildbearingPotential | None = None
    childbearing_potential_reason: ChildbearingReason | None = Field(
        None, description="only with childbearing_potential `no`"
    )
    reliable_contraception: bool | None = None
    reliable_contraception_on: dt.date | None = Field(
        None, description="date the contraception answer was recorded; default today"
    )
    allergy_status: AllergyStatus | None = Field(
        None,
        description="`no_known_allergies` records that the patient was asked and has none "
        "(who and when are kept); `has_allergies` is set by adding an allergy; `unknown` = not "
        "asked. Neither `unknown` nor `no_known_allergies` may stand next to an active allergy.",
    )


class PatientPatch(Patch):
    nullable = frozenset(
        {
            "pregnancy_status_on",
            "breastfeeding_on",
            "childbearing_potential",
            "childbearing_potential_reason",
            "reliable_contraception",
            "reliable_contraception_on",
        }
    )

    given_name: str | None = Field(None, min_length=1, max_length=100)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: dt.date | None = None
    sex_at_birth: SexAtBirth | None = None
    email: EmailStr | None = None
    phone: str | None = Field(None, max_length=40)
    preferred_channel: Channel | None = None
    language: Language | None = Field(None, description="language of messages; empty: the clinic's")
    address: str | None = Field(None, max_length=2000)
    tax_code: str | None = Field(None, max_length=32, description="e.g. an Italian codice fiscale")
    notes: str | None = Field(None, max_length=5000)
    is_active: bool | None = None
    pregnancy_status: PregnancyStatus | None = None
    pregnancy_status_on: dt.date | None = None
    breastfeeding: bool | None = None
    breastfeeding_on: dt.date | None = None
    childbearing_potential: ChildbearingPotential | None = None
    childbearing_potential_reason: ChildbearingReason | None = None
    reliable_contraception: bool | None = None
    reliable_contraception_on: dt.date | None = None
    allergy_status: AllergyStatus | None = Field(
        None,
        description="`no_known_allergies` records that the patient was asked and has none "
        "(who and when are kept); `has_allergies` is set by adding an allergy; `unknown` = not "
        "asked. Neither `unknown` nor `no_known_allergies` may stand next to an active allergy.",
    )


class AllergyOut(Schema):
    id: int
    substance: str
    ingredient: int | None = Field(validation_alias="ingredient_id")
    allergen_family: str | None
    reaction: str
    severity: str
    is_active: bool
    recorded_at: dt.datetime


class PatientListItem(Schema):
    id: int
    given_name: str
    family_name: str
    birth_date: dt.date
    sex_at_birth: str
    phone: str
    email: str
    is_active: bool


class PatientPage(Schema):
    count: int | None
    limit: int
    offset: int
    next_offset: int | None
    items: list[PatientListItem]


class WeightOut(Schema):
    id: int
    kg: Decimal
    measured_on: dt.date
    recorded_at: dt.datetime


class PatientOut(PatientListItem):
    preferred_channel: str
    language: str
    address: str
    tax_code: str
    notes: str
    age: int
    allergies: list[AllergyOut]
    allergy_status: AllergyStatus
    allergy_status_at: dt.datetime | None = Field(description="when the status was recorded")
    allergy_status_patient_reported: bool
    clinical_redacted: bool = Field(
        description="true when your role may not read clinical history; the fields below are null"
    )
    pregnancy_status: str | None = None
    pregnancy_status_on: dt.date | None = None
    breastfeeding: bool | None = None
    breastfeeding_on: dt.date | None = None
    childbearing_potential: str | None = None
    childbearing_potential_reason: str | None = None
    reliable_contraception: bool | None = None
    reliable_contraception_on: dt.date | None = None
    latest_weight: WeightOut | None = None
    created_at: dt.datetime
    updated_at: dt.datetime


class AllergyIn(Schema):
    substance: str | None = Field(None, min_length=1, max_length=200)
    ingredient: int | None = None
    reaction: str = Field("", max_length=200)
    severity: AllergySeverity = AllergySeverity.UNKNOWN


class MedicationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    drug_class: DrugClass


class MedicationOut(Schema):
    id: int
    name: str
    drug_class: str
    is_active: bool
    recorded_at: dt.datetime


class ConditionIn(Schema):
    code: ConditionCode
    body_area: str = Field("", max_length=64)
    note: str = Field("", max_length=255)


class ConditionOut(Schema):
    id: int
    code: str
    body_area: str
    note: str
    is_active: bool
    recorded_at: dt.datetime


class ConsentIn(Schema):
    kind: ConsentKind
    version: str = Field(min_length=1, max_length=32)
    signed_on: dt.date
    indication: str | None = Field(None, max_length=64)
    photo_use: PhotoUse | None = None
    signed_by: str | None = Field(None, max_length=200)
    signature: str | None = Field(None, max_length=200_000, description="SVG or PNG data URL")


class ConsentOut(Schema):
    id: int
    kind: str
    version: str
    signed_on: dt.date
    indication: str
    photo_use: str
    signed_by: str
    has_signature: bool
    withdrawn_on: dt.date | None
    recorded_at: dt.datetime


class WeightIn(Schema):
    kg: Decimal = Field(gt=0, le=400, max_digits=5, decimal_places=1)
    measured_on: dt.date
