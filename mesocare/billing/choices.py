from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SESSION = "session", _("Treatment session")
    ADDON = "addon", _("Add-on")
    PRODUCT = "product", _("Retail product")


class TaxCategory(models.TextChoices):
    """UNTDID 5305 VAT category codes, as EN 16931 uses them (BT-151)."""

    STANDARD = "S", _("Standard rate")
    ZERO = "Z", _("Zero rated")
    EXEMPT = "E", _("Exempt from VAT")
    OUTSIDE = "O", _("Outside the scope of VAT")


class DepositKind(models.TextChoices):
    AMOUNT = "amount", _("Fixed amount")
    PERCENT = "percent", _("Percent of the price")


class RefundPolicy(models.TextChoices):
    PRO_RATA = "pro_rata", _("Pro rata for the unused sessions")
    FEE = "fee", _("Pro rata less a cancellation fee")


class PackageStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("package status", "Active")
    USED_UP = "used_up", _("Used up")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class DepositStatus(models.TextChoices):
    DUE = "due", _("Due")
    PAID = "paid", _("Paid")
    APPLIED = "applied", _("Applied to the invoice")
    FORFEITED = "forfeited", _("Forfeited")
    REFUNDED = "refunded", _("Refunded")
    VOID = "void", _("No longer due")


class InvoiceKind(models.TextChoices):
    VISIT = "visit", _("Visit")
    PACKAGE = "package", _("Package")
    RETAIL = "retail", _("Retail sale")
    FEE = "fee", _("Cancellation fee")


class InvoiceStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD_TERMINAL = "card_terminal", _("Card terminal")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    VOUCHER = "voucher", _("Voucher")


DEFAULT_SERIES = "A"
CREDIT_NOTE_SERIES = "NC"
