"""`mesocare backup` / `mesocare restore`: the database and the private media in one archive.

The archive is a tar file:

    manifest.json          format, version, created_at, mesocare version, database engine,
                           record counts per table, size and SHA-256 of every other member
    database.dump          PostgreSQL: `pg_dump --format=custom`
    database.sqlite3       SQLite: a consistent copy made with SQLite's online backup API
    media/...              every file under MEDIA_ROOT (patient photos)

Restore checks the whole archive before it touches anything: the manifest's format and
version, no member outside the manifest (or with a path that would escape the target), and
every member's checksum. A corrupt or tampered archive is refused with `BackupError` naming
the first bad member. Then it replaces the database (PostgreSQL: `pg_restore --clean
--single-transaction`; SQLite: the backup API into the live database) and swaps the media
directory, and finally compares the record counts with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from contextlib import closing
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from mesocare.lib.files import sha256_of

FORMAT = "mesocare-backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for an operator."""


@dataclass(frozen=True)
class RestoreReport:
    created_at: str
    engine: str
    files: int
    record_counts: dict[str, int]


def engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_MEMBER:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def record_counts() -> dict[str, int]:
    """Rows per table of the live database (every table, Django's own included)."""
    with connection.cursor() as cursor:
        return _count_rows(cursor, connection.introspection.table_names(cursor))


def _count_rows(cursor: Any, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        counts[table] = cursor.fetchone()[0]
    return counts


def _pg_args(program: str) -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = [program, "--no-password", "--dbname", db["NAME"]]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if db.get(key):
            args += [flag, str(db[key])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(args: list[str], env: dict[str, str]) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed (the PostgreSQL client tools).")
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed: {result.stderr.strip()[:2000]}")


def _dump_database(kind: str, target: Path) -> dict[str, int]:
    """Dump the database to `target`; returns the record counts of exactly that dump."""
    if kind == "postgresql":
        # pg_dump reads the snapshot this transaction exported, so the counts and the dump
        # see the same rows even while the clinic keeps writing.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            args, env = _pg_args("pg_dump")
            _run([*args, "--format=custom", f"--snapshot={snapshot}", "--file", str(target)], env)
            return _count_rows(cursor, connection.introspection.table_names(cursor))
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        rows = copy.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        return _count_rows(copy.cursor(), [name for (name,) in rows])


def _app_version() -> str:
    try:
        return metadata.version("mesocare")
    except metadata.PackageNotFoundError:
        return "unknown"


def _media_files(root: Path) -> list[tuple[Path, str]]:
    if not root.is_dir():
        return []
    return sorted(
        (path, "media/" + path.relative_to(root).as_posix())
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def create_backup(output: Path) -> dict[str, Any]:
    """Write the archive to `output` (atomically: a partial archive never has its name)."""
    kind = engine()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=output.parent) as tmp:
        db_file = Path(tmp) / DB_MEMBER[kind]
        counts = _dump_database(kind, db_file)
        members = [(db_file, DB_MEMBER[kind]), *_media_files(Path(settings.MEDIA_ROOT))]
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mesocare_version": _app_version(),
            "database": {"engine": kind, "member": DB_MEMBER[kind]},
            "record_counts": counts,
            "files": {
                name: {"sha256": sha256_of(path), "size": path.stat().st_size}
                for path, name in members
            },
        }
        partial = Path(tmp) / "archive.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
            for path, name in members:
                tar.add(path, arcname=name, recursive=False)
        os.replace(partial, output)
    return manifest


def _safe_member_name(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and name == path.as_posix()


def _read_manifest(tar: tarfile.TarFile) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        fh = tar.extractfile(member)
        manifest = json.loads(fh.read()) if fh else None
    except (KeyError, ValueError) as exc:
        raise BackupError("The archive has no readable manifest.json.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("This is not a mesocare backup (manifest format).")
    if manifest.get("version") != VERSION:
        raise BackupError(f"Unsupported backup version {manifest.get('version')!r}.")
    if not isinstance(manifest.get("files"), dict):
        raise BackupError("The manifest lists no files.")
    return manifest


def _copy_and_hash(source: IO[bytes], target: Path) -> str:
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def extract_verified(archive: Path, into: Path) -> dict[str, Any]:
    """Extract `archive` into `into`, checking every member against the manifest."""
    seen: set[str] = set()
    try:
        with tarfile.open(archive, "r:*") as tar:
            manifest = _read_manifest(tar)
            expected: dict[str, Any] = manifest["files"]
            for member in tar:
                if member.name == MANIFEST:
                    continue
                if not member.isfile() or not _safe_member_name(member.name):
                    raise BackupError(f"Refusing archive member {member.name!r}.")
                if member.name not in expected or member.name in seen:
                    raise BackupError(f"{member.name} is not listed in the manifest.")
                fh = tar.extractfile(member)
                assert fh is not None  # a regular file
                checksum = _copy_and_hash(fh, into / member.name)
                if checksum != expected[member.name].get("sha256"):
                    raise BackupError(f"Checksum mismatch for {member.name}: corrupt archive.")
                seen.add(member.name)
    except (tarfile.TarError, OSError, EOFError, ValueError, zlib.error) as exc:
        raise BackupError(f"The archive is corrupt or unreadable: {exc}") from exc
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(f"The archive lacks {missing[0]} (listed in the manifest).")
    return manifest


def verify_backup(archive: Path) -> dict[str, Any]:
    """Check an archive without restoring it; returns its manifest."""
    with tempfile.TemporaryDirectory() as tmp:
        return extract_verified(Path(archive), Path(tmp))


def _partitioned_keys() -> list[tuple[str, str, str]]:
    """Primary and unique keys of partitioned tables (the audit log): each partition holds an
    inherited copy that `pg_restore --clean` tries, and fails, to drop on its own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class t ON t.oid = k.conrelid WHERE t.relkind = 'p' "
            "AND k.contype IN ('p', 'u') AND t.relnamespace = current_schema()::regnamespace"
        )
        return [(str(t), str(n), str(d)) for t, n, d in cursor.fetchall()]


def _set_keys(keys: list[tuple[str, str, str]], add: bool) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        for table, name, definition in keys:
            change = f"ADD CONSTRAINT {name} {definition}" if add else f"DROP CONSTRAINT {name}"
            cursor.execute(f"ALTER TABLE {table} {change}")


def _restore_database(kind: str, dump: Path) -> None:
    if kind == "postgresql":
        # The keys of partitioned tables go first (their data stays); if the restore fails,
        # it changed nothing and they are put back.
        keys = _partitioned_keys()
        _set_keys(keys, add=False)
        connection.close()  # no session of ours may hold a lock on what is dropped
        args, env = _pg_args("pg_restore")
        try:
            _run(
                [*args, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(dump)],
                env,
            )
        except BackupError:
            _set_keys(keys, add=True)
            raise
        return
    connection.ensure_connection()
    with closing(sqlite3.connect(dump)) as source:
        source.backup(connection.connection)


def _swap_media(extracted: Path) -> int:
    root = Path(settings.MEDIA_ROOT)
    root.parent.mkdir(parents=True, exist_ok=True)
    incoming = Path(tempfile.mkdtemp(prefix=".restore-", dir=root.parent))
    if extracted.is_dir():
        shutil.copytree(extracted, incoming, dirs_exist_ok=True)
    retired = root.with_name(f".{root.name}.replaced")
    if retired.exists():
        shutil.rmtree(retired)
    if root.exists():
        os.replace(root, retired)
    os.replace(incoming, root)
    shutil.rmtree(retired, ignore_errors=True)
    return sum(1 for path in root.rglob("*") if path.is_file())


def restore_backup(archive: Path) -> RestoreReport:
    """Replace the database and the media directory with the archive's content."""
    kind = engine()
    with tempfile.TemporaryDirectory() as tmp:
        manifest = extract_verified(Path(archive), Path(tmp))
        if manifest["database"].get("engine") != kind:
            raise BackupError(
                f"The archive holds a {manifest['database'].get('engine')} database; "
                f"this installation runs {kind}."
            )
        _restore_database(kind, Path(tmp) / DB_MEMBER[kind])
        files = _swap_media(Path(tmp) / "media")
    counts = record_counts()
    expected = manifest.get("record_counts", {})
    differ = sorted(t for t in expected if counts.get(t) != expected[t])
    if differ:
        raise BackupError(f"Restored record counts differ from the manifest in {differ[0]}.")
    return RestoreReport(manifest["created_at"], kind, files, counts)
