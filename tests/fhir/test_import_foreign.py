"""`mesocare fhir import` of another R4 server's export (extra fields, unknown codes, missing
optional references) and of bad input: what can be imported is, the rest is reported per line
with a reason, and a resource is imported whole or not at all."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from PIL import Image

from mesocare.accounts.models import User
from mesocare.charting.models import InjectionRecord, TreatmentSession
from mesocare.clinics.models import Membership
from mesocare.fhir.importer.bulk_import import import_export
from mesocare.imports.models import ImportedRecord
from mesocare.notify.models import OutboxMessage
from mesocare.notify.rendering import render_message
from mesocare.outcomes.models import Photo
from mesocare.patients.models import Allergy, Patient, Weight
from mesocare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db
LOINC = "http://loinc.org"


def write(directory: Path, resources: list[Any]) -> None:
    """One ndjson file per type, as a Bulk Data server writes them (strings: raw lines)."""
    directory.mkdir(exist_ok=True)
    files: dict[str, list[str]] = {}
    for resource in resources:
        if isinstance(resource, str):
            files.setdefault("Broken", []).append(resource)
        else:
            files.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    for type_name, lines in files.items():
        (directory / f"{type_name}.ndjson").write_text("\n".join(lines) + "\n")


def reasons(report: Any) -> dict[str, str]:
    return {row.external_id: "; ".join(row.reasons) for row in report.skipped}


ADA = {
    "resourceType": "Patient",
    "id": "pat-1",
    "meta": {"versionId": "3", "lastUpdated": "2025-03-01T09:00:00.000+01:00", "source": "#x"},
    "text": {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">Ada</div>'},
    "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.9.4.3.2", "value": "NVOADA80B43F205X"}],
    "name": [{"family": "Nuova", "given": ["Ada"]}],
    "gender": "female",
    "birthDate": "1980-02-03",
    "telecom": [{"system": "phone", "value": "+39 333 1234567", "use": "mobile"}],
}
DOCTOR = {
    "resourceType": "Practitioner",
    "id": "doc-9",
    "name": [{"family": "Bianchi", "given": ["Marco"], "prefix": ["Dr"]}],
    "telecom": [{"system": "email", "value": "marco.bianchi@example.org"}],
    "qualification": [{"code": {"text": "MD"}}],
}
SITE = {
    "resourceType": "Location",
    "id": "loc-1",
    "name": "Sede Torino",
    "address": {"line": ["Via Roma 1"], "city": "Torino"},
    "physicalType": {"coding": [{"code": "bu"}]},
}


def weight(obs_id: str, patient: str, code: str = "29463-7") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": obs_id,
        "status": "final",
        "code": {
            "coding": [
                {"system": LOINC, "code": code},
                {"system": "http://snomed.info/sct", "code": "27113001"},
            ]
        },
        "subject": {"reference": f"Patient/{patient}"},
        "effectiveDateTime": "2025-03-01T10:05:00+01:00",
        "valueQuantity": {"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org"},
        "device": {"display": "scale"},
    }


def test_a_foreign_servers_export_imports_what_it_can_and_says_why_not(
    clinic: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "hapi"
    write(
        directory,
        [
            ADA,
            DOCTOR,
            {"resourceType": "Practitioner", "id": "doc-10", "name": [{"family": "Verdi"}]},
            SITE,
            weight("obs-1", "pat-1"),
            weight("obs-2", "pat-1", code="8867-4"),
            weight("obs-3", "nobody"),
            {
                "resourceType": "Encounter",
                "id": "enc-1",
                "status": "finished",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "AMB",
                },
                "subject": {"reference": "Patient/pat-1"},
                "participant": [{"individual": {"reference": "Practitioner/doc-9"}}],
                "period": {
                    "start": "2025-03-01T10:00:00+01:00",
                    "end": "2025-03-01T10:30:00+01:00",
                },
                "location": [{"location": {"reference": "Location/loc-1"}}],
            },
            {
                "resourceType": "Appointment",
                "id": "app-1",
                "status": "proposed",
                "start": "2025-04-01T10:00:00+02:00",
                "end": "2025-04-01T10:30:00+02:00",
                "participant": [
                    {"actor": {"reference": "Patient/pat-1"}, "status": "needs-action"}
                ],
            },
            {
                "resourceType": "Communication",
                "id": "msg-1",
                "status": "in-progress",
                "subject": {"reference": "Patient/pat-1"},
            },
        ],
    )
    report = import_export(clinic.actor(), directory, source="hapi")

    why = reasons(report)
    assert why == {
        "Practitioner/doc-10": "the practitioner has no email (mesocare's staff sign in with one)",
        "Observation/obs-2": "the observation '8867-4' is not one mesocare records",
        "Observation/obs-3": "Patient/nobody is not in the export",
        "Appointment/app-1": "the appointment status 'proposed' is not one mesocare has",
        "Communication/msg-1": "the message was not sent (status 'in-progress')",
    }
    assert report.counts["created"] == 5  # Ada, Dr Bianchi, the site, the weight, the visit
    ada = Patient.objects.for_org(clinic.org).get(family_name="Nuova")
    assert Weight.objects.get(patient=ada).kg == pytest.approx(72.5)
    doctor = Membership.objects.for_org(clinic.org).get(user__email="marco.bianchi@example.org")
    assert doctor.user.full_name == "Dr Marco Bianchi" or "Bianchi" in doctor.user.full_name
    assert not doctor.user.is_active and not doctor.user.has_usable_password()
    session = TreatmentSession.objects.for_org(clinic.org).get(patient=ada)
    assert session.signed_at is not None and session.appointment_id is None
    assert session.location.name == "Sede Torino"
    # A visit signed elsewhere long ago sends no aftercare now.
    assert not OutboxMessage.objects.filter(patient=ada).exists()

    again = import_export(clinic.actor(), directory, source="hapi")
    assert again.counts["created"] == 0 and again.counts["unchanged"] == 5
    assert reasons(again) == why


def test_bad_input_is_reported_and_nothing_is_half_imported(
    clinic: Any, other_clinic: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "bad"
    injection = {
        "url": "https://elsewhere.example/fhir/StructureDefinition/injection",
        "extension": [
            {"url": "zone", "valueCoding": {"system": "x/CodeSystem/zone", "code": "forehead"}},
            {
                "url": "technique",
                "valueCoding": {"system": "x/CodeSystem/technique", "code": "nappage"},
            },
            {"url": "depth", "valueQuantity": {"value": 2, "unit": "mm"}},
            {"url": "points", "valuePositiveInt": 10},
            {"url": "volume", "valueQuantity": {"value": 1, "unit": "mL"}},
        ],
    }
    nowhere = json.loads(json.dumps(injection))
    nowhere["extension"][0]["valueCoding"]["code"] = "the-moon"
    write(
        directory,
        [
            "{not json",
            '["a list"]',
            ADA,
            DOCTOR,
            SITE,
            {"resourceType": "Device", "id": "d-1"},
            {
                "resourceType": "AllergyIntolerance",
                "id": "al-1",
                "patient": {"reference": f"Patient/{other_clinic.patient.pk}"},
                "code": {"text": "Nickel"},
            },
            {
                "resourceType": "Encounter",
                "id": "enc-1",
                "status": "finished",
                "class": {"code": "AMB"},
                "subject": {"reference": "Patient/pat-1"},
                "participant": [{"individual": {"reference": "Practitioner/doc-9"}}],
                "period": {
                    "start": "2025-03-01T10:00:00+01:00",
                    "end": "2025-03-01T10:30:00+01:00",
                },
                "location": [{"location": {"reference": "Location/loc-1"}}],
            },
            {
                "resourceType": "Procedure",
                "id": "enc-1",
                "extension": [injection, nowhere],
                "status": "completed",
                "subject": {"reference": "Patient/pat-1"},
                "encounter": {"reference": "Encounter/enc-1"},
            },
            {
                "resourceType": "MedicationAdministration",
                "id": "ma-1",
                "status": "completed",
                "partOf": [{"reference": "Procedure/enc-1"}],
                "medicationCodeableConcept": {"text": "Saline"},
                "subject": {"reference": "Patient/pat-1"},
                "effectiveDateTime": "2025-03-01T10:10:00+01:00",
            },
        ],
    )
    report = import_export(clinic.actor(), directory, source="bad")

    why = reasons(report)
    assert why["Broken.ndjson:1"] == "the line is not JSON"
    assert why["Broken.ndjson:2"] == "the line is not a FHIR resource"
    assert why["Device/d-1"].startswith("Device is not imported")
    # Another organization's patient id is not in this export: it resolves to nothing.
    assert why["AllergyIntolerance/al-1"].startswith(
        f"Patient/{other_clinic.patient.pk} is not in the export"
    )
    assert not Allergy.objects.filter(patient=other_clinic.patient, substance="Nickel").exists()
    # One injection in an unknown zone: the whole procedure is refused, not half of it.
    assert why["Procedure/enc-1"] == "the zone 'the-moon' is not one mesocare charts"
    assert not InjectionRecord.objects.for_org(clinic.org).exists()
    assert why["MedicationAdministration/ma-1"] == "Procedure/enc-1 was skipped"
    assert set(why) == {
        "Broken.ndjson:1", "Broken.ndjson:2", "Device/d-1", "AllergyIntolerance/al-1",
        "Procedure/enc-1", "MedicationAdministration/ma-1",
    }  # fmt: skip
    links = ImportedRecord.objects.for_org(clinic.org).filter(source="bad")
    assert sorted(links.values_list("kind", flat=True)) == [
        "encounter", "location", "patients", "practitioner",
    ]  # fmt: skip


def test_a_dry_run_reports_and_changes_nothing(clinic: Any, tmp_path: Path) -> None:
    directory = tmp_path / "dry"
    write(directory, [ADA, DOCTOR, SITE, weight("obs-1", "pat-1")])
    users, appointments = User.objects.count(), Appointment.objects.count()
    report = import_export(clinic.actor(), directory, source="dry", dry_run=True)
    assert report.counts["created"] == 4
    assert not Patient.objects.filter(family_name="Nuova").exists()
    assert (User.objects.count(), Appointment.objects.count()) == (users, appointments)
    assert not ImportedRecord.objects.filter(source="dry").exists()


def test_a_photo_is_imported_only_with_its_image_in_the_file(
    clinic: Any, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 150, 120)).save(image, "JPEG")
    photo = {
        "resourceType": "Media",
        "status": "completed",
        "subject": {"reference": "Patient/pat-1"},
        "view": {"text": "Left 45°"},
        "createdDateTime": "2025-03-01T10:20:00+01:00",
        "bodySite": {"text": "forehead"},
    }
    write(
        tmp_path / "media",
        [
            ADA,
            {
                **photo,
                "id": "m-1",
                "content": {"data": base64.b64encode(image.getvalue()).decode()},
            },
            {**photo, "id": "m-2", "content": {"url": "https://elsewhere.example/photos/2"}},
        ],
    )
    report = import_export(clinic.actor(), tmp_path / "media", source="media")

    link_only = "the photo's image is not in the export (only a link to the server it came from)"
    assert reasons(report) == {"Media/m-2": link_only}
    stored = Photo.objects.for_org(clinic.org).get(patient__family_name="Nuova")
    assert (stored.view, stored.body_zone, stored.width, stored.height) == (
        "left_45",
        "forehead",
        64,
        48,
    )
    assert stored.taken_at.isoformat() == "2025-03-01T09:20:00+00:00"


def test_a_message_sent_elsewhere_is_kept_as_sent_and_can_be_previewed(
    clinic: Any, tmp_path: Path
) -> None:
    sent = {
        "resourceType": "Communication",
        "id": "msg-2",
        "status": "completed",
        "medium": [{"text": "SMS"}],
        "subject": {"reference": "Patient/pat-1"},
        "topic": {"text": "Reminder"},
        "sent": "2025-03-01T08:00:00+01:00",
    }
    write(tmp_path / "sent", [ADA, sent])
    report = import_export(clinic.actor(), tmp_path / "sent", source="sms")

    assert report.counts["created"] == 2, report.skipped
    message = OutboxMessage.objects.for_org(clinic.org).get(patient__family_name="Nuova")
    assert (message.status, message.kind, message.channel) == ("sent", "reminder", "sms")
    assert (
        message.sent_at is not None and message.sent_at.isoformat() == "2025-03-01T07:00:00+00:00"
    )
    assert render_message(message).sms  # the staff page's preview renders it


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the no-overlap constraints are PostgreSQL's"
)
def test_a_double_booking_the_database_refuses_is_skipped_with_the_reason(
    clinic: Any, tmp_path: Path
) -> None:
    bea = {**ADA, "id": "pat-2", "name": [{"family": "Seconda", "given": ["Bea"]}]}

    def booking(app_id: str, patient: str) -> dict[str, Any]:
        return {
            "resourceType": "Appointment",
            "id": app_id,
            "status": "booked",
            "start": "2030-04-01T10:00:00+02:00",
            "end": "2030-04-01T10:30:00+02:00",
            "participant": [
                {"actor": {"reference": f"Patient/{patient}"}, "status": "accepted"},
                {"actor": {"reference": "Practitioner/doc-9"}, "status": "accepted"},
                {"actor": {"reference": "Location/loc-1"}, "status": "accepted"},
            ],
        }

    write(
        tmp_path / "double",
        [ADA, bea, DOCTOR, SITE, booking("a-1", "pat-1"), booking("a-2", "pat-2")],
    )
    report = import_export(clinic.actor(), tmp_path / "double", source="double")

    assert reasons(report) == {
        "Appointment/a-2": "the practitioner has another booking at that time"
    }
    assert Appointment.objects.for_org(clinic.org).filter(start__year=2030).count() == 1
