"""`mesocare audit archive`: the events of past months go to a gzip JSON-lines file that reads
back equal, then leave the database (on PostgreSQL by dropping their partitions); nothing
younger is touched; a month inside the legal retention is refused; a dry run changes nothing;
the archive is audited. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from mesocare.audit import archive_file, partitions
from mesocare.audit.archive import RetentionError, archive
from mesocare.audit.models import AuditEvent
from mesocare.core.months import Month
from mesocare.lib.files import sha256_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)
OLD = [  # (organization, at): what --before 2020-01 archives
    ("alpha", dt.datetime(2019, 3, 5, 10, 0, tzinfo=dt.UTC)),
    ("alpha", dt.datetime(2019, 3, 31, 23, 59, 59, tzinfo=dt.UTC)),
    ("beta", dt.datetime(2019, 7, 14, 8, 30, tzinfo=dt.UTC)),
    ("alpha", dt.datetime(2019, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)),
]
KEPT = [  # on or after 2020-01-01 UTC
    ("alpha", dt.datetime(2020, 1, 1, 0, 0, tzinfo=dt.UTC)),
    ("beta", dt.datetime(2023, 6, 1, 12, 0, tzinfo=dt.UTC)),
    ("alpha", dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)),
]


@pytest.fixture
def events(clinic: Any, other_clinic: Any) -> dict[str, list[AuditEvent]]:
    orgs = {"alpha": clinic, "beta": other_clinic}
    made: dict[str, list[AuditEvent]] = {"old": [], "kept": []}
    for group, rows in (("old", OLD), ("kept", KEPT)):
        for i, (slug, at) in enumerate(rows):
            c = orgs[slug]
            made[group].append(
                AuditEvent.objects.create(
                    organization=c.org,
                    actor=c.user("admin"),
                    actor_label=c.user("admin").email,
                    action="read",
                    object_type="patients.patient",
                    object_id=str(c.patient.pk),
                    patient_id=c.patient.pk,
                    patient_ids=[c.patient.pk],
                    summary=f"opened the record ({group} {i}) — «Giulia»",
                    changes={"field": ["old", "new"], "n": i},
                    reason="care",
                    ip="203.0.113.7",
                    channel="web",
                    at=at,
                )
            )
    return made


def _as_line(event: AuditEvent) -> dict[str, Any]:
    values = {name: getattr(event, name) for name in archive_file.FIELDS}
    values["at"] = event.at.astimezone(dt.UTC).isoformat()
    return values


def _snapshot() -> list[tuple[Any, ...]]:
    return list(AuditEvent.objects.order_by("id").values_list(*archive_file.FIELDS))


def test_old_months_go_to_a_file_that_reads_back_equal_and_leave_the_database(events, tmp_path):
    before_count = AuditEvent.objects.count()
    result = archive(Month(2020, 1), tmp_path, now=NOW)

    assert result.path is not None and result.path.parent == tmp_path
    assert result.events == result.removed == len(OLD)
    assert result.by_month == {Month(2019, 3): 2, Month(2019, 7): 1, Month(2019, 12): 1}
    back = list(archive_file.read(result.path))
    assert back == [_as_line(e) for e in sorted(events["old"], key=lambda e: (e.at, e.pk))]
    assert archive_file.verify(result.path) == (len(OLD), result.sha256)
    # Nothing younger touched; the removed rows are gone; one archive event per organization.
    kept_ids = {e.pk for e in events["kept"]}
    assert not AuditEvent.objects.filter(pk__in=[e.pk for e in events["old"]]).exists()
    assert kept_ids <= set(AuditEvent.objects.values_list("pk", flat=True))
    assert AuditEvent.objects.count() == before_count - len(OLD) + 2


def test_the_archive_is_audited_in_each_organization_with_file_and_checksum(
    events, tmp_path, clinic, other_clinic
):
    result = archive(Month(2020, 1), tmp_path, now=NOW)
    for c, count in ((clinic, 3), (other_clinic, 1)):
        event = AuditEvent.objects.for_org(c.org.pk).get(action="delete")
        assert event.object_type == "audit.auditevent" and event.channel == "cli"
        assert event.changes["sha256"] == result.sha256 == sha256_of(result.path)
        assert event.changes["events"] == count and event.changes["before"] == "2020-01"
        assert event.changes["file"] == str(result.path) and event.changes["forced"] is False
        assert result.sha256 in event.summary


def test_a_dry_run_changes_nothing(events, tmp_path):
    snapshot = _snapshot()
    months = partitions.existing_months() if partitions.is_partitioned() else set()
    out = _call("--before", "2020-01", "--dir", str(tmp_path), "--dry-run")
    assert "Dry run: 4 events before 2020-01 would be archived; nothing changed." in out
    assert "2019-03: 2 events" in out
    assert _snapshot() == snapshot and list(tmp_path.iterdir()) == []
    if partitions.is_partitioned():
        assert partitions.existing_months() == months


def test_a_month_inside_the_legal_retention_is_refused_and_nothing_changes(events, tmp_path):
    snapshot = _snapshot()
    with pytest.raises(RetentionError) as refused:
        archive(Month(2021, 1), tmp_path, now=NOW)
    message = str(refused.value)
    assert "must be kept 72 months (MESOCARE_AUDIT_RETENTION_MONTHS)" in message
    assert "the latest --before allowed is 2020-12" in message and "--force" in message
    assert _snapshot() == snapshot and list(tmp_path.iterdir()) == []


def test_the_retention_follows_the_setting_and_force_overrides_it(events, tmp_path, settings):
    settings.MESOCARE_AUDIT_RETENTION_MONTHS = 120
    with pytest.raises(RetentionError, match="latest --before allowed is 2016-12"):
        archive(Month(2020, 1), tmp_path, now=NOW)
    result = archive(Month(2020, 1), tmp_path, now=NOW, force=True)
    assert result.removed == len(OLD)
    assert AuditEvent.objects.filter(action="delete", changes__forced=True).count() == 2


def test_one_organization_archives_only_its_own_events(events, tmp_path, clinic, other_clinic):
    result = archive(Month(2020, 1), tmp_path, organization_id=clinic.org.pk, now=NOW)
    assert result.path is not None and "org" in result.path.name
    assert result.events == result.removed == 3
    assert {line["organization_id"] for line in archive_file.read(result.path)} == {clinic.org.pk}
    beta_old = [e for e in events["old"] if e.organization_id == other_clinic.org.pk]
    assert AuditEvent.objects.filter(pk__in=[e.pk for e in beta_old]).count() == 1


def test_nothing_to_archive_writes_no_file(events, tmp_path):
    out = _call("--before", "2018-01", "--dir", str(tmp_path))
    assert "No audit events before 2018-01; nothing archived." in out
    assert list(tmp_path.iterdir()) == []


def test_the_command_archives_and_verify_reads_the_file_back(events, tmp_path):
    out = _call("--before", "2020-01", "--dir", str(tmp_path))
    assert "Archived 4 events to" in out and "removed 4 from the database" in out
    (archive_path,) = tmp_path.glob("*.jsonl.gz")
    assert archive_path.name.startswith("audit-all-before-2020-01-")
    assert "4 events" in _call_verify(archive_path)
    assert (tmp_path / (archive_path.name + ".sha256")).read_text().split()[1] == archive_path.name


def test_a_tampered_archive_fails_verification(events, tmp_path):
    result = archive(Month(2020, 1), tmp_path, now=NOW)
    assert result.path is not None
    with gzip.open(result.path, "rb") as fh:
        lines = fh.read().replace(b"care", b"cure")
    result.path.write_bytes(gzip.compress(lines))
    with pytest.raises(CommandError, match="does not match the checksum file"):
        _call_verify(result.path)


def test_bad_arguments_are_refused_with_a_message(events, tmp_path):
    with pytest.raises(CommandError, match="is not a month"):
        _call("--before", "2020-13", "--dir", str(tmp_path))
    with pytest.raises(CommandError, match="no organization with the slug 'nope'"):
        _call("--before", "2020-01", "--org", "nope", "--dir", str(tmp_path))
    with pytest.raises(CommandError, match="must be kept 72 months"):
        _call("--before", "2099-01", "--dir", str(tmp_path))


def _call(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_archive", *args, stdout=out)
    return out.getvalue()


def _call_verify(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", str(path), stdout=out)
    return out.getvalue()
