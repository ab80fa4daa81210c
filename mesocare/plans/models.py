from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.plans.choices import PlanEventKind, PlanStatus


class TreatmentPlan(OrgOwned):
    """A course of sessions for one patient, made from one protocol version and a baseline."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="plans")
    protocol = models.ForeignKey("catalog.Protocol", on_delete=models.PROTECT, related_name="+")
    protocol_version = models.ForeignKey(
        "catalog.ProtocolVersion", on_delete=models.PROTECT, related_name="+"
    )
    baseline_assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PlanStatus.choices, default=PlanStatus.PROPOSED
    )
    sessions_planned = models.PositiveIntegerField(_("sessions planned"))
    sessions_by_rule = models.PositiveIntegerField()
    sessions_override_reason = models.TextField(blank=True)
    interval_min_days = models.PositiveIntegerField()
    interval_target_days = models.PositiveIntegerField()
    interval_max_days = models.PositiveIntegerField()
    # "At least N calendar months" between sessions, on top of interval_min_days (31 January
    # + 1 month = 28/29 February): booking and moving sessions hold to it.
    interval_min_months = models.PositiveIntegerField(null=True, blank=True)
    response_check_session = models.PositiveIntegerField()
    maintenance_interval_days = models.PositiveIntegerField(null=True, blank=True)
    session_duration_min = models.PositiveIntegerField()
    room_kind = models.CharField(max_length=16)
    start_on = models.DateField(null=True, blank=True)
    sessions_done = models.PositiveIntegerField(
        _("sessions done"),
        default=0,
        help_text=_("Signed sessions of the course, or as given at the last review."),
    )
    review_outcome = models.CharField(max_length=16, blank=True)
    review_reason = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_on = models.DateField(null=True, blank=True)
    maintenance_due_on = models.DateField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.protocol} — {self.patient}"


class PlannedSession(OrgOwned):
    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.CASCADE, related_name="planned_sessions"
    )
    index = models.PositiveIntegerField()
    earliest = models.DateField(null=True, blank=True)
    target = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan_id", "index"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "index", "organization"], name="planned_session_unique"
            )
        ]

    def __str__(self) -> str:
        return f"session {self.index} of plan {self.plan_id}"


class PlanEvent(OrgOwned):
    """One step in a plan's life: who did what, when and why (the plan keeps only the latest)."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=16, choices=PlanEventKind.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    outcome = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["plan_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} plan {self.plan_id}"
