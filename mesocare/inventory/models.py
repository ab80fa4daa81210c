"""Product lots and the stock movements that make up their quantity on hand.

`ProductLot.on_hand_ml` is a cache of Σ `StockMovement.quantity_ml` for the lot: it is
only ever changed with an `F()` update in the same transaction that inserts the movement
(`mesocare.inventory.services.stock.move`), and `stock.verify_on_hand` proves it equal to
the sum. The cache lets "use" check-and-deduct be one conditional UPDATE, so concurrent
charting can neither lose an update nor overdraw a lot.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.inventory.choices import MovementKind

ML_DIGITS, ML_PLACES = 10, 3


class ProductLot(OrgOwned):
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(_("lot number"), max_length=20)
    expiry = models.DateField(_("expiry"))
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    gtin = models.CharField(_("GTIN"), max_length=14, blank=True)
    received_ml = models.DecimalField(
        _("received (mL)"),
        max_digits=ML_DIGITS,
        decimal_places=ML_PLACES,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    unit_cost = models.DecimalField(
        _("unit cost"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    on_hand_ml = models.DecimalField(
        _("on hand (mL)"),
        max_digits=ML_DIGITS,
        decimal_places=ML_PLACES,
        default=Decimal(0),
        editable=False,
    )
    recalled = models.BooleanField(_("recalled"), default=False)
    recalled_at = models.DateTimeField(null=True, blank=True)
    recalled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recall_reason = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["expiry", "lot_number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "product", "lot_number", "organization"],
                name="lot_unique_per_location",
            )
        ]
        indexes = [models.Index(fields=["organization", "product", "location"])]

    def __str__(self) -> str:
        return f"{self.lot_number} ({self.expiry:%Y-%m-%d})"


class StockMovement(OrgOwned):
    lot = models.ForeignKey(ProductLot, on_delete=models.PROTECT, related_name="movements")
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=MovementKind.choices)
    quantity_ml = models.DecimalField(
        _("quantity (mL)"), max_digits=ML_DIGITS, decimal_places=ML_PLACES
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    injection_component = models.ForeignKey(
        "charting.CocktailComponent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind=MovementKind.RECEIVE, quantity_ml__gt=0)
                    | models.Q(
                        kind__in=[MovementKind.WASTE, MovementKind.RETURN], quantity_ml__lt=0
                    )
                    | (
                        models.Q(kind__in=[MovementKind.USE, MovementKind.ADJUST])
                        & ~models.Q(quantity_ml=0)
                    )
                ),
                name="movement_sign_by_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity_ml} mL of lot {self.lot_id}"


class LocationStockSetting(OrgOwned):
    """Per-location stock policy; only an administrator may allow negative stock."""

    location = models.OneToOneField(
        "clinics.Location", on_delete=models.CASCADE, related_name="stock_setting"
    )
    allow_negative = models.BooleanField(_("allow negative stock"), default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"stock setting of location {self.location_id}"
