"""Issuing invoices and credit notes: gapless numbers, EN 16931 totals, immutable rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.billing.choices import (
    CREDIT_NOTE_SERIES,
    DEFAULT_SERIES,
    DepositStatus,
    InvoiceKind,
    PackageStatus,
    ServiceKind,
)
from mesocare.billing.models import (
    CreditNote,
    CreditNoteLine,
    Deposit,
    Invoice,
    InvoiceCounter,
    InvoiceLine,
    PackageAllowance,
    PackageConsumption,
    PatientPackage,
    PriceItem,
    PriceVersion,
)
from mesocare.billing.services.common import amount_in, currency_code, missing
from mesocare.billing.services.prices import price_at, session_item
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.errors import Conflict, Invalid
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

MAX_QUANTITY = Decimal("9999")


@dataclass
class LineSpec:
    """One line to invoice; `unit_price` and the VAT treatment are copied onto the line."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_category: str
    tax_rate: Decimal
    exemption_code: str = ""
    exemption_reason: str = ""
    item: PriceItem | None = None
    price_version: PriceVersion | None = None
    package: PatientPackage | None = None
    invoice_line: InvoiceLine | None = None  # credit notes: the line corrected


@dataclass
class ItemRequest:
    """A priced item asked for by a client: `item_id` × `quantity`."""

    item_id: int
    quantity: Decimal = field(default_factory=lambda: Decimal(1))


def next_number(org_id: int, series: str, year: int) -> int:
    """Take the next number of the series and year; the counter row stays locked until the
    issuing transaction ends, so concurrent issuers wait and no number is skipped or reused."""
    counters = InvoiceCounter.objects.select_for_update()
    counter = counters.filter(organization_id=org_id, series=series, year=year).first()
    if counter is None:
        try:
            with transaction.atomic():
                InvoiceCounter.objects.create(organization_id=org_id, series=series, year=year)
        except IntegrityError:
            pass  # another issuer created it first; lock theirs
        counter = counters.get(organization_id=org_id, series=series, year=year)
    number = counter.next_number
    counter.next_number = number + 1
    counter.save(update_fields=["next_number"])
    return number


def _series(value: str | None) -> str:
    series = (value or DEFAULT_SERIES).strip().upper()
    if not series or len(series) > 8 or not series.replace("-", "").isalnum():
        raise Invalid.field("series", _("A series is 1 to 8 letters or digits."))
    if series == CREDIT_NOTE_SERIES:
        raise Invalid.field("series", _("This series is kept for credit notes."))
    return series


def _buyer(patient: Patient) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"{patient.given_name} {patient.family_name}".strip(),
        "patient_id": patient.pk,
    }
    for attr in ("email", "phone", "address", "postal_code", "city", "country", "tax_code"):
        value = getattr(patient, attr, None)
        if value:
            data[attr] = str(value)
    return data


def _lines_of(specs: Sequence[LineSpec], currency: str) -> list[money.Line]:
    return [money.Line(s.quantity, s.unit_price, s.tax_category, s.tax_rate) for s in specs]


def issue_invoice(
    actor: Actor,
    *,
    patient: Patient,
    location: Location,
    kind: str,
    currency: str,
    specs: Sequence[LineSpec],
    prepaid: Decimal = Decimal(0),
    series: str | None = None,
    source_appointment: Appointment | None = None,
    source_session: TreatmentSession | None = None,
    source_package: PatientPackage | None = None,
    note: str = "",
    channel: str = "api",
) -> Invoice:
    """The one writer of invoices; callers check permissions and build the lines.
    Must run inside the caller's transaction (the counter stays locked until it commits)."""
    if not specs:
        raise Invalid.field("items", _("An invoice needs at least one line."), code="no_lines")
    totals = money.invoice_totals(_lines_of(specs, currency), currency)
    applied = min(prepaid, totals.gross)
    now = timezone.now()
    local_date = timezone.localtime(now, location.tz).date()
    series_ = _series(series)
    invoice = Invoice.objects.create(
        organization_id=actor.org_id,
        series=series_,
        year=local_date.year,
        number=next_number(actor.org_id, series_, local_date.year),
        kind=kind,
        issued_at=now,
        issue_date=local_date,
        patient=patient,
        buyer=_buyer(patient),
        location=location,
        currency=currency,
        net_total=totals.net,
        tax_total=totals.tax,
        gross_total=totals.gross,
        prepaid=applied,
        amount_due=totals.gross - applied,
        source_appointment=source_appointment,
        source_session=source_session,
        source_package=source_package,
        note=note[:500],
        issued_by=actor.user,
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            organization_id=actor.org_id,
            invoice=invoice,
            position=i,
            item=spec.item,
            price_version=spec.price_version,
            package=spec.package,
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=spec.unit_price,
            net_amount=net,
            tax_category=spec.tax_category,
            tax_rate=spec.tax_rate,
            exemption_code=spec.exemption_code,
            exemption_reason=spec.exemption_reason,
        )
        for i, (spec, net) in enumerate(zip(specs, totals.line_nets, strict=True), start=1)
    )
    record(
        actor,
        AuditAction.CREATE,
        invoice,
        patient_id=patient.pk,
        summary=f"issued invoice {invoice.display_number}: {invoice.gross_total} {currency}",
        changes={"gross_total": [None, str(invoice.gross_total)], "kind": [None, kind]},
        channel=channel,
    )
    return invoice


def _quantity(value: Any, where: str) -> Decimal:
    try:
        qty = Decimal(str(value))
    except Exception:
        raise Invalid.field(where, _("Enter a quantity.")) from None
    if not qty.is_finite() or qty <= 0 or qty > MAX_QUANTITY:
        raise Invalid.field(where, _("A quantity lies between 0 and 9999."), code="bad_quantity")
    if qty != qty.quantize(Decimal("0.001")):
        raise Invalid.field(where, _("A quantity has at most three decimals."))
    return qty


def item_specs(
    actor: Actor, requests: Sequence[ItemRequest], currency: str | None, *, kinds: Sequence[str]
) -> tuple[list[LineSpec], str | None]:
    """Lines for priced items at their current price; every item in one currency."""
    specs: list[LineSpec] = []
    wanted = {r.item_id for r in requests}
    items = {i.pk: i for i in PriceItem.objects.for_org(actor.org_id).filter(pk__in=wanted)}
    for n, req in enumerate(requests):
        where = f"items[{n}].item_id"
        item = items.get(req.item_id)
        if item is None:
            raise missing(where, _("No price item with id %s.") % req.item_id)
        if not item.active:
            raise Invalid.field(where, _("%(item)s is no longer sold.") % {"item": item.name})
        if item.kind not in kinds:
            raise Invalid.field(
                where, _("%(item)s cannot be sold here.") % {"item": item.name}, code="wrong_kind"
            )
        if currency is None:
            currency = item.currency
        elif item.currency != currency:
            raise Invalid.field(
                where,
                _("%(item)s is priced in %(other)s; this invoice is in %(currency)s.")
                % {"item": item.name, "other": item.currency, "currency": currency},
                code="currency_mismatch",
            )
        version = price_at(item)
        specs.append(
            LineSpec(
                description=item.name,
                quantity=_quantity(req.quantity, f"items[{n}].quantity"),
                unit_price=version.amount,
                tax_category=item.tax_category,
                tax_rate=item.tax_rate,
                exemption_code=item.exemption_code,
                exemption_reason=item.exemption_reason,
                item=item,
                price_version=version,
            )
        )
    return specs, currency


def covered_by_packages(actor: Actor, patient_id: int, specs: list[LineSpec]) -> list[LineSpec]:
    """Services a course of the patient's includes (its allowances, see `PackageAllowance`)
    are used before they are charged: a zero line from the course for the part covered (the
    course expiring first goes first), the rest at the item's price. Runs in the invoice's
    transaction, the allowances locked."""
    wanted = {spec.item.pk for spec in specs if spec.item is not None}
    if not wanted:
        return specs
    allowances = list(
        PackageAllowance.objects.select_for_update(of=("self",))
        .filter(
            organization_id=actor.org_id,
            package__patient_id=patient_id,
            package__status__in=[PackageStatus.ACTIVE, PackageStatus.USED_UP],
            package__expires_on__gte=timezone.localdate(),
            item_id__in=wanted,
            quantity_used__lt=models.F("quantity_total"),
        )
        .select_related("package")
        .order_by("package__expires_on", "package__sold_at", "id")
    )
    if not allowances:
        return specs
    out: list[LineSpec] = []
    for spec in specs:
        rest = spec.quantity
        for allowance in allowances:
            if spec.item is None or allowance.item_id != spec.item.pk or rest < 1:
                continue
            take = min(allowance.quantity_left, int(rest))
            if take <= 0:
                continue
            allowance.quantity_used += take
            allowance.save(update_fields=["quantity_used"])
            package = allowance.package
            snapshot = package.offer_snapshot
            out.append(
                LineSpec(
                    description=_("%(service)s — from the prepaid course %(name)s")
                    % {"service": spec.description, "name": snapshot.get("name", "")},
                    quantity=Decimal(take),
                    unit_price=Decimal(0),
                    tax_category=snapshot.get("tax_category", "E"),
                    tax_rate=Decimal(str(snapshot.get("tax_rate", "0"))),
                    exemption_code=snapshot.get("exemption_code", ""),
                    exemption_reason=snapshot.get("exemption_reason", ""),
                    item=spec.item,
                    package=package,
                )
            )
            record(
                actor,
                AuditAction.UPDATE,
                package,
                patient_id=patient_id,
                summary=f"package {package.pk}: {take} × {spec.description} used "
                f"({allowance.quantity_used} of {allowance.quantity_total})",
                changes={
                    f"used {allowance.item_id}": [
                        allowance.quantity_used - take,
                        allowance.quantity_used,
                    ]
                },
                channel="system",
            )
            rest -= take
        if rest > 0:
            spec.quantity = rest
            out.append(spec)
    return out


def _location(actor: Actor, location_id: Any) -> Location:
    try:
        return get_for_org(Location, actor.org_id, location_id)
    except Exception:
        raise missing("location_id", _("No location with id %s.") % location_id) from None


@transaction.atomic
def issue_visit_invoice(
    actor: Actor,
    *,
    session_id: Any = None,
    appointment_id: Any = None,
    items: Sequence[ItemRequest] = (),
    series: str | None = None,
    channel: str = "api",
) -> Invoice:
    """The invoice of a visit: the signed session (or the attended appointment) with its
    protocol's session price — a zero line when the patient's package paid it — plus any
    add-ons and products; the appointment's paid deposit is applied (EN 16931 BT-113)."""
    actor.require(Perm.BILLING_CHARGE)
    session: TreatmentSession | None = None
    appointment: Appointment | None = None
    if session_id is not None:
        session = get_for_org(TreatmentSession, actor.org_id, session_id)
        if session.signed_at is None:
            raise Conflict("session_unsigned", _("Sign the session before invoicing it."))
        if session.appointment_id is not None:
            appointment = Appointment.objects.get(pk=session.appointment_id)
    elif appointment_id is not None:
        appointment = get_for_org(Appointment, actor.org_id, appointment_id)
        if appointment.status not in (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED):
            raise Conflict(
                "not_attended", _("Only an appointment the patient attended can be invoiced.")
            )
        session = TreatmentSession.objects.filter(
            appointment=appointment, signed_at__isnull=False
        ).first()
    else:
        raise Invalid.field("session_id", _("Name the session or the appointment to invoice."))
    patient = Patient.objects.get(pk=session.patient_id if session else appointment.patient_id)  # type: ignore[union-attr]
    location = Location.objects.get(
        pk=session.location_id if session else appointment.location_id  # type: ignore[union-attr]
    )
    if session is not None and Invoice.objects.filter(source_session=session).exists():
        raise Conflict("already_invoiced", _("This session is already invoiced."))
    if appointment is not None and Invoice.objects.filter(source_appointment=appointment).exists():
        raise Conflict("already_invoiced", _("This appointment is already invoiced."))

    specs: list[LineSpec] = []
    currency: str | None = None
    protocol_id = session.protocol_id if session else None
    if protocol_id is None and appointment is not None and appointment.plan_id is not None:
        protocol_id = (
            TreatmentPlan.objects.filter(pk=appointment.plan_id)
            .values_list("protocol_id", flat=True)
            .first()
        )
    item = session_item(actor.org_id, protocol_id)
    use = (
        PackageConsumption.objects.filter(session=session).select_related("package").first()
        if session is not None
        else None
    )
    if use is not None:
        package = use.package
        specs.append(
            LineSpec(
                description=_("%(name)s — session from the prepaid course (%(n)s of %(total)s)")
                % {
                    "name": package.offer_snapshot.get("name", ""),
                    "n": PackageConsumption.objects.filter(
                        package=package, consumed_at__lte=use.consumed_at
                    ).count(),
                    "total": package.sessions_total,
                },
                quantity=Decimal(1),
                unit_price=Decimal(0),
                tax_category=package.offer_snapshot.get("tax_category", "E"),
                tax_rate=Decimal(str(package.offer_snapshot.get("tax_rate", "0"))),
                exemption_code=package.offer_snapshot.get("exemption_code", ""),
                exemption_reason=package.offer_snapshot.get("exemption_reason", ""),
                package=package,
            )
        )
        currency = package.currency
    elif item is not None:
        version = price_at(item)
        specs.append(
            LineSpec(
                description=item.name,
                quantity=Decimal(1),
                unit_price=version.amount,
                tax_category=item.tax_category,
                tax_rate=item.tax_rate,
                exemption_code=item.exemption_code,
                exemption_reason=item.exemption_reason,
                item=item,
                price_version=version,
            )
        )
        currency = item.currency
    extra, currency = item_specs(
        actor,
        items,
        currency,
        kinds=(
            ServiceKind.CONSULTATION,
            ServiceKind.ADDON,
            ServiceKind.PRODUCT,
            ServiceKind.SESSION,
        ),
    )
    specs.extend(covered_by_packages(actor, patient.pk, extra))
    if not specs:
        raise Invalid.field(
            "items", _("Nothing to invoice: the protocol has no price; add items."), code="no_lines"
        )
    assert currency is not None
    deposit = None
    prepaid = Decimal(0)
    if appointment is not None:
        deposit = (
            Deposit.objects.select_for_update()
            .filter(appointment=appointment, status=DepositStatus.PAID)
            .first()
        )
        if deposit is not None and deposit.currency == currency:
            prepaid = deposit.amount
        else:
            deposit = None
    invoice = issue_invoice(
        actor,
        patient=patient,
        location=location,
        kind=InvoiceKind.VISIT,
        currency=currency,
        specs=specs,
        prepaid=prepaid,
        series=series,
        source_appointment=appointment,
        source_session=session,
        channel=channel,
    )
    if deposit is not None:
        deposit.status = DepositStatus.APPLIED
        deposit.invoice = invoice
        deposit.status_changed_at = timezone.now()
        deposit.save(update_fields=["status", "invoice", "status_changed_at"])
        record(
            actor,
            AuditAction.UPDATE,
            deposit,
            patient_id=patient.pk,
            summary=f"deposit applied to invoice {invoice.display_number}",
            channel=channel,
        )
    return invoice


@transaction.atomic
def issue_retail_invoice(
    actor: Actor,
    *,
    patient_id: Any,
    location_id: Any,
    items: Sequence[ItemRequest],
    series: str | None = None,
    channel: str = "api",
) -> Invoice:
    """A sale over the counter: products (and add-ons) at their current prices."""
    actor.require(Perm.BILLING_CHARGE)
    patient = _patient(actor, patient_id)
    location = _location(actor, location_id)
    specs, currency = item_specs(
        actor, items, None, kinds=(ServiceKind.PRODUCT, ServiceKind.ADDON, ServiceKind.CONSULTATION)
    )
    if not specs or currency is None:
        raise Invalid.field("items", _("Add at least one item."), code="no_lines")
    return issue_invoice(
        actor,
        patient=patient,
        location=location,
        kind=InvoiceKind.RETAIL,
        currency=currency,
        specs=specs,
        series=series,
        channel=channel,
    )


def _patient(actor: Actor, patient_id: Any) -> Patient:
    try:
        return get_for_org(Patient, actor.org_id, patient_id)
    except Exception:
        raise missing("patient_id", _("No patient with id %s.") % patient_id) from None


# Reading ----------------------------------------------------------------------------------


def invoice_queryset(org_id: int) -> models.QuerySet[Invoice]:
    lines: models.QuerySet[InvoiceLine] = InvoiceLine.objects.order_by("position")
    notes: models.QuerySet[CreditNote] = CreditNote.objects.order_by("issued_at", "id")
    return (
        Invoice.objects.filter(organization_id=org_id)
        .select_related("patient", "location")
        .prefetch_related(
            Prefetch("lines", queryset=lines),
            Prefetch("credit_notes", queryset=notes),
        )
    )


def get_invoice(actor: Actor, pk: Any, *, channel: str = "api") -> Invoice:
    """One invoice of the organization (a read of patient data: audited)."""
    actor.require(Perm.BILLING_VIEW)
    invoice = get_for_org(Invoice, actor.org_id, pk, queryset=invoice_queryset(actor.org_id))
    record(
        actor,
        AuditAction.READ,
        invoice,
        patient_id=invoice.patient_id,
        summary=f"invoice {invoice.display_number}",
        channel=channel,
    )
    return invoice


def list_invoices(
    actor: Actor,
    *,
    patient_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    channel: str = "api",
) -> list[Invoice]:
    actor.require(Perm.BILLING_VIEW)
    qs = invoice_queryset(actor.org_id)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if date_from is not None:
        qs = qs.filter(issue_date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(issue_date__lte=date_to)
    if kind:
        qs = qs.filter(kind=kind)
    rows = list(qs.order_by("-issued_at", "-id")[offset : offset + limit])
    record_list_read(
        actor,
        "billing.invoice",
        [r.patient_id for r in rows],
        patient_id=patient_id,
        summary="invoice list",
        channel=channel,
    )
    return rows


# Credit notes -----------------------------------------------------------------------------


@dataclass
class CreditRequest:
    """Credit `quantity` of an invoice line (all of what is left of it when None)."""

    line_id: int
    quantity: Decimal | None = None


def creditable(invoice: Invoice) -> Decimal:
    """What is left to credit on the invoice: its total less its credit notes."""
    done = CreditNote.objects.filter(invoice=invoice).aggregate(s=Sum("gross_total"))["s"]
    return invoice.gross_total - money.round_money(done or 0, invoice.currency)


def credited_quantities(invoice: Invoice) -> dict[int, Decimal]:
    rows = (
        CreditNoteLine.objects.filter(credit_note__invoice=invoice, invoice_line__isnull=False)
        .values("invoice_line_id")
        .annotate(q=Sum("quantity"))
    )
    return {r["invoice_line_id"]: r["q"] for r in rows}


def issue_credit(
    actor: Actor, invoice: Invoice, specs: Sequence[LineSpec], reason: str, channel: str
) -> CreditNote:
    """The one writer of credit notes (caller checks permission and holds the transaction)."""
    if not reason.strip():
        raise Invalid.field("reason", _("State why the invoice is corrected."))
    if not specs:
        raise Invalid.field("lines", _("Nothing left to credit on this invoice."), code="no_lines")
    # Lock the invoice's patient so two credit notes cannot both take the same remainder.
    Patient.objects.select_for_update().filter(pk=invoice.patient_id).first()
    totals = money.invoice_totals(_lines_of(specs, invoice.currency), invoice.currency)
    left = creditable(invoice)
    if totals.gross <= 0:
        raise Invalid.field("lines", _("A credit note must credit something."), code="no_lines")
    if totals.gross > left:
        raise Invalid.field(
            "lines",
            _("This credits %(amount)s but only %(left)s of the invoice is left to credit.")
            % {"amount": totals.gross, "left": left},
            code="credit_exceeds_invoice",
        )
    now = timezone.now()
    local_date = timezone.localtime(now, invoice.location.tz).date()
    note = CreditNote.objects.create(
        organization_id=actor.org_id,
        invoice=invoice,
        series=CREDIT_NOTE_SERIES,
        year=local_date.year,
        number=next_number(actor.org_id, CREDIT_NOTE_SERIES, local_date.year),
        issued_at=now,
        issue_date=local_date,
        patient_id=invoice.patient_id,
        location_id=invoice.location_id,
        currency=invoice.currency,
        reason=reason.strip()[:500],
        net_total=totals.net,
        tax_total=totals.tax,
        gross_total=totals.gross,
        issued_by=actor.user,
    )
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(
            organization_id=actor.org_id,
            credit_note=note,
            position=i,
            invoice_line=spec.invoice_line,
            description=spec.description[:300],
            quantity=spec.quantity,
            unit_price=spec.unit_price,
            net_amount=net,
            tax_category=spec.tax_category,
            tax_rate=spec.tax_rate,
            exemption_code=spec.exemption_code,
            exemption_reason=spec.exemption_reason,
        )
        for i, (spec, net) in enumerate(zip(specs, totals.line_nets, strict=True), start=1)
    )
    record(
        actor,
        AuditAction.CREATE,
        note,
        patient_id=invoice.patient_id,
        summary=f"credit note {note.display_number} on {invoice.display_number}: "
        f"{note.gross_total} {note.currency}",
        changes={"gross_total": [None, str(note.gross_total)], "reason": [None, note.reason]},
        channel=channel,
    )
    return note


def line_credit_spec(line: InvoiceLine, quantity: Decimal) -> LineSpec:
    return LineSpec(
        description=line.description,
        quantity=quantity,
        unit_price=line.unit_price,
        tax_category=line.tax_category,
        tax_rate=line.tax_rate,
        exemption_code=line.exemption_code,
        exemption_reason=line.exemption_reason,
        invoice_line=line,
    )


@transaction.atomic
def issue_credit_note(
    actor: Actor,
    invoice_id: Any,
    *,
    reason: str,
    lines: Sequence[CreditRequest] = (),
    channel: str = "api",
) -> CreditNote:
    """Correct an issued invoice: credit the given quantities of its lines, or everything
    still creditable when no lines are given. Never more than is left on the invoice."""
    actor.require(Perm.CREDIT_ISSUE)
    invoice = get_for_org(
        Invoice, actor.org_id, invoice_id, queryset=Invoice.objects.select_related("location")
    )
    invoice_lines = {line.pk: line for line in InvoiceLine.objects.filter(invoice=invoice)}
    done = credited_quantities(invoice)
    specs: list[LineSpec] = []
    if not lines:
        for line in invoice_lines.values():
            left = line.quantity - done.get(line.pk, Decimal(0))
            if left > 0 and line.unit_price > 0:
                specs.append(line_credit_spec(line, left))
    for n, req in enumerate(lines):
        found = invoice_lines.get(req.line_id)
        if found is None:
            raise Invalid.field(
                f"lines[{n}].line_id", _("No line %s on this invoice.") % req.line_id
            )
        left = found.quantity - done.get(found.pk, Decimal(0))
        qty = left if req.quantity is None else _quantity(req.quantity, f"lines[{n}].quantity")
        if qty > left or qty <= 0:
            raise Invalid.field(
                f"lines[{n}].quantity",
                _("Only %(left)s of this line is left to credit.") % {"left": left},
                code="credit_exceeds_invoice",
            )
        specs.append(line_credit_spec(found, qty))
    return issue_credit(actor, invoice, specs, reason, channel)


def list_credit_notes(actor: Actor, invoice_id: Any, *, channel: str = "api") -> list[CreditNote]:
    actor.require(Perm.BILLING_VIEW)
    invoice = get_for_org(Invoice, actor.org_id, invoice_id)
    notes = list(
        CreditNote.objects.filter(invoice=invoice)
        .prefetch_related(Prefetch("lines", queryset=CreditNoteLine.objects.order_by("position")))
        .order_by("issued_at", "id")
    )
    record(
        actor,
        AuditAction.READ,
        invoice,
        patient_id=invoice.patient_id,
        summary=f"credit notes of {invoice.display_number}",
        channel=channel,
    )
    return notes


def amount_checked(value: Any, currency: str, field: str) -> Decimal:
    return amount_in(value, currency_code(currency), field)
