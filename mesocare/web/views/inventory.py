"""Stock pages: lots with on hand and alerts, receiving (with a GS1 scan field), waste /
adjust / return, recall with its recipients and CSV export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from mesocare.catalog.models import Product
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.inventory.choices import MovementKind
from mesocare.inventory.services import alerts, recall, stock
from mesocare.web.views.base import apply_domain_errors, staff_view

CARD_ROWS = 10


def alerts_card(actor: Actor) -> dict[str, Any]:
    found = alerts.stock_alerts(actor, timezone.localdate(), limit=CARD_ROWS)
    return {"low_stock": found.low_stock[:CARD_ROWS], "near_expiry": found.near_expiry}


class FilterForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=Product.objects.none(), required=False, label=gettext_lazy("Product")
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, label=gettext_lazy("Location")
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = stock.visible_products(actor)  # type: ignore[attr-defined]
        self.fields["location"].queryset = Location.objects.for_org(actor.org_id)  # type: ignore[attr-defined]


class ReceiveForm(FilterForm):
    gs1 = forms.CharField(
        label=gettext_lazy("Scan (GS1 DataMatrix / GS1-128)"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Scan the box: lot, expiry and product are read from the code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    lot_number = forms.CharField(label=gettext_lazy("Lot number"), required=False, max_length=20)
    expiry = forms.DateField(
        label=gettext_lazy("Expiry"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    quantity = forms.DecimalField(
        label=gettext_lazy("Quantity (mL)"), min_value=Decimal("0.001"), decimal_places=3
    )
    supplier = forms.CharField(label=gettext_lazy("Supplier"), required=False, max_length=200)
    unit_cost = forms.DecimalField(
        label=gettext_lazy("Unit cost (per mL)"),
        required=False,
        min_value=Decimal(0),
        decimal_places=2,
    )

    field_order = ["gs1", "product", "location", "lot_number", "expiry", "quantity"]

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(actor, *args, **kwargs)
        self.fields["location"].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("gs1"):
            for field in ("product", "lot_number", "expiry"):
                if not data.get(field):
                    self.add_error(field, _("Required unless you scan the box."))
        return data


class MovementForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[(k.value, k.label) for k in stock.MANUAL_KINDS], label=gettext_lazy("What")
    )
    quantity_ml = forms.DecimalField(
        label=gettext_lazy("Quantity (mL)"),
        decimal_places=3,
        help_text=gettext_lazy("Amount wasted or returned; for an adjustment + or −."),
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)


class RecallForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Recall reason (supplier or regulator notice)"),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    confirm = forms.BooleanField(label=gettext_lazy("Block this lot for every further use."))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Own ids: the lot page also shows the movement form, whose "reason" had the same id,
        # so the recall reason's label pointed at the other form's field.
        kwargs.setdefault("auto_id", "id_recall_%s")
        super().__init__(*args, **kwargs)


def _list_context(actor: Actor, request: HttpRequest, **extra: Any) -> dict[str, Any]:
    filters = FilterForm(actor, request.GET or None)
    product = location = None
    if filters.is_valid():
        product = filters.cleaned_data["product"]
        location = filters.cleaned_data["location"]
    lots = stock.list_lots(
        actor,
        product=product.pk if product else None,
        location=location.pk if location else None,
    )
    today = timezone.localdate()
    return {
        "filters": filters,
        "lots": list(lots[:500]),
        "today": today,
        "soon": today + dt.timedelta(days=alerts.NEAR_EXPIRY_DAYS),
        "alerts": alerts.stock_alerts(actor, today),
        "receive_form": extra.pop("receive_form", None)
        or (ReceiveForm(actor) if actor.can(Perm.STOCK_EDIT) else None),
        **extra,
    }


@staff_view(Perm.STOCK_VIEW)
def lot_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(request, "web/inventory/lots.html", _list_context(actor, request))


@require_POST
@staff_view(Perm.STOCK_EDIT)
def lot_receive(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = ReceiveForm(actor, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            if d["gs1"]:
                lot = stock.receive_scanned(
                    actor,
                    scan=d["gs1"],
                    location=d["location"],
                    quantity_ml=d["quantity"],
                    product=d["product"],
                    supplier=d["supplier"],
                    unit_cost=d["unit_cost"],
                    today=timezone.localdate(timezone=d["location"].tz),
                )
            else:
                lot = stock.receive_stock(
                    actor,
                    product=d["product"],
                    location=d["location"],
                    lot_number=d["lot_number"],
                    expiry=d["expiry"],
                    quantity_ml=d["quantity"],
                    supplier=d["supplier"],
                    unit_cost=d["unit_cost"],
                )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Received %(qty)s mL of lot %(lot)s.")
                % {"qty": d["quantity"], "lot": lot.lot_number},
            )
            return redirect("web:lot-list")
    context = _list_context(actor, request, receive_form=form)
    return render(request, "web/inventory/lots.html", context, status=422)


def _detail(
    request: HttpRequest, actor: Actor, lot_id: int, status: int = 200, **forms_: Any
) -> HttpResponse:
    lot = stock.get_lot(actor, lot_id)
    context = {
        "lot": lot,
        "movements": list(lot.movements.select_related("by").order_by("-at", "-id")[:200]),
        "movement_form": forms_.get("movement_form")
        or (MovementForm() if actor.can(Perm.STOCK_EDIT) else None),
        "recall_form": forms_.get("recall_form")
        or (RecallForm() if actor.can(Perm.STOCK_RECALL) and not lot.recalled else None),
        "can_trace": actor.can(Perm.CLINICAL_VIEW),
        "kinds": MovementKind,
    }
    return render(request, "web/inventory/lot.html", context, status=status)


@staff_view(Perm.STOCK_VIEW)
def lot_detail(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    return _detail(request, actor, lot_id)


@require_POST
@staff_view(Perm.STOCK_EDIT)
def lot_movement(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    lot = stock.get_lot(actor, lot_id)
    form = MovementForm(request.POST)
    if form.is_valid():
        try:
            stock.record_movement(actor, lot, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Stock movement recorded."))
            return redirect("web:lot-detail", lot_id=lot.pk)
    return _detail(request, actor, lot_id, status=422, movement_form=form)


@require_POST
@staff_view(Perm.STOCK_RECALL)
def lot_recall(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    lot = stock.get_lot(actor, lot_id)
    form = RecallForm(request.POST)
    if form.is_valid():
        try:
            recall.recall_lot(actor, lot, form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Lot %s recalled.") % lot.lot_number)
            return redirect("web:lot-recipients", lot_id=lot.pk)
    return _detail(request, actor, lot_id, status=422, recall_form=form)


@staff_view(Perm.CLINICAL_VIEW)
def lot_recipients(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    lot = stock.get_lot(actor, lot_id)
    rows = recall.lot_recipients(actor, lot, channel="web")
    context = {
        "lot": lot,
        "rows": rows,
        "patient_count": len({r.patient_id for r in rows}),
        "volume": sum((r.volume_ml for r in rows), Decimal(0)),
    }
    return render(request, "web/inventory/recipients.html", context)


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def lot_notify_recipients(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    """Queue a recall notice to each recipient (the button asks for confirmation first)."""
    lot = stock.get_lot(actor, lot_id)
    try:
        queued = recall.notify_recipients(actor, lot)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            ngettext(
                "Recall notice queued for %(n)d patient.",
                "Recall notice queued for %(n)d patients.",
                queued,
            )
            % {"n": queued},
        )
    return redirect("web:lot-recipients", lot_id=lot.pk)


@staff_view(Perm.CLINICAL_VIEW)
def lot_recipients_csv(request: HttpRequest, actor: Actor, lot_id: int) -> HttpResponse:
    lot = stock.get_lot(actor, lot_id)
    rows = recall.lot_recipients(actor, lot, channel="web", export=True)
    response = HttpResponse(recall.recipients_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="recall-lot-{lot.pk}-{timezone.localdate():%Y%m%d}.csv"'
    )
    return response
