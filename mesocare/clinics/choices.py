from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    PRACTITIONER = "practitioner", _("Practitioner")
    RECEPTION = "reception", _("Reception")
    AUDITOR = "auditor", _("Auditor")


class RoomKind(models.TextChoices):
    FACIAL = "facial", _("Facial")
    BODY = "body", _("Body")
    GENERAL = "general", _("General")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    REVOKED = "revoked", _("revoked")
    EXPIRED = "expired", _("expired")


class TaxRegime(models.TextChoices):
    """The FatturaPA RegimeFiscale codes a clinic may be under (Agenzia delle Entrate, table
    of the FatturaPA technical specifications, element 1.2.1.8)."""

    ORDINARY = "RF01", _("Ordinary (RF01)")
    MINIMUM = "RF02", _("Minimum taxpayers, L. 244/2007 (RF02)")
    CASH_VAT = "RF17", _("VAT on a cash basis, art. 32-bis DL 83/2012 (RF17)")
    OTHER = "RF18", _("Other (RF18)")
    FLAT_RATE = "RF19", _("Flat-rate scheme, L. 190/2014 (RF19)")
