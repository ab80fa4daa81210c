"""The fields each kind of import fills, and the column names other systems commonly use for
them (English and Italian), so the column mapping starts out filled in."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from mesocare.imports.choices import ImportKind
from mesocare.lib.text import normalize_search


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str | Promise = ""


EXTERNAL_ID = Field(
    "external_id",
    _("External id"),
    True,
    ("id", "external id", "patient id", "codice", "codice paziente", "record id"),
    _("The other system's id of the row; importing the same file again changes nothing."),
)
LIST_HELP = _("Several entries separated by semicolons.")

FIELDS: dict[str, tuple[Field, ...]] = {
    ImportKind.PATIENTS: (
        EXTERNAL_ID,
        Field("given_name", _("Given name"), True, ("first name", "given", "nome", "firstname")),
        Field(
            "family_name", _("Family name"), True, ("last name", "surname", "cognome", "lastname")
        ),
        Field(
            "birth_date",
            _("Birth date"),
            True,
            ("date of birth", "dob", "birthdate", "data di nascita", "nato il"),
            _("YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY."),
        ),
        Field(
            "sex_at_birth",
            _("Sex at birth"),
            True,
            ("sex", "gender", "sesso"),
            _("F, M, female, male, intersex or unknown (also in Italian)."),
        ),
        Field("email", _("Email"), False, ("e-mail", "mail", "email address")),
        Field("phone", _("Phone"), False, ("mobile", "telephone", "cellulare", "telefono", "tel")),
        Field("address", _("Address"), False, ("indirizzo", "street")),
        Field("notes", _("Notes"), False, ("note", "comments", "remarks")),
        Field(
            "allergies",
            _("Allergies"),
            False,
            ("allergy", "allergie", "allergia"),
            _("Substance, optionally ': severity'; several separated by semicolons."),
        ),
        Field(
            "medications",
            _("Medications"),
            False,
            ("medication", "drugs", "farmaci", "terapia"),
            _("Name, optionally ': class'; several separated by semicolons."),
        ),
        Field(
            "conditions",
            _("Conditions"),
            False,
            ("condition", "history", "medical history", "patologie", "anamnesi"),
            LIST_HELP,
        ),
    ),
    ImportKind.APPOINTMENTS: (
        EXTERNAL_ID,
        Field(
            "patient_external_id",
            _("Patient's external id"),
            True,
            ("patient", "patient id", "paziente", "codice paziente"),
            _("The patient's id in the patients file imported from the same system."),
        ),
        Field(
            "start",
            _("Start"),
            True,
            ("start time", "date", "when", "inizio", "data", "appointment"),
            _("Date and time in the location's time zone, e.g. 2027-03-01 14:30."),
        ),
        Field(
            "duration_min",
            _("Duration (minutes)"),
            True,
            ("duration", "minutes", "durata", "length"),
        ),
        Field(
            "practitioner",
            _("Practitioner's email"),
            True,
            ("practitioner", "doctor", "staff", "medico", "operatore"),
        ),
        Field("room", _("Room"), True, ("room name", "stanza", "sala", "cabina")),
        Field("location", _("Location"), False, ("site", "clinic", "sede")),
        Field("notes", _("Notes"), False, ("note", "comments")),
    ),
    ImportKind.STOCK_LOTS: (
        EXTERNAL_ID,
        Field(
            "product",
            _("Product"),
            True,
            ("product name", "item", "prodotto", "gtin"),
            _("The product's name or GTIN as in the catalog."),
        ),
        Field("location", _("Location"), True, ("site", "store", "sede", "magazzino")),
        Field("lot_number", _("Lot number"), True, ("lot", "batch", "lotto")),
        Field("expiry", _("Expiry"), True, ("expiry date", "expires", "scadenza", "best before")),
        Field(
            "quantity_ml",
            _("Quantity (mL)"),
            True,
            ("quantity", "ml", "qty", "quantita", "volume"),
        ),
        Field("supplier", _("Supplier"), False, ("vendor", "fornitore")),
    ),
}


def fields_for(kind: str) -> tuple[Field, ...]:
    return FIELDS[kind]


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """field name → the column that most likely holds it (name, label or a known alias)."""
    folded = {normalize_search(h.replace("_", " ")): h for h in headers}
    mapping: dict[str, str] = {}
    for field in fields_for(kind):
        for candidate in (field.name.replace("_", " "), str(field.label), *field.aliases):
            column = folded.get(normalize_search(candidate))
            if column is not None and column not in mapping.values():
                mapping[field.name] = column
                break
    return mapping
