from django.db import models
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    BOOKING_CONFIRMATION = "booking_confirmation", _("Booking confirmation")
    REMINDER = "reminder", _("Reminder")
    PRE_CARE = "pre_care", _("Pre-care")
    AFTERCARE = "aftercare", _("Aftercare")
    CHECK_IN_24H = "check_in_24h", _("Check-in 24 h")
    CHECK_IN_72H = "check_in_72h", _("Check-in 72 h")
    MAINTENANCE_RECALL = "maintenance_recall", _("Maintenance recall")
    WAITLIST_OFFER = "waitlist_offer", _("Waiting-list offer")
    RECALL_NOTICE = "recall_notice", _("Product recall notice")


class MessageChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class AlertKind(models.TextChoices):
    CHECK_IN = "check_in", _("Patient check-in needs attention")
    BOOKING_REQUEST = "booking_request", _("Patient asks to book")
    DELIVERY = "delivery", _("Message delivery problem")
    DATA_REQUEST = "data_request", _("Patient asks for erasure of their data")


class AlertSeverity(models.TextChoices):
    INFO = "info", _("Info")
    WARNING = "warning", _("Warning")
    CRITICAL = "critical", _("Critical")


class DocumentKind(models.TextChoices):
    PLAN = "plan", _("Treatment plan")
    SESSION_SUMMARY = "session_summary", _("Session summary")
