from django.db import models
from django.utils.translation import gettext_lazy as _


class MovementKind(models.TextChoices):
    """What moved stock. Signs: receive > 0; waste and return (to the supplier) < 0;
    use < 0 when charted and > 0 when an unsigned injection is deleted; adjust either way."""

    RECEIVE = "receive", _("Received")
    USE = "use", _("Used")
    WASTE = "waste", _("Wasted")
    ADJUST = "adjust", _("Adjusted")
    RETURN = "return", _("Returned to supplier")
