"""Forms of the till's staff pages: legal details, checkout, payments, prices and packages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.billing.choices import DepositKind, PaymentMethod, ServiceKind, TaxCategory
from mesocare.billing.models import PackageOffer, PriceItem
from mesocare.catalog.models import Protocol
from mesocare.clinics.legal import FIELDS
from mesocare.clinics.models import LegalDetails, Location

MAX_LOGO_BYTES = 5 * 1024 * 1024


class LegalDetailsForm(forms.ModelForm):
    """The clinic as seller on its invoices; the model's checks run on `is_valid`."""

    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG or JPEG; printed on invoices and other documents."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(label=_("Remove the logo"), required=False)

    class Meta:
        model = LegalDetails
        fields = FIELDS

    def clean_logo(self) -> object:
        logo = self.cleaned_data.get("logo")
        if logo is not None and logo.size > MAX_LOGO_BYTES:
            raise forms.ValidationError(_("The logo is larger than 5 MB."))
        return logo


class PaymentForm(forms.Form):
    """Money taken at the desk (recorded, not processed)."""

    amount = forms.DecimalField(label=_("Amount"), max_digits=12, decimal_places=2, min_value=0)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Terminal receipt, transfer reference or voucher number."),
    )


class SellPackageForm(forms.Form):
    offer = forms.ModelChoiceField(label=_("Course"), queryset=PackageOffer.objects.none())
    instalments = forms.IntegerField(label=_("Instalments"), min_value=1, max_value=24, initial=1)

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].queryset = (  # type: ignore[attr-defined]
            PackageOffer.objects.for_org(org_id).filter(active=True).order_by("name", "id")
        )


class ExtrasForm(forms.Form):
    """Add-ons and products to add at checkout: one quantity field per active item."""

    def __init__(self, *args: Any, items: list[PriceItem], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            self.fields[f"item_{item.pk}"] = forms.IntegerField(
                label=item.name, min_value=0, max_value=99, required=False, initial=0
            )

    def requested(self) -> list[tuple[int, int]]:
        return [
            (item.pk, self.cleaned_data.get(f"item_{item.pk}") or 0)
            for item in self.items
            if self.cleaned_data.get(f"item_{item.pk}")
        ]


class CreditNoteForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)


class EmailInvoiceForm(forms.Form):
    email = forms.EmailField(label=_("Send to"))


class TakingsForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.none(), required=False
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.for_org(org_id).order_by("name")  # type: ignore[attr-defined]


class ExportForm(forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))


_TAX_HELP = _("For exempt items, the reason printed on the invoice (e.g. art. 10 DPR 633/1972).")


class PriceItemForm(forms.Form):
    code = forms.SlugField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceKind.choices)
    amount = forms.DecimalField(
        label=_("Price (net of VAT)"), max_digits=12, decimal_places=2, min_value=0
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    tax_category = forms.ChoiceField(label=_("VAT"), choices=TaxCategory.choices)
    tax_rate = forms.DecimalField(
        label=_("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
    )
    exemption_code = forms.CharField(
        label=_("Exemption code (VATEX)"),
        max_length=30,
        required=False,
        initial="VATEX-EU-132-1C",
    )
    exemption_reason = forms.CharField(
        label=_("Exemption reason"), max_length=300, required=False, help_text=_TAX_HELP
    )
    protocol = forms.ModelChoiceField(
        label=_("Protocol (for a session)"), queryset=Protocol.objects.none(), required=False
    )
    deposit_kind = forms.ChoiceField(
        label=_("Deposit"), choices=[("", _("None")), *DepositKind.choices], required=False
    )
    deposit_value = forms.DecimalField(
        label=_("Deposit amount or percent"), max_digits=12, decimal_places=2, required=False
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = _protocols(org_id)  # type: ignore[attr-defined]


class PackageOfferForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    protocol = forms.ModelChoiceField(label=_("Protocol"), queryset=Protocol.objects.none())
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1, max_value=100)
    price = forms.DecimalField(
        label=_("Package price (net of VAT)"), max_digits=12, decimal_places=2, min_value=0
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    validity_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=3650, initial=365
    )
    max_instalments = forms.IntegerField(
        label=_("Instalments allowed"), min_value=1, max_value=24, initial=1
    )
    tax_category = forms.ChoiceField(label=_("VAT"), choices=TaxCategory.choices)
    tax_rate = forms.DecimalField(
        label=_("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        initial=0,
    )
    exemption_code = forms.CharField(
        label=_("Exemption code (VATEX)"),
        max_length=30,
        required=False,
        initial="VATEX-EU-132-1C",
    )
    exemption_reason = forms.CharField(
        label=_("Exemption reason"), max_length=300, required=False, help_text=_TAX_HELP
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["protocol"].queryset = _protocols(org_id)  # type: ignore[attr-defined]
        # a course can include a set of other services besides its sessions
        self.included = list(
            PriceItem.objects.for_org(org_id)
            .filter(active=True)
            .exclude(kind=ServiceKind.SESSION)
            .order_by("kind", "name", "id")
        )
        for item in self.included:
            self.fields[f"include_{item.pk}"] = forms.IntegerField(
                label=_("Included: %(item)s") % {"item": item.name},
                required=False,
                min_value=0,
                max_value=100,
            )

    def components(self) -> list[dict[str, int]]:
        """The included services asked for, as `create_offer` takes them."""
        return [
            {"item_id": item.pk, "quantity": self.cleaned_data[f"include_{item.pk}"]}
            for item in self.included
            if self.cleaned_data.get(f"include_{item.pk}")
        ]


def _protocols(org_id: int) -> Any:
    return Protocol.objects.filter(
        models.Q(organization__isnull=True) | models.Q(organization_id=org_id)
    ).order_by("name", "id")
