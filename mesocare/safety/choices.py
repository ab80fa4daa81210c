from django.db import models
from django.utils.translation import gettext_lazy as _


class Moment(models.TextChoices):
    """When a check runs; decides moment-dependent severities (consent, weight)."""

    BOOKING = "booking", _("Booking")
    CHECK_IN = "check_in", _("Check-in")
    CHARTING = "charting", _("Charting")


class RuleSeverity(models.TextChoices):
    WARN = "warn", _("Warning")
    BLOCK = "block", _("Block")
