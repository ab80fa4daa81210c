"""Reading a CSV file exported by another clinic system: its encoding, its delimiter, its
header row. Every problem is an `Invalid` on the field ``file`` with a message a person can act
on; nothing here touches the database."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from mesocare.errors import Invalid

DELIMITERS = ",;\t|"
MAX_ROWS = 50_000
MAX_CELL = 10_000


def max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_BYTES", 10 * 1024 * 1024))


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # each padded/cut to len(headers)
    encoding: str
    delimiter: str

    def line_number(self, index: int) -> int:
        """The spreadsheet row of data row `index` (the header is row 1)."""
        return index + 2


def too_large_message(size: int) -> str:
    return _("The file is %(size)s; files up to %(limit)s can be imported.") % {
        "size": filesizeformat(size),
        "limit": filesizeformat(max_bytes()),
    }


def decode(data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """The text and the encoding it was read with."""
    if encoding == "auto":
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        else:
            encoding = "utf-8"
    codec = "utf-8-sig" if encoding == "utf-8" else encoding
    try:
        text = data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        raise Invalid.field(
            "file",
            _(
                "The file could not be read as %(encoding)s. Choose the encoding the other "
                "system saved it in (often Windows-1252 for older Windows programs)."
            )
            % {"encoding": encoding.upper()},
        ) from None
    if "\x00" in text:
        raise Invalid.field(
            "file",
            _("The file contains binary data; export it from the other system as CSV text."),
        )
    return text, encoding


def read_table(data: bytes, encoding: str = "auto") -> Table:
    if len(data) > max_bytes():
        raise Invalid.field("file", too_large_message(len(data)))
    if not data.strip():
        raise Invalid.field("file", _("The file is empty."))
    text, used = decode(data, encoding)
    sample = text[: 64 * 1024]
    try:
        delimiter = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader, None)
        if not header or not any(h.strip() for h in header):
            raise Invalid.field("file", _("The first row must name the columns."))
        headers = [h.strip() for h in header]
        blank = [str(i + 1) for i, h in enumerate(headers) if not h]
        if blank:
            raise Invalid.field(
                "file", _("Column %s has no name in the first row.") % ", ".join(blank)
            )
        repeated = sorted({h for h in headers if headers.count(h) > 1})
        if repeated:
            raise Invalid.field(
                "file", _("Two columns have the same name: %s.") % ", ".join(repeated)
            )
        rows: list[list[str]] = []
        for raw in reader:
            if not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_ROWS:
                raise Invalid.field(
                    "file",
                    _("The file has more than %d rows; split it into smaller files.") % MAX_ROWS,
                )
            if any(len(cell) > MAX_CELL for cell in raw):
                raise Invalid.field(
                    "file",
                    _("Row %(row)d has a cell longer than %(limit)d characters.")
                    % {"row": reader.line_num, "limit": MAX_CELL},
                )
            cells = [cell.strip() for cell in raw[: len(headers)]]
            cells += [""] * (len(headers) - len(cells))
            rows.append(cells)
    except csv.Error as exc:
        raise Invalid.field(
            "file",
            _("The file is not valid CSV near line %(line)d (%(error)s).")
            % {"line": reader.line_num, "error": exc},
        ) from None
    if not rows:
        raise Invalid.field("file", _("The file has a header row but no data rows."))
    return Table(headers=headers, rows=rows, encoding=used, delimiter=delimiter)
