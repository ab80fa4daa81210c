from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    REVIEW_NEEDED = "review_needed", _("Review needed")
    COMPLETED = "completed", _("Completed")
    STOPPED = "stopped", _("Stopped")
