from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceKind(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation (new patients)")
    COURSE = "course", _("Course session (patients with a plan)")


class IntakeStatus(models.TextChoices):
    TO_CONFIRM = "to_confirm", _("To confirm")
    CONFIRMED = "confirmed", _("Confirmed")


class IntakeOutcome(models.TextChoices):
    BOOKED = "booked", _("Booked")
    STOPPED = "stopped", _("Stopped: asked to call the clinic")
    NOT_BOOKED = "not_booked", _("Not booked (the time was taken)")
