"""On PostgreSQL the bulk export builds the JSON of the large types in the database
(`mesocare.fhir.sqljson`). The Python mappers stay the reference: for every resource of the demo
clinic and of a clinic with every record kind, plus awkward values (NULLs, empty strings,
unicode, quotes, backslashes, ``%``, control characters, DST-boundary and whole-second times,
decimals such as 0.10), the database's line is byte for byte the mapper's (so ``meta.versionId``
is the same too), and the SQL stays within the organization and the patients asked for."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import orjson
import pytest
from django.db import connection
from fhir_helpers import populate, validate  # type: ignore[import-not-found]
from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.clinics.models import Organization
from mesocare.demo.data import load_demo
from mesocare.fhir import sqljson
from mesocare.fhir.registry import MappingContext, resource_types

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the in-database path is PostgreSQL's"
    ),
]


def ported() -> list[Any]:
    return [t for t in resource_types() if any(s.sql is not None for s in t.sources)]


def _both(org_id: int, **scope: Any) -> dict[str, tuple[list[bytes], list[bytes]]]:
    ctx = MappingContext.for_org(org_id)
    out = {}
    for rtype in ported():
        in_db = list(rtype.iter_encoded(ctx, in_database=True, **scope))
        mapped = list(rtype.iter_encoded(ctx, in_database=False, **scope))
        out[rtype.name] = (in_db, mapped)
    return out


def _assert_same(org_id: int, **scope: Any) -> dict[str, int]:
    counts = {}
    for name, (in_db, mapped) in _both(org_id, **scope).items():
        assert len(in_db) == len(mapped), name
        for built, reference in zip(in_db, mapped, strict=True):
            # Same bytes, so the same meta.versionId.
            assert built == reference, (name, built, reference)
        counts[name] = len(in_db)
        for line in in_db:
            validate(orjson.loads(line))
    return counts


def test_the_demo_clinic_is_built_the_same_in_the_database(
    monkeypatch: Any, tmp_path: Any, settings: Any
) -> None:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    load_demo()
    for org in Organization.objects.all():
        counts = _assert_same(org.pk)
        assert sum(counts.values()) > 0
    assert counts["Patient"] > 0


def _awkward(clinic: Any) -> None:
    """Every record kind, then values that are easy to get wrong in SQL."""
    from mesocare.charting.models import TreatmentSession
    from mesocare.patients.models import Allergy, Condition, Medication, Patient, Weight
    from mesocare.scheduling.models import Appointment

    populate(clinic)
    populate(clinic, n=3)
    org, patient = clinic.org, clinic.patient
    odd = 'Zoë "la" O\'Brien \\ 100%% \u00e9\u4e2d\U0001f600\t\n\x01'
    Patient.objects.filter(pk=patient.pk).update(
        given_name=odd, family_name="d'Àrc\\", phone="", email="zoe@example.org", address=odd
    )
    other = Patient.objects.filter(organization=org).exclude(pk=patient.pk).first()
    if other is not None:
        Patient.objects.filter(pk=other.pk).update(phone="+39 02 1234", email="", address="")
    # A DST change (Europe/Rome, 2026-03-29 01:00 UTC), whole seconds and microseconds.
    dst = dt.datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=dt.UTC)
    common = {"organization": org, "patient": patient}
    Condition.objects.create(**common, code="keloid", body_area=odd, note=odd)
    Condition.objects.create(**common, code="not-a-listed-code", body_area="", note="")
    Medication.objects.create(**common, name=odd, drug_class="anticoagulant", is_active=False)
    Allergy.objects.create(**common, substance=odd, reaction=odd, severity="anaphylaxis")
    Allergy.objects.create(**common, substance="Latex", reaction="", severity="unknown")
    Weight.objects.create(**common, kg=Decimal("0.1"), measured_on=dt.date(2026, 3, 29))
    Weight.objects.create(**common, kg=Decimal("70.0"), measured_on=dt.date(1999, 12, 31))
    Condition.objects.filter(organization=org).update(recorded_at=dst)
    Medication.objects.filter(organization=org).update(
        recorded_at=dst.replace(microsecond=0) + dt.timedelta(seconds=1)
    )
    Appointment.objects.filter(organization=org).update(notes=odd, cancel_reason=odd)
    first = Appointment.objects.filter(organization=org).order_by("pk").first()
    assert first is not None
    Appointment.objects.filter(pk=first.pk).update(
        start=dst, end=dst + dt.timedelta(minutes=45, seconds=30), notes="", cancel_reason=""
    )
    TreatmentSession.objects.filter(organization=org).update(started_at=dst)


def _awkward_injections(clinic: Any) -> None:
    """Doses that round half to even (0.0005 mg → 0, 0.0015 mg → 0.002, 0.0045 mg → 0.004) of
    ingredients with quotes, backslashes and ``%`` in their names and strengths in mg/mL, % and
    mcg/mL; a subcutaneous depth; a technique with no label; two injections in one zone."""
    from mesocare.catalog.models import Ingredient, ProductIngredient
    from mesocare.charting.models import CocktailComponent, InjectionRecord

    component = CocktailComponent.objects.filter(organization=clinic.org).order_by("pk").first()
    assert component is not None
    product = component.lot.product
    strengths = [("0.1", "mg/mL"), ("0.03", "%"), ("1.5", "mcg/mL")]
    for n, (concentration, unit) in enumerate(strengths):
        ingredient = Ingredient.objects.create(
            code=f"odd-{n}", name=f'Odd "{n}" \\ {unit}', kind="drug"
        )
        ProductIngredient.objects.create(
            product=product, ingredient=ingredient, concentration=Decimal(concentration), unit=unit
        )
    # The session is signed: its models refuse changes, so the fixture writes SQL and
    # bulk_create (no save()).
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {CocktailComponent._meta.db_table} SET volume_ml = 0.005 WHERE id = %s",
            [component.pk],
        )
    first = component.injection
    [second] = InjectionRecord.objects.bulk_create(
        [
            InjectionRecord(
                organization=clinic.org,
                session=first.session,
                n=first.n + 1,
                zone=first.zone,
                technique="no-such-kind",
                depth_mm=Decimal("6.5"),
                points=1,
                total_volume_ml=Decimal("0.015"),
                created_by=first.created_by,
            )
        ]
    )
    CocktailComponent.objects.bulk_create(
        [
            CocktailComponent(
                organization=clinic.org,
                injection=second,
                lot=component.lot,
                volume_ml=Decimal("0.015"),
            )
        ]
    )


def test_every_record_kind_and_awkward_values_are_built_the_same(clinic: Any) -> None:
    _awkward(clinic)
    _awkward_injections(clinic)
    counts = _assert_same(clinic.org.pk)
    for name, count in counts.items():
        assert count > 0, name


def test_since_and_patient_scope_are_the_same_and_stay_in_the_organization(
    clinic: Any, other_clinic: Any
) -> None:
    _awkward(clinic)
    populate(other_clinic)
    since = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    _assert_same(clinic.org.pk, since=since)
    _assert_same(clinic.org.pk, patient_ids=[clinic.patient.pk])
    ctx = MappingContext.for_org(clinic.org.pk)
    for rtype in ported():
        lines = [orjson.loads(line) for line in rtype.iter_encoded(ctx, in_database=True)]
        assert lines, rtype.name
        assert not [r for r in lines if _patient_of(r) == str(other_clinic.patient.pk)]
        mine = rtype.iter_encoded(ctx, in_database=True, patient_ids=[clinic.patient.pk])
        if rtype.name != "Provenance":  # it names the Procedure, not the patient
            assert {_patient_of(orjson.loads(line)) for line in mine} == {str(clinic.patient.pk)}


def _patient_of(resource: dict[str, Any]) -> str | None:
    if resource["resourceType"] == "Patient":
        return str(resource["id"])
    for key in ("patient", "subject"):
        if key in resource:
            return str(resource[key]["reference"]).removeprefix("Patient/")
    text = orjson.dumps(resource).decode()
    return text.split('"Patient/', 1)[1].split('"', 1)[0] if '"Patient/' in text else None


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(exclude_characters="\x00", exclude_categories=["Cs"])))
def test_a_string_is_escaped_as_the_mappers_serializer_escapes_it(value: str) -> None:
    built = sqljson.obj({"v": sqljson.string("%s::text"), "w": sqljson.const(value)})
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {built}", [value])
        text = cursor.fetchone()[0]
    assert text.encode() == orjson.dumps({"v": value, "w": value})


@settings(max_examples=60, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    st.decimals(min_value=0, max_value=9999, places=3),
)
def test_times_and_decimals_are_written_as_the_mapper_writes_them(
    moment: dt.datetime, amount: Decimal
) -> None:
    from mesocare.fhir.resources.common import number

    built = sqljson.obj(
        {
            "t": sqljson.instant("%(t)s::timestamptz"),
            "n": sqljson.number("%(n)s::numeric(7,3)"),
            "d": sqljson.day("%(t)s::date"),
        }
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {built}", {"t": moment, "n": amount})
        text = cursor.fetchone()[0]
    expected = {"t": moment.isoformat(), "n": number(amount), "d": moment.date().isoformat()}
    assert text.encode() == orjson.dumps(expected)


def test_procedure_notes_and_every_pain_value_are_built_the_same(clinic: Any) -> None:
    """The note of each combination of notes and pain; the pain notes are looked up by the
    column's text, so every value the column may hold (0.0 to 10.0) has its note."""
    from mesocare.charting.models import TreatmentSession
    from mesocare.fhir.registry import get_type
    from mesocare.fhir.resources.procedure import _pain_notes

    _awkward(clinic)
    sessions = list(
        TreatmentSession.objects.filter(organization=clinic.org, signed_at__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    procedure = get_type("Procedure")
    assert procedure is not None and len(sessions) >= 2
    ctx = MappingContext.for_org(clinic.org.pk)
    combinations = [("", None), ("Tolerated well", "0.0"), ("", "10.0"), ('a\\"b', None)]
    with connection.cursor() as cursor:
        for start in range(0, len(combinations), 2):
            for pk, (notes, pain) in zip(sessions, combinations[start : start + 2], strict=False):
                cursor.execute(
                    f"UPDATE {TreatmentSession._meta.db_table} SET notes = %s, pain_vas = %s "
                    "WHERE id = %s",
                    [notes, pain, pk],
                )
            built = list(procedure.iter_encoded(ctx, in_database=True))
            assert built == list(procedure.iter_encoded(ctx, in_database=False))
        cursor.execute("SELECT (n / 10.0)::numeric(3, 1)::text FROM generate_series(0, 100) n")
        values = {row[0] for row in cursor.fetchall()}
    assert set(_pain_notes()) == values


def test_rows_are_gathered_in_blocks_of_block_lines_in_order(clinic: Any, monkeypatch: Any) -> None:
    """The copy's rows come one by one; Python gathers them in blocks of BLOCK_LINES (here 2):
    every block full but the last, its count its number of lines, the lines the mapper's."""
    from mesocare.fhir import sqllines

    _awkward(clinic)
    monkeypatch.setattr(sqllines, "BLOCK_LINES", 2)
    ctx = MappingContext.for_org(clinic.org.pk)
    for rtype in ported():
        blocks = list(rtype.iter_blocks(ctx, in_database=True))
        counts = [count for count, _block in blocks]
        assert counts and all(count <= 2 for count in counts), (rtype.name, counts)
        lines = [line for count, block in blocks for line in block.split(b"\n")]
        assert len(lines) == sum(counts)
        assert lines == list(rtype.iter_encoded(ctx, in_database=False)), rtype.name
        for source in rtype.sources:
            if source.sql is not None:
                counts = [count for count, _block in source.blocks_in_database(ctx)]
                assert all(count == 2 for count in counts[:-1]), (rtype.name, counts)


def test_body_sites_are_each_zone_once_in_the_order_first_injected(clinic: Any) -> None:
    """A session's injections read once for extensions and body sites: a zone injected again
    later is listed once, where it was first injected, whatever the zones' own order."""
    from mesocare.catalog.models import Zone
    from mesocare.charting.models import InjectionRecord, TreatmentSession
    from mesocare.fhir.registry import get_type

    populate(clinic)
    session = (
        TreatmentSession.objects.filter(organization=clinic.org, signed_at__isnull=False)
        .order_by("pk")
        .first()
    )
    assert session is not None
    last = InjectionRecord.objects.filter(session=session).order_by("-n").first()
    assert last is not None
    z1, z2, z3 = Zone.objects.order_by("-code")[:3]
    InjectionRecord.objects.bulk_create(
        InjectionRecord(
            organization=clinic.org,
            session=session,
            n=last.n + k,
            zone=zone,
            technique=last.technique,
            depth_mm=Decimal("1.5"),
            points=3,
            total_volume_ml=Decimal("0.5"),
            created_by=last.created_by,
        )
        for k, zone in enumerate([z2, z1, z2, z3, z1], start=1)
    )
    procedure = get_type("Procedure")
    assert procedure is not None
    ctx = MappingContext.for_org(clinic.org.pk)
    built = list(procedure.iter_encoded(ctx, in_database=True))
    assert built == list(procedure.iter_encoded(ctx, in_database=False))
    [mine] = [r for r in map(orjson.loads, built) if r["id"] == str(session.pk)]
    codes = [site["coding"][0]["code"] for site in mine["bodySite"]]
    zones = InjectionRecord.objects.filter(session=session).order_by("n")
    expected = list(dict.fromkeys(zones.values_list("zone_id", flat=True)))
    assert codes == expected
    assert expected[-3:] == [z.code for z in (z2, z1, z3)] or last.zone_id in (z1.code, z2.code)
    assert len(mine["extension"]) == InjectionRecord.objects.filter(session=session).count()


def test_a_session_outside_any_course_is_built_without_based_on(clinic: Any) -> None:
    """A signed session charted without a planned session or a course's appointment: the
    mapper leaves ``basedOn`` out, and so must the database (a NULL member once made the whole
    line NULL)."""
    from mesocare.charting.models import TreatmentSession
    from mesocare.fhir.registry import get_type

    populate(clinic)
    session = (
        TreatmentSession.objects.filter(organization=clinic.org, signed_at__isnull=False)
        .order_by("pk")
        .first()
    )
    assert session is not None
    with connection.cursor() as cursor:  # signed: its model refuses changes
        cursor.execute(
            f"UPDATE {TreatmentSession._meta.db_table} "
            "SET planned_session_id = NULL, appointment_id = NULL WHERE id = %s",
            [session.pk],
        )
    procedure = get_type("Procedure")
    assert procedure is not None
    ctx = MappingContext.for_org(clinic.org.pk)
    built = list(procedure.iter_encoded(ctx, in_database=True))
    assert built == list(procedure.iter_encoded(ctx, in_database=False))
    [mine] = [r for r in map(orjson.loads, built) if r["id"] == str(session.pk)]
    assert "basedOn" not in mine
    validate(mine)
