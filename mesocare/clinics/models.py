from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.choices import InvitationStatus, Role, RoomKind, TaxRegime, Weekday
from mesocare.clinics.tenancy import OrgOwned


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(tz)s is not a known time zone."), params={"tz": value})


def logo_storage() -> FileSystemStorage:
    """MEDIA_ROOT without a public URL (the logo is embedded in PDFs and served by a view)."""
    from mesocare.outcomes.models import PrivateStorage

    return PrivateStorage()


class Organization(models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Letterhead logo: re-encoded from its pixels alone on upload (no EXIF, GPS or comments),
    # like patient photos; see `mesocare.clinics.letterhead.store_logo`.
    logo = models.FileField(
        _("logo"), storage=logo_storage, upload_to="logos/", max_length=255, blank=True
    )

    def __str__(self) -> str:
        return self.name


class Location(OrgOwned):
    name = models.CharField(_("name"), max_length=200)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="location_name_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)


class _WeeklyInterval(models.Model):
    weekday = models.IntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("from"))
    closes = models.TimeField(_("until"))

    class Meta:
        abstract = True
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": _("Must be later than the start time.")})


class OpeningHours(_WeeklyInterval, OrgOwned):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")

    class Meta(_WeeklyInterval.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="opening_hours_order"
            )
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The location's organization: created through `location.opening_hours` or by location.
        if self.organization_id is None and self.location_id is not None:
            self.organization_id = self.location.organization_id
        super().save(*args, **kwargs)


class Room(OrgOwned):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=RoomKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name", "organization"], name="room_name_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location})"


class Membership(OrgOwned):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    default_location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization_id", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()}"


class WorkingHours(_WeeklyInterval, OrgOwned):
    """When a practitioner works at a location; gaps between intervals are breaks."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="working_hours")

    class Meta(_WeeklyInterval.Meta):
        ordering = ["membership_id", "location_id", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(opens__lt=models.F("closes")), name="working_hours_order"
            )
        ]


class Invitation(OrgOwned):
    """An offer to join the organization, sent by email as a single-use link. Only the SHA-256
    of the link's token is stored, so a copy of the database cannot accept invitations."""

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    title = models.CharField(_("title"), max_length=100, blank=True)
    default_location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "email"], name="invitation_org_email")]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    def status_at(self, now: dt.datetime) -> str:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= now:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING


def _validate_vat_number(value: str) -> None:
    from stdnum.eu import vat

    if not vat.is_valid(value):
        raise ValidationError(
            _("Enter a valid VAT number with its country prefix, e.g. IT12345670017.")
        )


def _validate_iban(value: str) -> None:
    from stdnum import iban

    if not iban.is_valid(value):
        raise ValidationError(_("Enter a valid IBAN."))


class LegalDetails(models.Model):
    """The organization as an invoice names it (EN 16931 seller, FatturaPA CedentePrestatore)."""

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="legal_details"
    )
    legal_name = models.CharField(_("legal name"), max_length=200)
    vat_number = models.CharField(
        _("VAT number"),
        max_length=20,
        validators=[_validate_vat_number],
        help_text=_("With its country prefix, e.g. IT12345670017."),
    )
    tax_code = models.CharField(
        _("tax code (codice fiscale)"),
        max_length=16,
        blank=True,
        help_text=_("Italian companies: usually the VAT number's 11 digits."),
    )
    address_line1 = models.CharField(_("address"), max_length=100)
    address_line2 = models.CharField(_("address, second line"), max_length=100, blank=True)
    postcode = models.CharField(_("postcode"), max_length=12)
    city = models.CharField(_("city"), max_length=60)
    province = models.CharField(
        _("province"), max_length=2, blank=True, help_text=_("Two letters, e.g. MI.")
    )
    country = models.CharField(
        _("country"), max_length=2, default="IT", help_text=_("ISO 3166 code, e.g. IT.")
    )
    tax_regime = models.CharField(
        _("tax regime"), max_length=4, choices=TaxRegime.choices, default=TaxRegime.ORDINARY
    )
    rea_office = models.CharField(
        _("REA office"), max_length=2, blank=True, help_text=_("Province of the register, e.g. MI.")
    )
    rea_number = models.CharField(_("REA number"), max_length=20, blank=True)
    iban = models.CharField(
        _("IBAN"),
        max_length=34,
        blank=True,
        validators=[_validate_iban],
        help_text=_("Printed on invoices paid by bank transfer."),
    )
    email = models.EmailField(_("billing email"), blank=True)
    default_recipient_code = models.CharField(
        _("default SDI recipient code"),
        max_length=7,
        default="0000000",
        help_text=_("Seven characters; 0000000 for patients without an SDI channel."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("legal details")
        verbose_name_plural = _("legal details")

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        errors: dict[str, object] = {}
        country = (self.country or "").upper()
        if country == "IT":
            from stdnum.it import codicefiscale, iva

            if self.postcode and not (self.postcode.isdigit() and len(self.postcode) == 5):
                errors["postcode"] = _("An Italian postcode (CAP) has five digits.")
            if not self.province or not self.province.isalpha():
                errors["province"] = _("Enter the province's two letters, e.g. MI.")
            if self.tax_code and not (
                iva.is_valid(self.tax_code) or codicefiscale.is_valid(self.tax_code)
            ):
                errors["tax_code"] = _("Enter a valid codice fiscale (11 digits or 16 characters).")
        if self.rea_number and len(self.rea_office or "") != 2:
            errors["rea_office"] = _("Enter the REA office's two letters, e.g. MI.")
        code = self.default_recipient_code or ""
        if len(code) != 7 or not code.isalnum():
            errors["default_recipient_code"] = _("A recipient code has seven letters or digits.")
        if errors:
            raise ValidationError(errors)
