from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    PATIENTS = "patients", _("Patients (with allergies, medications and conditions)")
    APPOINTMENTS = "appointments", _("Future appointments")
    STOCK_LOTS = "stock_lots", _("Stock lots")


class UploadStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for import")
    IMPORTED = "imported", _("Imported")


class FileEncoding(models.TextChoices):
    AUTO = "auto", _("Detect (UTF-8 or UTF-16)")
    UTF8 = "utf-8", _("UTF-8")
    UTF16 = "utf-16", _("UTF-16")
    CP1252 = "cp1252", _("Windows-1252 (Western European)")
    LATIN1 = "latin-1", _("ISO-8859-1 (Latin-1)")
