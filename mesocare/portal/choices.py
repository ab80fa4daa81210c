from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.TextChoices):
    NONE = "none", _("None")
    MILD = "mild", _("A little")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("A lot")


class CheckInWhen(models.TextChoices):
    H24 = "24h", _("24 hours after")
    H72 = "72h", _("72 hours after")


class AccessRelation(models.TextChoices):
    SELF = "self", _("Own record")
    GUARDIAN = "guardian", _("Guardian of a minor")


class SignInMethod(models.TextChoices):
    MAGIC_LINK = "magic_link", _("Email link")
    PASSWORD = "password", _("Password")
    SIGNED_LINK = "signed_link", _("Link from a message")


class PreCareAnswer(models.TextChoices):
    """The patient's answer to one pre-care instruction: followed, or explicitly not."""

    DONE = "done", pgettext_lazy("pre-care answer", "Done")
    NOT_FOLLOWED = "not_followed", _("I could not follow this")
