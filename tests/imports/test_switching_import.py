"""Switching import (docs/switching.md): patients with their history, future appointments and
stock lots from another system's CSV files, validated row by row, one transaction per file,
idempotent by external id, patients matched against those already on file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Product
from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.errors import Forbidden, Invalid
from mesocare.imports.csvfile import read_table
from mesocare.imports.models import ImportedRecord
from mesocare.imports.services import import_table
from mesocare.imports.specs import guess_mapping
from mesocare.inventory.models import ProductLot
from mesocare.patients.models import Allergy, Condition, Medication, Patient
from mesocare.scheduling.models import Appointment

PATIENTS = (
    "ID;Nome;Cognome;Data di nascita;Sesso;Email;Cellulare;Allergie;Farmaci;Patologie\n"
    "p1;Anna;Bianchi;12/03/1985;F;anna@example.com;+39 333 765 4321;"
    "Lidocaine: severe;Warfarin: anticoagulant;Diabetes\n"
    "p2;Marco;Verdi;1979-11-02;M;;+39 347 000 1111;;;\n"
    "p3;Senza;Data;;F;;;;;\n"
    "p4;Luca;Neri;1990-01-01;Z;;;;;\n"
    "p5;Chiara;Blu;1992-02-02;F;;;;;Lupus\n"
    ";Nessun;Id;1992-02-02;F;;;;;\n"
    "p6;Giulia;Rossi;17.05.1990;F;;;Nickel;;Keloid scarring\n"
)


def table(text: str, encoding: str = "utf-8") -> Any:
    return read_table(text.encode(encoding), "auto" if encoding == "utf-8" else encoding)


def run(clinic: Any, kind: str, text: str, dry_run: bool = False, role: str = "admin") -> Any:
    t = table(text)
    return import_table(
        clinic.actor(role),
        kind=kind,
        source="OldClinic",
        table=t,
        mapping=guess_mapping(kind, t.headers),
        dry_run=dry_run,
    )


def test_the_column_mapping_is_guessed_from_italian_headers() -> None:
    t = table(PATIENTS)
    mapping = guess_mapping("patients", t.headers)
    assert mapping["given_name"] == "Nome"
    assert mapping["birth_date"] == "Data di nascita"
    assert mapping["allergies"] == "Allergie"
    assert mapping["external_id"] == "ID"
    assert t.delimiter == ";"


def test_patients_are_imported_with_history_and_bad_rows_reported(clinic: Any) -> None:
    report = run(clinic, "patients", PATIENTS)
    assert report.counts == {"created": 2, "matched": 1, "unchanged": 0, "skipped": 4}
    anna = Patient.objects.for_org(clinic.org).get(family_name="Bianchi")
    assert anna.birth_date == dt.date(1985, 3, 12) and anna.sex_at_birth == "female"
    allergy = Allergy.objects.get(patient=anna)
    assert (allergy.substance, allergy.severity) == ("Lidocaine", "severe")
    assert Medication.objects.get(patient=anna).drug_class == "anticoagulant"
    assert Condition.objects.get(patient=anna).code == "diabetes"
    marco = Patient.objects.for_org(clinic.org).get(family_name="Verdi")
    assert marco.preferred_channel == "sms"
    skipped = {row.line: " ".join(row.reasons) for row in report.skipped}
    assert "Birth date" in skipped[4]
    assert "'Z'" in skipped[5]
    assert "Lupus" in skipped[6]
    assert "external id" in skipped[7]
    assert not Patient.objects.filter(family_name__in=["Data", "Neri", "Blu", "Id"]).exists()


def test_a_patient_already_on_file_is_linked_not_duplicated(clinic: Any) -> None:
    report = run(clinic, "patients", PATIENTS)
    giulia = [row for row in report.rows if row.external_id == "p6"][0]
    assert giulia.status == "matched"
    assert Patient.objects.for_org(clinic.org).filter(family_name="Rossi").count() == 1
    link = ImportedRecord.objects.get(external_id="p6")
    assert link.object_id == clinic.patient.pk and link.matched_existing
    # The linked patient's chart gains what it lacked.
    assert Allergy.objects.filter(patient=clinic.patient, substance="Nickel").exists()
    assert Condition.objects.filter(patient=clinic.patient, code="keloid_scarring").exists()


def test_the_same_person_is_matched_by_phone_when_the_name_is_spelled_differently(
    clinic: Any,
) -> None:
    report = run(
        clinic,
        "patients",
        "id,given name,family name,birth date,sex,phone\nx1,Giulietta,Rossi-Bruni,1990-05-17,F,"
        "333 1234567\n",
    )
    assert report.rows[0].status == "matched"
    assert Patient.objects.for_org(clinic.org).count() == 1


def test_a_second_run_changes_nothing(clinic: Any) -> None:
    run(clinic, "patients", PATIENTS)
    counts = (Patient.objects.count(), Allergy.objects.count(), Medication.objects.count())
    events = AuditEvent.objects.exclude(summary__startswith="switching import").count()
    report = run(clinic, "patients", PATIENTS)
    assert report.counts == {"created": 0, "matched": 0, "unchanged": 3, "skipped": 4}
    assert (Patient.objects.count(), Allergy.objects.count(), Medication.objects.count()) == counts
    assert AuditEvent.objects.exclude(summary__startswith="switching import").count() == events


def test_a_dry_run_reports_exactly_what_the_import_does_and_changes_nothing(clinic: Any) -> None:
    before = (Patient.objects.count(), AuditEvent.objects.count(), ImportedRecord.objects.count())
    dry = run(clinic, "patients", PATIENTS, dry_run=True)
    assert (
        Patient.objects.count(),
        AuditEvent.objects.count(),
        ImportedRecord.objects.count(),
    ) == before
    real = run(clinic, "patients", PATIENTS)
    assert [(r.line, r.status) for r in dry.rows] == [(r.line, r.status) for r in real.rows]


def test_an_unexpected_failure_leaves_nothing_half_imported(
    clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mesocare.imports import services

    calls = {"n": 0}
    original = services.register_patient

    def failing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(services, "register_patient", failing)
    before = (Patient.objects.count(), Allergy.objects.count(), ImportedRecord.objects.count())
    with pytest.raises(RuntimeError):
        run(clinic, "patients", PATIENTS)
    after = (Patient.objects.count(), Allergy.objects.count(), ImportedRecord.objects.count())
    assert after == before


def test_the_same_external_id_twice_in_one_file_is_reported(clinic: Any) -> None:
    report = run(
        clinic,
        "patients",
        "id,given name,family name,birth date,sex\n"
        "a,Ada,Uno,1980-01-01,F\na,Ada,Due,1980-01-01,F\n",
    )
    assert [r.status for r in report.rows] == ["created", "skipped"]
    assert "same external id" in report.rows[1].reasons[0]


def test_only_an_admin_imports(clinic: Any) -> None:
    with pytest.raises(Forbidden):
        run(clinic, "patients", PATIENTS, role="reception")
    assert not ImportedRecord.objects.exists()


def test_a_required_field_without_a_column_is_refused_before_anything_runs(clinic: Any) -> None:
    t = table("id,name\n1,Ada\n")
    with pytest.raises(Invalid) as exc:
        import_table(
            clinic.actor(), kind="patients", source="X", table=t, mapping={"external_id": "id"}
        )
    fields = {e["field"] for e in exc.value.errors}
    assert {"given_name", "family_name", "birth_date", "sex_at_birth"} <= fields


def test_another_organizations_patient_is_never_matched(clinic: Any, other_clinic: Any) -> None:
    report = run(
        other_clinic,
        "patients",
        "id,given name,family name,birth date,sex\nr1,Giulia,Rossi,1990-05-17,F\n",
    )
    assert report.rows[0].status == "created"
    assert Patient.objects.for_org(other_clinic.org).filter(family_name="Rossi").count() == 1


# -- files --------------------------------------------------------------------------------


def test_a_windows_1252_file_is_refused_as_utf8_and_read_when_named() -> None:
    text = "id,given name,family name,birth date,sex\n1,Zoë,Müller,1980-01-01,F\n"
    with pytest.raises(Invalid) as exc:
        read_table(text.encode("cp1252"))
    assert "Windows-1252" in exc.value.message
    t = read_table(text.encode("cp1252"), "cp1252")
    assert t.rows[0][1:3] == ["Zoë", "Müller"]


def test_utf16_and_a_byte_order_mark_are_detected() -> None:
    text = "id,given name\n1,Zoë\n"
    assert read_table(text.encode("utf-16")).rows == [["1", "Zoë"]]
    assert read_table(b"\xef\xbb\xbf" + text.encode()).headers == ["id", "given name"]


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"id,name\n", "no data rows"),
        (b"id,,x\n1,2,3\n", "no name"),
        (b"id,id\n1,2\n", "same name"),
        (b'id,name\n1,"unterminated\n', "not valid CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "could not be read"),
    ],
)
def test_malformed_files_are_refused_with_a_clear_message(data: bytes, needle: str) -> None:
    with pytest.raises(Invalid) as exc:
        read_table(data)
    assert needle in exc.value.message
    assert exc.value.errors[0]["field"] == "file"


def test_an_oversized_file_is_refused_before_it_is_read(settings: Any) -> None:
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(Invalid) as exc:
        read_table(b"id,name\n" + b"1,x\n" * 50)
    assert "up to 100" in exc.value.message


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
            min_size=2,
            max_size=2,
        ),
        min_size=1,
        max_size=8,
    )
)
def test_any_text_either_reads_as_a_table_or_is_refused_with_a_message(
    rows: list[list[str]],
) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "name"])
    writer.writerows(rows)
    try:
        t = read_table(out.getvalue().encode())
    except Invalid as exc:
        assert exc.errors[0]["field"] == "file" and exc.message
    else:
        assert t.headers == ["id", "name"]
        assert all(len(r) == 2 for r in t.rows)


# -- appointments and stock ----------------------------------------------------------------


def _open(clinic: Any) -> None:
    for weekday in range(7):
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
        WorkingHours.objects.create(
            organization=clinic.org,
            membership=clinic.members["practitioner"],
            location=clinic.location,
            weekday=weekday,
            opens=dt.time(8),
            closes=dt.time(20),
        )


def test_future_appointments_are_booked_for_imported_patients(clinic: Any) -> None:
    _open(clinic)
    run(clinic, "patients", PATIENTS)
    day = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    text = (
        "id,patient,start,duration,practitioner,room\n"
        f"a1,p1,{day} 10:00,30,practitioner@alpha.test,Facial 1\n"
        f"a2,p2,{day} 10:15,30,practitioner@alpha.test,Facial 1\n"
        f"a3,p1,2001-01-01 10:00,30,practitioner@alpha.test,Facial 1\n"
        f"a4,zz,{day} 12:00,30,practitioner@alpha.test,Facial 1\n"
        f"a5,p2,{day} 12:00,30,nobody@alpha.test,Facial 1\n"
        f"a6,p2,{day} 12:00,30,practitioner@alpha.test,Nowhere\n"
    )
    report = run(clinic, "appointments", text)
    assert [r.status for r in report.rows] == ["created"] + ["skipped"] * 5
    appointment = Appointment.objects.get()
    assert appointment.start.astimezone(clinic.location.tz).hour == 10
    assert appointment.patient.family_name == "Bianchi"
    reasons = [" ".join(r.reasons) for r in report.rows[1:]]
    assert reasons[1].startswith("The appointment is in the past")
    assert "import the patients file first" in reasons[2]
    assert "nobody@alpha.test" in reasons[3] and "Nowhere" in reasons[4]
    assert run(clinic, "appointments", text).count("unchanged") == 1
    assert Appointment.objects.count() == 1


def test_stock_lots_are_received(clinic: Any) -> None:
    product = Product.objects.filter(organization__isnull=True).order_by("id").first()
    assert product is not None
    text = (
        "id,product,location,lot,expiry,quantity,supplier\n"
        f'l1,"{product.name}",{clinic.location.name},AB123,2028-06-30,"50,5",Acme\n'
        f"l2,Snake oil,{clinic.location.name},X1,2028-06-30,10,Acme\n"
        f'l3,"{product.name}",{clinic.location.name},X2,2028-06-30,-4,Acme\n'
    )
    report = run(clinic, "stock_lots", text)
    assert [r.status for r in report.rows] == ["created", "skipped", "skipped"]
    lot = ProductLot.objects.get()
    assert (lot.lot_number, lot.on_hand_ml, lot.supplier) == ("AB123", Decimal("50.5"), "Acme")
    run(clinic, "stock_lots", text)
    lot.refresh_from_db()
    assert lot.on_hand_ml == Decimal("50.5")
