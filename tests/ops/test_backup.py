"""`mesocare backup` / `mesocare restore`: a round trip keeps every row and every file, and a
corrupt or tampered archive is refused before anything is replaced. Runs on both databases
(PostgreSQL through pg_dump / pg_restore)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from mesocare.cli import main
from mesocare.ops.backup import BackupError, create_backup, record_counts, restore_backup
from mesocare.outcomes.models import Photo
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg(color: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(buf, "JPEG")
    return buf.getvalue()


def upload_photos(clinic, colors=("red", "blue")) -> None:
    api = clinic.api("practitioner")
    for color in colors:
        form = {"body_zone": "abdomen_ul", "view": "front"}
        form["file"] = SimpleUploadedFile("p.jpg", jpeg(color), "image/jpeg")
        response = api.client.post(
            f"/api/v1/patients/{clinic.patient.pk}/photos", form, **api.headers
        )
        assert response.status_code == 201, response.content


def media_checksums(root: Path) -> dict[str, str]:
    return {
        "media/" + p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def test_a_backup_restored_after_changes_brings_back_every_row_and_file(clinic, media, tmp_path):
    upload_photos(clinic)
    archive = tmp_path / "backups" / "b.tar"
    manifest = create_backup(archive)
    assert manifest["database"]["engine"] in ("postgresql", "sqlite")
    assert manifest["record_counts"]["outcomes_photo"] == 2
    files_before = media_checksums(media)
    assert len(files_before) == 4  # two photos, two thumbnails
    assert {k: v["sha256"] for k, v in manifest["files"].items() if k.startswith("media/")} == (
        files_before
    )

    # Life goes on after the backup: a photo is deleted, a patient added, a stray file appears.
    Photo.objects.first().delete()
    next(media.rglob("*.jpg")).unlink()
    Patient.objects.create(
        organization=clinic.org, given_name="Late", family_name="Comer", birth_date="1990-01-01"
    )
    (media / "stray.txt").write_text("not in the backup")
    assert record_counts() != manifest["record_counts"]

    report = restore_backup(archive)
    assert record_counts() == manifest["record_counts"] == report.record_counts
    assert media_checksums(media) == files_before
    assert Photo.objects.count() == 2
    assert not Patient.objects.filter(given_name="Late").exists()


def rewrite(archive: Path, target: Path, change) -> None:
    """Copy `archive` to `target`, passing every (TarInfo, bytes) through `change`."""
    with tarfile.open(archive) as src, tarfile.open(target, "w") as dst:
        for member in src:
            data = src.extractfile(member).read()
            for info, payload in change(member, data):
                info.size = len(payload)
                dst.addfile(info, io.BytesIO(payload))


def flip_a_byte_in_a_photo(member, data):
    if member.name.startswith("media/") and member.name.endswith(".jpg"):
        data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    yield member, data


def add_a_member(name):
    def change(member, data):
        yield member, data
        if member.name == "manifest.json":
            yield tarfile.TarInfo(name), b"x"

    return change


def drop_the_database(member, data):
    if not member.name.startswith("database."):
        yield member, data


def forge_the_manifest(member, data):
    if member.name == "manifest.json":
        manifest = json.loads(data)
        manifest["format"] = "something-else"
        data = json.dumps(manifest).encode()
    yield member, data


TAMPERING = [
    (flip_a_byte_in_a_photo, "Checksum mismatch for media/"),
    (add_a_member("media/extra.jpg"), "media/extra.jpg is not listed"),
    (add_a_member("../outside.txt"), "Refusing archive member '../outside.txt'"),
    (drop_the_database, "The archive lacks database."),
    (forge_the_manifest, "not a mesocare backup"),
]


def test_a_corrupt_or_tampered_archive_is_refused_and_nothing_changes(clinic, media, tmp_path):
    upload_photos(clinic, colors=("green",))
    good = tmp_path / "good.tar"
    create_backup(good)
    Patient.objects.create(
        organization=clinic.org, given_name="Kept", family_name="Row", birth_date="1990-01-01"
    )
    counts, files = record_counts(), media_checksums(media)
    for change, message in TAMPERING:
        bad = tmp_path / "bad.tar"
        rewrite(good, bad, change)
        with pytest.raises(BackupError, match=message):
            restore_backup(bad)
        assert record_counts() == counts and media_checksums(media) == files
    assert not (tmp_path / "outside.txt").exists()
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(BackupError):
        restore_backup(truncated)


def test_the_commands_back_up_check_and_restore(clinic, media, tmp_path, capsys):
    upload_photos(clinic, colors=("green",))
    archive = tmp_path / "cli.tar"
    with pytest.raises(SystemExit) as done:
        main(["backup", "--output", str(archive)])
    assert done.value.code == 0
    assert "2 media files" in capsys.readouterr().out  # the photo and its thumbnail
    with pytest.raises(SystemExit) as done:
        main(["restore", str(archive), "--check"])
    assert done.value.code == 0 and "every checksum matches" in capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        main(["restore", str(archive)])  # not a terminal and no --yes: refused
    assert done.value.code == 1
    with pytest.raises(SystemExit) as done:
        main(["restore", str(archive), "--yes"])
    assert done.value.code == 0 and "Restored the" in capsys.readouterr().out
    corrupt = tmp_path / "corrupt.tar"
    rewrite(archive, corrupt, flip_a_byte_in_a_photo)
    with pytest.raises(SystemExit) as done:
        main(["restore", str(corrupt), "--yes"])
    assert done.value.code == 2 and "Checksum mismatch" in capsys.readouterr().err
