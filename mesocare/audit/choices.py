from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    READ = "read", _("Read")
    LOGIN = "login", _("Sign-in")
    LOGIN_FAILED = "login_failed", _("Failed sign-in")
    EXPORT = "export", _("Export")
    OVERRIDE = "override", _("Safety override")
    # A request for patient data that was not answered (403, or 404: not in this organization).
    REFUSED = "refused", _("Refused")
