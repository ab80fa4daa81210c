"""The price list: items with versioned amounts, deposit rules, the cancellation policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.choices import DepositKind, RefundPolicy, ServiceKind
from mesocare.billing.models import CancellationPolicy, DepositRule, PriceItem, PriceVersion
from mesocare.billing.services.common import amount_in, check_tax, currency_code, missing
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.lib.validation import full_clean_or_invalid

ITEM_FIELDS = (
    "code",
    "name",
    "kind",
    "tax_category",
    "tax_rate",
    "exemption_code",
    "exemption_reason",
    "active",
)


def price_items(org_id: int) -> models.QuerySet[PriceItem]:
    """Items with their current amount (`current_amount`) and deposit rule, in two queries."""
    now = timezone.now()
    current = (
        PriceVersion.objects.filter(item=OuterRef("pk"), valid_from__lte=now)
        .order_by("-valid_from", "-id")
        .values("amount")[:1]
    )
    return (
        PriceItem.objects.for_org(org_id)
        .select_related("deposit_rule")
        .annotate(
            current_amount=Subquery(
                current, output_field=models.DecimalField(max_digits=12, decimal_places=2)
            )
        )
        .prefetch_related(
            Prefetch("versions", queryset=PriceVersion.objects.order_by("-valid_from", "-id"))
        )
    )


def list_prices(actor: Actor, *, active: bool | None = None) -> models.QuerySet[PriceItem]:
    actor.require(Perm.BILLING_VIEW)
    qs = price_items(actor.org_id)
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def get_price_item(actor: Actor, pk: Any) -> PriceItem:
    actor.require(Perm.BILLING_VIEW)
    return get_for_org(PriceItem, actor.org_id, pk, queryset=price_items(actor.org_id))


def price_at(item: PriceItem, at: dt.datetime | None = None) -> PriceVersion:
    """The version of the item's amount valid at `at` (now by default)."""
    version = (
        PriceVersion.objects.filter(item=item, valid_from__lte=at or timezone.now())
        .order_by("-valid_from", "-id")
        .first()
    )
    if version is None:
        raise Conflict(
            "no_price", _("%(item)s has no price yet.") % {"item": item.name}, item=item.pk
        )
    return version


def _protocol(actor: Actor, protocol_id: Any) -> Protocol | None:
    if protocol_id in (None, ""):
        return None
    protocol = Protocol.objects.filter(
        models.Q(organization__isnull=True) | models.Q(organization_id=actor.org_id),
        pk=protocol_id,
    ).first()
    if protocol is None:
        raise missing("protocol_id", _("No protocol with id %s.") % protocol_id)
    return protocol


def _valid_from(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return timezone.now()
    if timezone.is_naive(value):
        raise Invalid.field("valid_from", _("Give the time with its UTC offset."))
    return value


@transaction.atomic
def create_price_item(
    actor: Actor,
    *,
    code: str,
    name: str,
    kind: str,
    amount: Any,
    currency: str = "EUR",
    tax_category: str = "E",
    tax_rate: Any = 0,
    exemption_code: str = "",
    exemption_reason: str = "",
    protocol_id: Any = None,
    valid_from: dt.datetime | None = None,
    deposit_kind: str | None = None,
    deposit_value: Any = None,
    channel: str = "api",
) -> PriceItem:
    actor.require(Perm.PRICE_MANAGE)
    code_ = currency_code(currency)
    amount_ = amount_in(amount, code_)
    category, rate = check_tax(tax_category, tax_rate, exemption_reason)
    if kind not in ServiceKind.values:
        raise Invalid.field("kind", _("Choose a kind of service."))
    protocol = _protocol(actor, protocol_id)
    if kind == ServiceKind.SESSION and protocol is None:
        raise Invalid.field("protocol_id", _("A treatment session is priced per protocol."))
    item = PriceItem(
        organization_id=actor.org_id,
        code=(code or "").strip(),
        name=(name or "").strip(),
        kind=kind,
        protocol=protocol,
        currency=code_,
        tax_category=category,
        tax_rate=rate,
        exemption_code=(exemption_code or "").strip(),
        exemption_reason=(exemption_reason or "").strip(),
    )
    full_clean_or_invalid(item, exclude=["organization"])
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        raise Invalid.field("code", _("Another item has this code."), code="duplicate") from None
    PriceVersion.objects.create(
        organization_id=actor.org_id,
        item=item,
        amount=amount_,
        valid_from=_valid_from(valid_from),
        created_by=actor.user,
    )
    if deposit_kind:
        _set_deposit(actor, item, deposit_kind, deposit_value)
    record(
        actor,
        AuditAction.CREATE,
        item,
        summary=f"price item {item.code}: {amount_} {code_}",
        changes={"amount": [None, str(amount_)]},
        channel=channel,
    )
    return item


def _set_deposit(actor: Actor, item: PriceItem, kind: str | None, value: Any) -> None:
    if not kind:
        DepositRule.objects.filter(item=item).delete()
        return
    if kind not in DepositKind.values:
        raise Invalid.field("deposit_kind", _("Choose a fixed amount or a percent."))
    amount = amount_in(value, item.currency, "deposit_value", allow_zero=False)
    if kind == DepositKind.PERCENT and amount > 100:
        raise Invalid.field("deposit_value", _("A percent lies between 0 and 100."))
    DepositRule.objects.update_or_create(
        item=item, defaults={"organization_id": actor.org_id, "kind": kind, "value": amount}
    )


@transaction.atomic
def update_price_item(
    actor: Actor,
    item: PriceItem,
    changes: dict[str, Any],
    *,
    channel: str = "api",
) -> PriceItem:
    """Change name, VAT treatment, active flag or deposit rule, or set a new amount
    (`amount`, from `valid_from`, default now): a new version, never an edit of the old one."""
    actor.require(Perm.PRICE_MANAGE)
    locked = get_for_org(
        PriceItem, actor.org_id, item.pk, queryset=PriceItem.objects.select_for_update()
    )
    before = {f: getattr(locked, f) for f in ITEM_FIELDS}
    for field in ("name", "exemption_code", "exemption_reason"):
        if field in changes:
            setattr(locked, field, (changes[field] or "").strip())
    if "active" in changes:
        locked.active = bool(changes["active"])
    if "tax_category" in changes or "tax_rate" in changes or "exemption_reason" in changes:
        locked.tax_category, locked.tax_rate = check_tax(
            changes.get("tax_category", locked.tax_category),
            changes.get("tax_rate", locked.tax_rate),
            locked.exemption_reason,
        )
    full_clean_or_invalid(locked, exclude=["organization"])
    locked.save()
    after = {f: getattr(locked, f) for f in ITEM_FIELDS}
    diff: dict[str, list[str | None]] = {
        f: [str(before[f]), str(after[f])] for f in ITEM_FIELDS if before[f] != after[f]
    }
    if "amount" in changes:
        amount = amount_in(changes["amount"], locked.currency)
        valid_from = _valid_from(changes.get("valid_from"))
        if PriceVersion.objects.filter(item=locked, valid_from=valid_from).exists():
            raise Invalid.field("valid_from", _("The item already has a price from this time."))
        PriceVersion.objects.create(
            organization_id=actor.org_id,
            item=locked,
            amount=amount,
            valid_from=valid_from,
            created_by=actor.user,
        )
        diff["amount"] = [None, f"{amount} from {valid_from.isoformat()}"]
    if "deposit_kind" in changes:
        _set_deposit(actor, locked, changes["deposit_kind"], changes.get("deposit_value"))
        diff["deposit"] = [None, f"{changes['deposit_kind']} {changes.get('deposit_value')}"]
    record(
        actor,
        AuditAction.UPDATE,
        locked,
        summary=f"price item {locked.code}",
        changes=diff,
        channel=channel,
    )
    return get_for_org(PriceItem, actor.org_id, locked.pk, queryset=price_items(actor.org_id))


def session_item(org_id: int, protocol_id: int | None) -> PriceItem | None:
    """The active price item of a session of this protocol, if the clinic priced one."""
    if protocol_id is None:
        return None
    return (
        PriceItem.objects.for_org(org_id)
        .filter(kind=ServiceKind.SESSION, protocol_id=protocol_id, active=True)
        .select_related("deposit_rule")
        .order_by("id")
        .first()
    )


def deposit_for(item: PriceItem) -> Decimal | None:
    """The deposit a booking of this item asks for, or None when it has no rule."""
    from mesocare.core import money

    rule = getattr(item, "deposit_rule", None)
    if rule is None:
        try:
            rule = item.deposit_rule
        except DepositRule.DoesNotExist:
            return None
    if rule.kind == DepositKind.AMOUNT:
        return rule.value
    price = price_at(item).amount
    return money.round_money(price * rule.value / 100, item.currency)


# Cancellation policy ---------------------------------------------------------------------


def current_policy(org_id: int) -> CancellationPolicy | None:
    return (
        CancellationPolicy.objects.for_org(org_id)
        .filter(valid_from__lte=timezone.now())
        .order_by("-version")
        .first()
    )


@transaction.atomic
def set_cancellation_policy(
    actor: Actor,
    *,
    late_cancel_hours: int,
    forfeit_on_no_show: bool = True,
    forfeit_on_late_cancel: bool = True,
    refund_policy: str = RefundPolicy.PRO_RATA,
    fee_amount: Any = 0,
    currency: str = "EUR",
    channel: str = "api",
) -> CancellationPolicy:
    """A new version of the policy; deposits and cancelled courses record the version used."""
    actor.require(Perm.PRICE_MANAGE)
    if refund_policy not in RefundPolicy.values:
        raise Invalid.field("refund_policy", _("Choose pro rata or pro rata less a fee."))
    if not isinstance(late_cancel_hours, int) or not 0 <= late_cancel_hours <= 24 * 30:
        raise Invalid.field("late_cancel_hours", _("Between 0 and 720 hours."))
    fee = amount_in(fee_amount, currency_code(currency), "fee_amount")
    if refund_policy == RefundPolicy.FEE and fee == 0:
        raise Invalid.field("fee_amount", _("A fee policy needs a fee."))
    last = (
        CancellationPolicy.objects.for_org(actor.org_id)
        .select_for_update()
        .order_by("-version")
        .first()
    )
    policy = CancellationPolicy.objects.create(
        organization_id=actor.org_id,
        version=(last.version + 1) if last else 1,
        late_cancel_hours=late_cancel_hours,
        forfeit_on_no_show=forfeit_on_no_show,
        forfeit_on_late_cancel=forfeit_on_late_cancel,
        refund_policy=refund_policy,
        fee_amount=fee,
        created_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        policy,
        summary=f"cancellation policy v{policy.version}",
        channel=channel,
    )
    return policy


def get_policy(actor: Actor) -> CancellationPolicy:
    actor.require(Perm.BILLING_VIEW)
    policy = current_policy(actor.org_id)
    if policy is None:
        raise NotFound("not_found", _("The clinic has no cancellation policy yet."))
    return policy
