"""The audit archive file: one audit event per line (JSON), gzip-compressed, with a SHA-256
checksum file beside it (`<name>.sha256`, in the format `sha256sum -c` reads). An auditor reads
it back with `mesocare audit verify FILE` or `zcat FILE | jq`."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from mesocare.lib.files import sha256_of

# The columns of an event, in the order each line names them.
FIELDS = (
    "id",
    "organization_id",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "patient_ids",
    "summary",
    "changes",
    "reason",
    "ip",
    "channel",
)


class ArchiveCorrupt(RuntimeError):
    """The file does not match its checksum, or does not read back as it was written."""


@dataclass(frozen=True)
class Written:
    path: Path
    events: int
    sha256: str  # of the compressed file
    ids_digest: str  # of the event ids in file order: what read-back must reproduce


def checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def write(path: Path, rows: Iterable[tuple[Any, ...]]) -> Written:
    """Write rows (values in FIELDS order) as JSON lines into a gzip file, then its checksum."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = hashlib.sha256()
    count = 0
    with path.open("xb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        for row in rows:
            out.write(orjson.dumps(dict(zip(FIELDS, row, strict=True))) + b"\n")
            ids.update(int(row[0]).to_bytes(8, "big", signed=True))
            count += 1
    sha = sha256_of(path)
    checksum_path(path).write_text(f"{sha}  {path.name}\n")
    return Written(path, count, sha, ids.hexdigest())


def read(path: Path) -> Iterator[dict[str, Any]]:
    """Every event of an archive file, in file order (no checksum check: see `verify`)."""
    with gzip.open(path, "rb") as fh:
        for line in fh:
            yield orjson.loads(line)


def verify(path: Path, expected: Written | None = None) -> tuple[int, str]:
    """Check the file against its checksum file and read every line back; with `expected`,
    also that it holds exactly the events written, in order. Returns (events, sha256)."""
    if not checksum_path(path).is_file():
        raise ArchiveCorrupt(
            f"{path.name}: its checksum file {checksum_path(path).name} is missing"
        )
    recorded = (checksum_path(path).read_text().split() or [""])[0]
    sha = sha256_of(path)
    if sha != recorded:
        raise ArchiveCorrupt(f"{path.name}: SHA-256 {sha} does not match the checksum file")
    count = 0
    ids = hashlib.sha256()
    try:
        for event in read(path):
            if set(event) != set(FIELDS):
                raise ArchiveCorrupt(f"{path.name}: line {count + 1} is not an audit event")
            ids.update(int(event["id"]).to_bytes(8, "big", signed=True))
            count += 1
    except (OSError, EOFError, orjson.JSONDecodeError) as exc:
        raise ArchiveCorrupt(f"{path.name}: unreadable after {count} events ({exc})") from exc
    if expected is not None and (
        count != expected.events or sha != expected.sha256 or ids.hexdigest() != expected.ids_digest
    ):
        raise ArchiveCorrupt(f"{path.name}: does not read back as the {expected.events} events")
    return count, sha
