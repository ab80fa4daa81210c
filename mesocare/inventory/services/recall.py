"""Recalls and the traceback of a lot to every patient who received it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.charting.models import CocktailComponent, TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Conflict, Invalid
from mesocare.inventory.models import ProductLot
from mesocare.lib.csv_export import csv_text
from mesocare.patients.models import Patient


@transaction.atomic
def recall_lot(actor: Actor, lot: ProductLot, reason: str) -> ProductLot:
    """Mark a lot recalled: charting refuses it from now on (safety block `lot_recalled`)."""
    actor.require(Perm.STOCK_RECALL)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", _("Give the recall reason (e.g. the supplier's notice)."))
    locked = ProductLot.objects.select_for_update().get(pk=lot.pk)
    if locked.recalled:
        raise Conflict("already_recalled", _("Lot %s is already recalled.") % lot.lot_number)
    ProductLot.objects.filter(pk=lot.pk).update(
        recalled=True, recalled_at=timezone.now(), recalled_by=actor.user, recall_reason=reason
    )
    lot.refresh_from_db()
    record(
        actor,
        AuditAction.UPDATE,
        lot,
        summary=f"recalled lot {lot.lot_number}",
        changes={"recalled": [False, True], "recall_reason": reason},
    )
    return lot


@dataclass(frozen=True)
class Recipient:
    patient_id: int
    patient_name: str
    birth_date: str
    phone: str
    email: str
    session_id: int
    session_at: datetime
    signed: bool
    injection_n: int
    zone: str
    zone_name: str
    volume_ml: Decimal


def recipient_queries(org_id: int, lot_id: int) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """The recall trace's two statements: the lot's components (session, injection number,
    zone, volume), read from the index `component_lot_recipients` alone; and each of their
    sessions once, with its patient. Reading a session once, not once per component, is what
    makes the trace cheap: at a million patients a lot has about 1,150 components in about
    300 sessions, and every component joined to its injection, session and patient read
    about 13 index and table pages."""
    components = CocktailComponent.objects.filter(organization_id=org_id, lot_id=lot_id)
    parts = components.order_by().values_list(
        "session_id", "injection_n", "zone_id", "zone__name", "volume_ml"
    )
    sessions = (
        TreatmentSession.objects.filter(
            organization_id=org_id, pk__in=components.order_by().values("session_id")
        )
        .order_by()
        .values_list(
            "pk",
            "patient_id",
            "patient__given_name",
            "patient__family_name",
            "patient__birth_date",
            "patient__phone",
            "patient__email",
            "started_at",
            "signed_at",
        )
    )
    return parts, sessions


def recipients(org_id: int, lot_id: int) -> list[Recipient]:
    """Every component of the lot in this organization: its patient, session, injection
    number, zone and volume, by session start, session and injection number. Two queries
    whatever the lot's size; `bench/recall_trace.py` times them."""
    parts, sessions = recipient_queries(org_id, lot_id)
    components = list(parts)
    if not components:
        return []
    by_session = {row[0]: row for row in sessions}
    rows = []
    for session_id, n, zone, zone_name, volume in components:
        found = by_session.get(session_id)
        if found is None:  # deleted since its components were read: not a recipient now
            continue
        _pk, patient_id, given, family, birth, phone, email, started, signed = found
        rows.append(
            Recipient(
                patient_id=patient_id,
                patient_name=f"{given} {family}",
                birth_date=birth.isoformat(),
                phone=phone,
                email=email,
                session_id=session_id,
                session_at=started,
                signed=signed is not None,
                injection_n=n,
                zone=zone,
                zone_name=zone_name,
                volume_ml=volume,
            )
        )
    rows.sort(key=lambda r: (r.session_at, r.session_id, r.injection_n))
    return rows


def lot_recipients(
    actor: Actor, lot: ProductLot, *, channel: str = "api", export: bool = False
) -> list[Recipient]:
    """Every patient, session, date, zone and volume that received this lot (audited)."""
    actor.require(Perm.CLINICAL_VIEW)
    rows = recipients(actor.org_id, lot.pk)
    record(
        actor,
        AuditAction.EXPORT if export else AuditAction.READ,
        lot,
        summary=f"recall recipients of lot {lot.lot_number}: {len(rows)} rows, "
        f"{len({r.patient_id for r in rows})} patients",
        changes={"patients": sorted({r.patient_id for r in rows})},
        channel=channel,
    )
    return rows


CSV_HEADER = [
    "patient_id",
    "patient",
    "birth_date",
    "phone",
    "email",
    "session_id",
    "session_at",
    "signed",
    "injection",
    "zone",
    "zone_name",
    "volume_ml",
]


def recipients_csv(rows: list[Recipient]) -> str:
    return csv_text(
        CSV_HEADER,
        (
            [
                r.patient_id,
                r.patient_name,
                r.birth_date,
                r.phone,
                r.email,
                r.session_id,
                r.session_at.isoformat(),
                "yes" if r.signed else "no",
                r.injection_n,
                r.zone,
                r.zone_name,
                r.volume_ml,
            ]
            for r in rows
        ),
    )


@transaction.atomic
def notify_recipients(actor: Actor, lot: ProductLot) -> int:
    """Queue a recall notice to every patient who received this recalled lot (once per
    patient and lot, however often this is asked). Returns how many patients were queued."""
    from mesocare.notify.schedules import schedule_recall_notices

    actor.require(Perm.CLINICAL_EDIT)
    if not lot.recalled:
        raise Conflict("lot_not_recalled", _("Only a recalled lot's recipients are notified."))
    first_dose: dict[int, datetime] = {}
    for row in lot_recipients(actor, lot, channel="notify"):
        first_dose.setdefault(row.patient_id, row.session_at)
    patients = Patient.objects.for_org(actor.org_id).in_bulk(list(first_dose))
    queued = len(
        schedule_recall_notices(
            lot, [(patients[pid], first_dose[pid]) for pid in sorted(first_dose)]
        ).keys
    )
    record(
        actor,
        AuditAction.UPDATE,
        lot,
        summary=f"recall notice queued for {queued} of {len(first_dose)} patients",
    )
    return queued
