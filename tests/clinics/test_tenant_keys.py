"""On PostgreSQL a row cannot point into another organization, and future migrations keep the
keys composite: the schema editor of `mesocare.lib.db.postgresql` creates a new tenant model's
primary key, unique fields and foreign keys with organization_id, and finds them again when a
field is altered or removed."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, models, transaction
from django.test.utils import isolate_apps

from mesocare.clinics.distribution import describe
from mesocare.clinics.models import Location, Organization, Room
from mesocare.core.distribution import violations
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

PROBE = "clinics_tenantkeyprobe"


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("composite keys are PostgreSQL's (SQLite is never distributed)")


def _check_now() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_a_room_cannot_be_moved_to_another_organizations_location(clinic, other_clinic):
    _needs_postgresql()
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.filter(pk=clinic.room.pk).update(location_id=other_clinic.location.pk)
        _check_now()
    Room.objects.filter(pk=clinic.room.pk).update(location_id=clinic.location.pk)
    _check_now()  # within one organization the key holds


def test_the_same_token_hash_is_refused_within_one_organization(clinic):
    _needs_postgresql()
    from mesocare.accounts.models import ApiToken

    token, _raw = ApiToken.issue(clinic.members["admin"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiToken.objects.create(
            organization=clinic.org,
            membership=clinic.members["reception"],
            token_hash=token.token_hash,
        )


def _probe_breaks() -> list[str]:
    return [v for v in violations(describe(connection)) if v.startswith(f"{PROBE}:")]


@isolate_apps("mesocare.clinics")
def test_a_new_tenant_model_gets_composite_keys_that_survive_later_migrations(clinic, other_clinic):
    _needs_postgresql()

    class TenantKeyProbe(models.Model):  # noqa: DJ008
        organization = models.ForeignKey(Organization, models.CASCADE, related_name="+")
        patient = models.ForeignKey(Patient, models.CASCADE, related_name="+")
        code = models.CharField(max_length=20, unique=True)

        class Meta:
            app_label = "clinics"
            db_table = PROBE

    with connection.schema_editor() as editor:
        editor.create_model(TenantKeyProbe)
    assert _probe_breaks() == []

    location = models.ForeignKey(Location, models.CASCADE, null=True, related_name="+")
    location.set_attributes_from_name("location")
    with connection.schema_editor() as editor:
        editor.add_field(TenantKeyProbe, location)
    assert _probe_breaks() == []

    # A later migration alters the patient key (made nullable) and the code (no longer unique).
    old_patient = TenantKeyProbe._meta.get_field("patient")
    new_patient = models.ForeignKey(Patient, models.CASCADE, null=True, related_name="+")
    new_patient.set_attributes_from_name("patient")
    new_patient.model = TenantKeyProbe
    old_code = TenantKeyProbe._meta.get_field("code")
    new_code = models.CharField(max_length=40)
    new_code.set_attributes_from_name("code")
    with connection.schema_editor() as editor:
        editor.alter_field(TenantKeyProbe, old_patient, new_patient, strict=True)
        editor.alter_field(TenantKeyProbe, old_code, new_code, strict=True)
    assert _probe_breaks() == []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'u'",
            [PROBE],
        )
        assert cursor.fetchone()[0] == 0  # the widened unique key was found and dropped

    # The composite key refuses a patient of another organization.
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PROBE} (organization_id, patient_id, code) VALUES (%s, %s, 'x')",
            [clinic.org.pk, other_clinic.patient.pk],
        )
        _check_now()

    with connection.schema_editor() as editor:
        editor.remove_field(TenantKeyProbe, location)
        editor.delete_model(TenantKeyProbe)
