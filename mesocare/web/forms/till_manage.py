"""Forms of the till's admin and correction pages: editing a price (a new version from a day)
or a course offer (a new version when its price or sessions change), the cancellation policy,
cancelling a course with its refund, refunding a credit note and crediting chosen lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mesocare.billing.choices import PaymentMethod, RefundPolicy
from mesocare.billing.models import InvoiceLine

_MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": Decimal(0)}


class PriceEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    amount = forms.DecimalField(label=_("Price (net of VAT)"), **_MONEY)  # type: ignore[arg-type]
    valid_from = forms.DateField(
        label=_("New price from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "Today when empty. Invoices already issued keep the price they were issued at."
        ),
    )
    active = forms.BooleanField(
        label=_("On sale"),
        required=False,
        help_text=_("Clear to withdraw the item: it is no longer offered at checkout."),
    )


class OfferEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1, max_value=100)
    price = forms.DecimalField(label=_("Package price (net of VAT)"), **_MONEY)  # type: ignore[arg-type]
    validity_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650)
    max_instalments = forms.IntegerField(label=_("Instalments allowed"), min_value=1, max_value=24)
    active = forms.BooleanField(
        label=_("On sale"),
        required=False,
        help_text=_("Clear to withdraw the course: courses already sold are not affected."),
    )


class PolicyForm(forms.Form):
    late_cancel_hours = forms.IntegerField(
        label=_("Late cancellation (hours before)"), min_value=0, max_value=720
    )
    forfeit_on_late_cancel = forms.BooleanField(
        label=_("Deposit forfeited on late cancellation"), required=False
    )
    forfeit_on_no_show = forms.BooleanField(label=_("Deposit forfeited on no-show"), required=False)
    refund_policy = forms.ChoiceField(label=_("Course refund"), choices=RefundPolicy.choices)
    fee_amount = forms.DecimalField(
        label=_("Cancellation fee (with VAT)"),
        initial=Decimal(0),
        help_text=_("Kept from the unused part of a cancelled course under the fee policy."),
        **_MONEY,  # type: ignore[arg-type]
    )


class CancelCourseForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500)
    refund_method = forms.ChoiceField(
        label=_("Pay the refund back by"),
        required=False,
        choices=[("", _("Keep it as credit on the account")), *PaymentMethod.choices],
    )
    reference = forms.CharField(
        label=_("Reference"),
        max_length=100,
        required=False,
        help_text=_("Transfer reference or receipt number of the refund."),
    )


class CreditLinesForm(forms.Form):
    """A credit note for chosen lines: one quantity field per line of the invoice."""

    reason = forms.CharField(label=_("Reason"), max_length=500)

    def __init__(
        self, *args: Any, lines: list[InvoiceLine], left: dict[int, Decimal], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"line_{line.pk}"] = forms.DecimalField(
                label=line.description,
                required=False,
                min_value=Decimal(0),
                max_digits=10,
                decimal_places=3,
                help_text=_("Up to %(left)s left to credit.") % {"left": left.get(line.pk, 0)},
            )

    def quantities(self) -> list[tuple[int, Decimal]]:
        return [
            (line.pk, self.cleaned_data[f"line_{line.pk}"])
            for line in self.lines
            if self.cleaned_data.get(f"line_{line.pk}")
        ]
