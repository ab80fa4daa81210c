"""Writing to the outbox, and the staff actions on it (retry, cancel)."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Organization
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import in_org
from mesocare.errors import Conflict
from mesocare.lib.text import digits_only
from mesocare.notify.choices import MessageChannel, MessageKind, MessageStatus
from mesocare.notify.claims import one_of, sql_parts
from mesocare.notify.models import OutboxMessage, SmsOptOut
from mesocare.notify.sms import is_opted_out
from mesocare.patients.choices import Channel

if TYPE_CHECKING:
    from mesocare.patients.models import Patient

KIND_TEMPLATES: dict[str, str] = {
    MessageKind.BOOKING_CONFIRMATION: "booking_confirmation",
    MessageKind.REMINDER: "reminder",
    MessageKind.PRE_CARE: "pre_care",
    MessageKind.AFTERCARE: "aftercare",
    MessageKind.CHECK_IN_24H: "check_in",
    MessageKind.CHECK_IN_72H: "check_in",
    MessageKind.MAINTENANCE_RECALL: "maintenance_recall",
    MessageKind.WAITLIST_OFFER: "notice",
    MessageKind.RECALL_NOTICE: "notice",
}
OPEN_STATUSES = (MessageStatus.PENDING, MessageStatus.FAILED)
RELATED_FIELDS = {"appointment": "appointment_id", "plan": "plan_id", "session": "session_id"}
KEY_MAX_LENGTH = OutboxMessage._meta.get_field("idempotency_key").max_length or 200


def org_id_of(actor_or_org: Actor | Organization | int) -> int:
    if isinstance(actor_or_org, Actor):
        return actor_or_org.org_id
    if isinstance(actor_or_org, Organization):
        return actor_or_org.pk
    return int(actor_or_org)


class Reachable(Protocol):
    """What choosing a channel reads of a patient: a `Patient`, or the worker's `Addressee`."""

    @property
    def organization_id(self) -> int: ...
    @property
    def preferred_channel(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def phone(self) -> str: ...


def resolve_channel(patient: Reachable, opted_out: set[str] | None = None) -> str | None:
    """The patient's preferred channel if we have the address, else the other one; None when
    the patient asked for no messages or we have no way to reach them. `opted_out` is the set
    of phone digits that texted STOP, read in bulk by the caller (`opted_out_digits`); without
    it the opt-out is looked up for this patient."""
    if patient.preferred_channel == Channel.NONE:
        return None
    order = [MessageChannel.EMAIL, MessageChannel.SMS]
    if patient.preferred_channel == Channel.SMS:
        order.reverse()
    for channel in order:
        if not address_for(patient, channel):
            continue
        if channel == MessageChannel.SMS and (
            digits_only(patient.phone) in opted_out
            if opted_out is not None
            else is_opted_out(patient.organization_id, patient.phone)
        ):
            continue  # the number texted STOP
        return channel
    return None


def opted_out_digits(patients: Iterable[Reachable]) -> set[str]:
    """The phone digits among these patients' numbers that texted STOP in their
    organization: one query for any number of patients."""
    wanted: dict[int, set[str]] = {}
    for patient in patients:
        digits = digits_only(patient.phone or "")
        if digits:
            wanted.setdefault(patient.organization_id, set()).add(digits)
    if not wanted:
        return set()
    table, c, _lock = sql_parts(SmsOptOut)
    where: list[str] = []
    params: list[Any] = []
    for org_id, numbers in wanted.items():
        among, values = one_of(c["phone_digits"], sorted(numbers))
        where.append(f"({c['organization_id']} = %s AND {among})")
        params += [org_id, *values]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {c['phone_digits']} FROM {table} WHERE {' OR '.join(where)}", params
        )
        return {digits for (digits,) in cursor.fetchall()}


def address_for(patient: Reachable, channel: str) -> str:
    return patient.email if channel == MessageChannel.EMAIL else patient.phone


def default_timezone(org_id: int) -> str:
    tz = (
        Location.objects.for_org(org_id)
        .filter(is_active=True)
        .order_by("id")
        .values_list("timezone", flat=True)[:1]
    )
    return tz[0] if tz else "UTC"


def invalid_reason(
    org_id: int,
    patient: Patient,
    kind: str,
    idempotency_key: str,
    due_at: dt.datetime,
    tz: str | None,
) -> str | None:
    """Why this message cannot be written (None when it can): the rules `enqueue` and
    `enqueue_many` share."""
    if not in_org(org_id, patient):
        return "the patient belongs to another organization"
    if kind not in KIND_TEMPLATES:
        return f"unknown message kind {kind!r}"
    if not idempotency_key or len(idempotency_key) > KEY_MAX_LENGTH:
        return f"an idempotency key must have 1 to {KEY_MAX_LENGTH} characters"
    if not isinstance(due_at, dt.datetime) or due_at.tzinfo is None:
        return "due_at must be an aware datetime"
    if tz and tz not in known_timezones():
        return f"unknown time zone {tz!r}"
    return None


@functools.cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def build_message(
    org_id: int,
    patient: Patient,
    kind: str,
    channel: str,
    *,
    due_at: dt.datetime,
    payload: dict[str, Any],
    idempotency_key: str,
    related: dict[str, Any] | None,
    template: str | None,
    tz: str,
) -> OutboxMessage:
    """The unsaved outbox row of one message (its channel already chosen)."""
    refs = {
        RELATED_FIELDS[name]: getattr(value, "pk", value)
        for name, value in (related or {}).items()
        if value is not None
    }
    return OutboxMessage(
        organization_id=org_id,
        patient=patient,
        kind=kind,
        channel=channel,
        template=template or KIND_TEMPLATES[kind],
        payload=payload,
        due_at=due_at,
        next_attempt_at=due_at,
        idempotency_key=idempotency_key,
        timezone=tz,
        **refs,
    )


def enqueue(
    actor_or_org: Actor | Organization | int,
    patient: Patient,
    kind: str,
    *,
    due_at: dt.datetime,
    payload: dict[str, Any],
    idempotency_key: str,
    related: dict[str, Any] | None = None,
    template: str | None = None,
    tz: str | None = None,
) -> OutboxMessage | None:
    """Write one message to the outbox, inside the caller's transaction (the outbox pattern:
    the message exists if and only if the event that caused it committed).

    Idempotent on `idempotency_key`: a second call returns the first row unchanged. Returns
    None when the patient gets no messages (preferred channel "none", or no address).
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify.enqueue() must run inside the transaction of its event")
    org_id = org_id_of(actor_or_org)
    problem = invalid_reason(org_id, patient, kind, idempotency_key, due_at, tz)
    if problem is not None:
        raise ValueError(problem)
    existing = OutboxMessage.objects.filter(idempotency_key=idempotency_key).order_by()[:1]
    if existing:
        return existing[0]
    channel = resolve_channel(patient)
    if channel is None:
        return None
    message = build_message(
        org_id,
        patient,
        kind,
        channel,
        due_at=due_at,
        payload=payload,
        idempotency_key=idempotency_key,
        related=related,
        template=template,
        tz=tz or default_timezone(org_id),
    )
    try:
        with transaction.atomic():
            message.save()
    except IntegrityError:
        # A concurrent transaction enqueued the same key first (PostgreSQL waits for it).
        return OutboxMessage.objects.get(idempotency_key=idempotency_key)
    return message


def cancel_pending(queryset: models.QuerySet[OutboxMessage], reason: str) -> int:
    return queryset.filter(status__in=OPEN_STATUSES).update(
        status=MessageStatus.CANCELLED, last_error=reason, updated_at=timezone.now()
    )


@transaction.atomic
def retry_message(actor: Actor, message: OutboxMessage) -> OutboxMessage:
    """Send a failed or cancelled message again, now (staff action, audited)."""
    actor.require(Perm.PATIENT_EDIT)
    message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if not message.is_retryable:
        raise Conflict(
            "not_retryable",
            _("Only failed or cancelled messages can be retried (this one is %(status)s).")
            % {"status": message.get_status_display()},
        )
    old = message.status
    now = timezone.now()
    message.status = MessageStatus.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.lease_until = None
    message.claimed_by = ""
    message.save(
        update_fields=[
            "status", "attempts", "next_attempt_at", "lease_until", "claimed_by", "updated_at"
        ]
    )  # fmt: skip
    record(
        actor,
        AuditAction.UPDATE,
        message,
        patient_id=message.patient_id,
        summary=f"message retry: {message.kind}",
        changes={"status": [old, MessageStatus.PENDING]},
    )
    return message
