"""The outbox (one row per message a patient will receive) and practitioner alerts."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.notify.choices import (
    AlertKind,
    AlertSeverity,
    DocumentKind,
    MessageChannel,
    MessageKind,
    MessageStatus,
)

MAX_ATTEMPTS = 5


class OutboxMessage(OrgOwned):
    """A message written in the same transaction as the event that causes it.

    `idempotency_key` is unique: enqueueing twice returns the first row, and the worker hands
    the key to the channel so a provider that deduplicates never delivers it twice (see
    `mesocare.notify.worker` for the delivery guarantee). Related objects are plain ids so the
    outbox outlives appointments and sessions it refers to.
    """

    # Every claim and every mark rewrites the whole row (status is indexed): each index is one
    # more entry written per message, twice. The organization is the first column of the
    # composite indexes below, so it has no index of its own.
    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="outbox_messages"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=MessageKind.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=MessageChannel.choices)
    template = models.CharField(_("template"), max_length=64)
    payload = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    due_at = models.DateTimeField(_("due at"))
    status = models.CharField(
        _("status"), max_length=12, choices=MessageStatus.choices, default=MessageStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(default=MAX_ATTEMPTS)
    last_error = models.TextField(_("last error"), blank=True)
    # When a pending message may next be tried: the due time, a back-off or the end of quiet
    # hours. The worker's claim reads only the pending messages' next_attempt_at (`outbox_due`).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_ref = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    # What the message is about. A message outlives its subject: deleting the row empties the
    # link, the message log stays.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        db_index=False,  # outbox_appointment: the messages that have one
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        db_index=False,  # outbox_plan: the messages that have one
    )
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_messages",
        db_index=False,  # outbox_session: the messages that have one
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            # The claims' queues, partial: a message is in `outbox_due` while pending and in
            # `outbox_leased` while sending, so they hold only the open messages however
            # many were sent, and marking a message sent adds an entry to neither.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due",
                condition=models.Q(status=MessageStatus.PENDING),
            ),
            models.Index(
                fields=["lease_until"],
                name="outbox_leased",
                condition=models.Q(status=MessageStatus.SENDING),
            ),
            models.Index(fields=["organization", "patient", "due_at"], name="outbox_patient"),
            # What a message is about, for the rows that have a subject: most messages
            # have one of the three at most, and a NULL takes no entry here.
            models.Index(
                fields=["appointment"],
                name="outbox_appointment",
                condition=models.Q(appointment__isnull=False),
            ),
            models.Index(
                fields=["plan"], name="outbox_plan", condition=models.Q(plan__isnull=False)
            ),
            models.Index(
                fields=["session"], name="outbox_session", condition=models.Q(session__isnull=False)
            ),
            models.Index(fields=["organization", "status", "due_at"], name="outbox_org_status"),
            # The dashboard's 24-hour failure rate counts by status from this index alone.
            models.Index(
                fields=["organization", "last_attempt_at"],
                name="outbox_org_recent",
                include=["status"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → patient {self.patient_id} ({self.status})"

    @property
    def is_retryable(self) -> bool:
        return self.status in {MessageStatus.FAILED, MessageStatus.CANCELLED}


class Alert(OrgOwned):
    """Something a practitioner must see now (a worrying check-in) until acknowledged."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=AlertSeverity.choices)
    message = models.TextField(_("message"))
    details = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    source_ref = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "acknowledged_at", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind}: {self.message[:40]}"


class SmsOptOut(OrgOwned):
    """A phone number that texted STOP: no SMS to it until it texts START (see notify.sms)."""

    phone_digits = models.CharField(max_length=40)
    keyword = models.CharField(max_length=32, blank=True)
    provider = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "phone_digits"], name="sms_opt_out_once_per_number"
            )
        ]
        indexes = [models.Index(fields=["phone_digits"], name="sms_opt_out_phone")]

    def __str__(self) -> str:
        return f"SMS opt-out …{self.phone_digits[-4:]}"


class SmsReceipt(OrgOwned):
    """A delivery receipt (status callback) from the SMS provider for one sent message."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="receipts")
    provider_ref = models.CharField(max_length=200)
    status = models.CharField(_("delivery status"), max_length=20)
    error_code = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "status", "organization"], name="sms_receipt_once_per_status"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_ref}: {self.status}"


class SharedDocument(OrgOwned):
    """A document the clinic shared with the patient in the portal, kept exactly as shared (the
    PDF bytes): a later change to the plan or an amendment to the session is shared anew."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="shared_documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shared_at = models.DateTimeField(_("shared at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-shared_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient", "shared_at"], name="shared_doc_patient")
        ]

    def __str__(self) -> str:
        return self.title
