"""The till: price list, packages (courses sold up front), deposits, invoices, credit notes,
payments.

Money columns hold `Decimal` with two decimals (the currency's minor units; see
`mesocare.core.money`). Nothing here is ever deleted: issued invoices, credit notes and
payments are immutable (saving an existing one or deleting any raises `Immutable`), and
corrections are credit notes. Every row belongs to one organization (`OrgOwned`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.billing.choices import (
    DepositKind,
    DepositStatus,
    InvoiceKind,
    InvoiceStatus,
    PackageStatus,
    PaymentMethod,
    RefundPolicy,
    ServiceKind,
    TaxCategory,
)
from mesocare.clinics.tenancy import OrgOwned
from mesocare.errors import Conflict

MONEY = {"max_digits": 12, "decimal_places": 2}
RATE = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class Immutable(Conflict):
    def __init__(self, what: str) -> None:
        super().__init__(
            "immutable",
            str(
                _("An issued %(what)s never changes; issue a credit note instead.") % {"what": what}
            ),
        )


class _Permanent(OrgOwned):
    """Rows that are written once and never updated or deleted."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Immutable(str(self._meta.verbose_name))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable(str(self._meta.verbose_name))


class _Taxed(models.Model):
    """The VAT treatment of an item or line (EN 16931 BT-151, BT-152, BT-120, BT-121)."""

    tax_category = models.CharField(
        _("VAT category"), max_length=1, choices=TaxCategory.choices, default=TaxCategory.EXEMPT
    )
    tax_rate = models.DecimalField(_("VAT rate (%)"), default=Decimal(0), **RATE)  # type: ignore[arg-type]
    exemption_code = models.CharField(
        _("exemption reason code"),
        max_length=30,
        blank=True,
        help_text=_("VATEX code of the exemption, e.g. VATEX-EU-132-1C for medical care."),
    )
    exemption_reason = models.CharField(_("exemption reason"), max_length=300, blank=True)

    class Meta:
        abstract = True


class PriceItem(_Taxed, OrgOwned):
    """A service or product on the clinic's price list; its amount lives in `PriceVersion`s."""

    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ServiceKind.choices)
    protocol = models.ForeignKey(
        "catalog.Protocol", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="price_item_code_unique"),
            models.CheckConstraint(
                condition=models.Q(tax_rate__gte=0, tax_rate__lte=100),
                name="price_item_tax_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PriceVersion(OrgOwned):
    """The item's amount (net of VAT) from `valid_from` on; the newest valid one applies."""

    item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, related_name="versions")
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item_id", "-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "valid_from", "organization"], name="price_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_amount_gte_0"),
        ]


class DepositRule(OrgOwned):
    """The deposit a booking of this item asks for: a fixed amount or a percent of its price."""

    item = models.OneToOneField(PriceItem, on_delete=models.PROTECT, related_name="deposit_rule")
    kind = models.CharField(_("deposit kind"), max_length=8, choices=DepositKind.choices)
    value = models.DecimalField(_("deposit value"), **MONEY)  # type: ignore[arg-type]
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="deposit_value_gt_0"),
        ]


class CancellationPolicy(OrgOwned):
    """One version of the clinic's cancellation rules; a new version never changes old ones."""

    version = models.PositiveIntegerField(_("version"))
    late_cancel_hours = models.PositiveIntegerField(_("late cancellation (hours before)"))
    forfeit_on_no_show = models.BooleanField(_("deposit forfeited on no-show"), default=True)
    forfeit_on_late_cancel = models.BooleanField(
        _("deposit forfeited on late cancellation"), default=True
    )
    refund_policy = models.CharField(
        _("course refund"),
        max_length=10,
        choices=RefundPolicy.choices,
        default=RefundPolicy.PRO_RATA,
    )
    fee_amount = models.DecimalField(_("cancellation fee"), default=Decimal(0), **MONEY)  # type: ignore[arg-type]
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "version"], name="cancellation_policy_version_unique"
            ),
            models.CheckConstraint(condition=models.Q(fee_amount__gte=0), name="policy_fee_gte_0"),
        ]


class PackageOffer(_Taxed, OrgOwned):
    """A course for sale: N sessions of a protocol at a package price (net of VAT)."""

    name = models.CharField(_("name"), max_length=200)
    protocol = models.ForeignKey("catalog.Protocol", on_delete=models.PROTECT, related_name="+")
    sessions = models.PositiveIntegerField(
        _("sessions"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    price = models.DecimalField(_("package price"), **MONEY)  # type: ignore[arg-type]
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"), validators=[MinValueValidator(1), MaxValueValidator(3650)]
    )
    max_instalments = models.PositiveIntegerField(
        _("instalments allowed"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="offer_price_gte_0"),
            models.CheckConstraint(
                condition=models.Q(sessions__gte=1), name="offer_sessions_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PackageOfferItem(OrgOwned):
    """A service the course includes besides its sessions (e.g. one consultation, two
    add-ons): a set of services sold together at the package price."""

    offer = models.ForeignKey(PackageOffer, on_delete=models.PROTECT, related_name="components")
    item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        _("quantity"), validators=[MinValueValidator(1), MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["offer_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "item", "organization"], name="offer_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="offer_item_qty_gte_1"
            ),
        ]


class PatientPackage(OrgOwned):
    """A course sold to a patient; `offer_snapshot` keeps the offer's terms as sold."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    offer = models.ForeignKey(PackageOffer, on_delete=models.PROTECT, related_name="sold")
    offer_snapshot = models.JSONField(default=dict)
    protocol = models.ForeignKey("catalog.Protocol", on_delete=models.PROTECT, related_name="+")
    sessions_total = models.PositiveIntegerField(_("sessions bought"))
    sessions_used = models.PositiveIntegerField(_("sessions used"), default=0)
    price = models.DecimalField(_("price"), **MONEY)  # type: ignore[arg-type]
    currency = models.CharField(_("currency"), max_length=3)
    instalments = models.PositiveIntegerField(_("instalments"), default=1)
    sold_at = models.DateTimeField(_("sold at"), default=timezone.now)
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=10, choices=PackageStatus.choices, default=PackageStatus.ACTIVE
    )
    invoice = models.ForeignKey(
        "billing.Invoice", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    credit_note = models.ForeignKey(
        "billing.CreditNote", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-sold_at", "-id"]
        indexes = [models.Index(fields=["organization", "patient", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sessions_used__lte=models.F("sessions_total")),
                name="package_used_lte_total",
            ),
        ]

    @property
    def sessions_left(self) -> int:
        return self.sessions_total - self.sessions_used

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable(str(self._meta.verbose_name))


class PackageAllowance(OrgOwned):
    """How many of one included service a sold course paid for and how many are used;
    checkout uses them before charging the service."""

    package = models.ForeignKey(PatientPackage, on_delete=models.PROTECT, related_name="allowances")
    item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("service"), max_length=200)
    quantity_total = models.PositiveIntegerField(_("paid"))
    quantity_used = models.PositiveIntegerField(_("used"), default=0)
    unit_value = models.DecimalField(
        _("list price when sold"),
        default=Decimal(0),
        **MONEY,  # type: ignore[arg-type]
    )

    class Meta:
        ordering = ["package_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package", "item", "organization"], name="allowance_item_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(quantity_used__lte=models.F("quantity_total")),
                name="allowance_used_lte_total",
            ),
        ]

    @property
    def quantity_left(self) -> int:
        return self.quantity_total - self.quantity_used

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable(str(self._meta.verbose_name))


class PackageConsumption(_Permanent):
    """One session of a package used by one signed treatment session (at most once)."""

    package = models.ForeignKey(PatientPackage, on_delete=models.PROTECT, related_name="uses")
    session = models.OneToOneField(
        "charting.TreatmentSession", on_delete=models.PROTECT, related_name="package_use"
    )
    consumed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["consumed_at", "id"]


class InvoiceCounter(OrgOwned):
    """The next number of a series in a year; locked (`select_for_update`) while issuing."""

    series = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    next_number = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "series", "year"], name="invoice_counter_unique"
            )
        ]


class Invoice(_Permanent):
    series = models.CharField(_("series"), max_length=10)
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=InvoiceKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued at"))
    issue_date = models.DateField(_("issue date"))
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    buyer = models.JSONField(_("buyer as issued"), default=dict)
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    net_total = models.DecimalField(_("net total"), **MONEY)  # type: ignore[arg-type]
    tax_total = models.DecimalField(_("VAT total"), **MONEY)  # type: ignore[arg-type]
    gross_total = models.DecimalField(_("total"), **MONEY)  # type: ignore[arg-type]
    prepaid = models.DecimalField(_("deposit applied"), default=Decimal(0), **MONEY)  # type: ignore[arg-type]
    amount_due = models.DecimalField(_("amount due"), **MONEY)  # type: ignore[arg-type]
    source_appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    source_package = models.ForeignKey(
        PatientPackage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient", "issued_at"]),
            models.Index(fields=["organization", "issued_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "series", "year", "number"], name="invoice_number_unique"
            ),
            models.UniqueConstraint(
                fields=["source_session", "organization"],
                condition=models.Q(source_session__isnull=False),
                name="one_invoice_per_session",
            ),
            models.UniqueConstraint(
                fields=["source_appointment", "organization"],
                condition=models.Q(source_appointment__isnull=False),
                name="one_invoice_per_appointment",
            ),
            models.CheckConstraint(
                condition=models.Q(gross_total__gte=0, prepaid__gte=0), name="invoice_totals_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.series}-{self.year}/{self.number:05d}"


class InvoiceLine(_Taxed, _Permanent):
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    item = models.ForeignKey(
        PriceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    price_version = models.ForeignKey(
        PriceVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    package = models.ForeignKey(
        PatientPackage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)  # type: ignore[arg-type]
    net_amount = models.DecimalField(_("net amount"), **MONEY)  # type: ignore[arg-type]

    class Meta:
        ordering = ["invoice_id", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["invoice", "position", "organization"], name="invoice_line_position"
            ),
        ]

    def __str__(self) -> str:
        return self.description


class CreditNote(_Permanent):
    """A correction of an issued invoice (EN 16931 type 381), numbered in its own series."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    series = models.CharField(_("series"), max_length=10)
    year = models.PositiveIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    issued_at = models.DateTimeField(_("issued at"))
    issue_date = models.DateField(_("issue date"))
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.CharField(_("reason"), max_length=500)
    net_total = models.DecimalField(_("net total"), **MONEY)  # type: ignore[arg-type]
    tax_total = models.DecimalField(_("VAT total"), **MONEY)  # type: ignore[arg-type]
    gross_total = models.DecimalField(_("total"), **MONEY)  # type: ignore[arg-type]
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "series", "year", "number"],
                name="credit_note_number_unique",
            ),
            models.CheckConstraint(condition=models.Q(gross_total__gt=0), name="credit_gt_0"),
        ]

    @property
    def display_number(self) -> str:
        return f"{self.series}-{self.year}/{self.number:05d}"


class CreditNoteLine(_Taxed, _Permanent):
    credit_note = models.ForeignKey(CreditNote, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    description = models.CharField(_("description"), max_length=300)
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=3)
    unit_price = models.DecimalField(_("unit price"), **MONEY)  # type: ignore[arg-type]
    net_amount = models.DecimalField(_("net amount"), **MONEY)  # type: ignore[arg-type]

    class Meta:
        ordering = ["credit_note_id", "position"]

    def __str__(self) -> str:
        return self.description


class Deposit(OrgOwned):
    """The deposit a booking asks for; its status follows payment, the visit and the policy."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="deposit"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey(PriceItem, on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=DepositStatus.choices, default=DepositStatus.DUE
    )
    policy = models.ForeignKey(
        CancellationPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="deposit_amount_gt_0"),
        ]

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Immutable(str(self._meta.verbose_name))


class Payment(_Permanent):
    """Money received (positive) or paid back (negative, only against a credit note or a
    deposit). Recorded, not processed: the card terminal or bank does the processing."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    credit_note = models.ForeignKey(
        CreditNote, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    deposit = models.ForeignKey(
        Deposit, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    method = models.CharField(_("method"), max_length=16, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)  # type: ignore[arg-type]
    currency = models.CharField(_("currency"), max_length=3)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient", "received_at"]),
            models.Index(fields=["organization", "location", "received_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="payment_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0)
                | models.Q(credit_note__isnull=False)
                | models.Q(deposit__isnull=False),
                name="refund_needs_credit_note_or_deposit",
            ),
        ]
