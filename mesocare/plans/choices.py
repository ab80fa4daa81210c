from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", pgettext_lazy("plan status", "Active")
    REVIEW_NEEDED = "review_needed", _("Review needed")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class PlanEventKind(models.TextChoices):
    CREATED = "created", _("Proposed")
    ACTIVATED = "activated", _("Activated")
    REVIEWED = "reviewed", _("Reviewed")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")


class ReviewOutcome(models.TextChoices):
    """Mirrors ``mesocare.core.planning.ReviewOutcome``; stored on the plan and its events."""

    COMPLETE = "complete", _("Target reached: propose completion")
    RESPONDING = "responding", _("Responding: continue")
    TOO_EARLY = "too_early", _("Too early to judge")
    REVIEW_NEEDED = "review_needed", _("Review needed: consider stopping or switching")
