from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.catalog.choices import ConcentrationUnit, IngredientKind, ProductForm, VialKind
from mesocare.lib.text import normalize_search


class AllergenFamily(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=120)
    synonyms = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("allergen families")

    def __str__(self) -> str:
        return self.name


class Ingredient(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=160)
    name_norm = models.CharField(max_length=160, db_index=True, editable=False)
    synonyms = models.JSONField(default=list, blank=True)
    kind = models.CharField(max_length=20, choices=IngredientKind.choices)
    lipolytic = models.BooleanField(default=False)
    allergen_families = models.ManyToManyField(
        AllergenFamily, blank=True, related_name="ingredients"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_norm = normalize_search(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Product(models.Model):
    """A product a clinic injects. `organization` is null for the curated defaults."""

    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=64)
    name = models.CharField(_("name"), max_length=200)
    name_norm = models.CharField(max_length=200, db_index=True, editable=False)
    form = models.CharField(
        max_length=16, choices=ProductForm.choices, default=ProductForm.SOLUTION
    )
    vial = models.CharField(max_length=16, choices=VialKind.choices, default=VialKind.SINGLE_DOSE)
    contains_epinephrine = models.BooleanField(default=False)
    lipolytic = models.BooleanField(default=False)
    # Prepared by a compounding pharmacy, not a licensed medicine: its own session cap
    # (max_volume_ml_per_session) is enforced by the safety engine.
    compounded = models.BooleanField(default=False)
    incompatible_with = models.ManyToManyField("self", blank=True, symmetrical=True)
    min_interval_days = models.PositiveIntegerField(null=True, blank=True)
    min_interval_months = models.PositiveIntegerField(null=True, blank=True)
    max_volume_ml_per_session = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True
    )
    max_volume_ml_per_point = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True
    )
    max_sessions_per_area = models.PositiveIntegerField(null=True, blank=True)
    default_unit_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    gtin = models.CharField(max_length=14, blank=True, db_index=True)
    notes = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    low_stock_ml = models.DecimalField(max_digits=10, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="product_code_unique"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organization__isnull=True),
                name="product_default_code_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_norm = normalize_search(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class ProductIngredient(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="components")
    ingredient = models.ForeignKey(Ingredient, on_delete=models.PROTECT, related_name="+")
    concentration = models.DecimalField(max_digits=12, decimal_places=5)
    unit = models.CharField(max_length=8, choices=ConcentrationUnit.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "ingredient"], name="product_ingredient_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.ingredient} {self.concentration} {self.unit}"

    @property
    def mg_per_ml(self) -> Decimal | None:
        """Concentration in mg/mL where it can be expressed so (1% = 10 mg/mL)."""
        if self.unit == ConcentrationUnit.MG_PER_ML:
            return self.concentration
        if self.unit == ConcentrationUnit.PERCENT:
            return self.concentration * 10
        if self.unit == ConcentrationUnit.MCG_PER_ML:
            return self.concentration / 1000
        return None


from mesocare.catalog.protocol_models import (  # noqa: E402
    Indication,
    InstructionSet,
    Protocol,
    ProtocolProduct,
    ProtocolVersion,
    Zone,
)

__all__ = [
    "AllergenFamily",
    "Indication",
    "Ingredient",
    "InstructionSet",
    "Product",
    "ProductIngredient",
    "Protocol",
    "ProtocolProduct",
    "ProtocolVersion",
    "Zone",
]
