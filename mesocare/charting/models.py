"""Treatment sessions as charted in the room: injections, their syringe contents (lots),
side effects, signing and amendments.

A signed session is the legal record and never changes. Besides the services, which
refuse with 409, the models guard it themselves: saving or deleting a signed session, or
any of its injections, components or existing side effects, raises `SessionSigned`, and so
do queryset `update()`/`delete()` on rows of signed sessions. Corrections are appended as
`Amendment`s; late side effects (e.g. a nodule reported weeks later) are appended as new
`SideEffect` rows flagged `recorded_after_signing`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.catalog.choices import Technique
from mesocare.charting.choices import Grade, NeedleKind, SideEffectKind, SideEffectSource
from mesocare.clinics.tenancy import OrgOwned, OrgQuerySet
from mesocare.errors import Conflict


class SessionSigned(Conflict):
    def __init__(self, session_id: Any = None) -> None:
        super().__init__(
            "session_signed",
            str(_("This session is signed and cannot change; add an amendment instead.")),
            session=session_id,
        )


def _signed(session_id: Any) -> bool:
    return TreatmentSession.objects.filter(pk=session_id, signed_at__isnull=False).exists()


class TreatmentSession(OrgOwned):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_sessions",
    )
    planned_session = models.ForeignKey(
        "plans.PlannedSession", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    protocol = models.ForeignKey(
        "catalog.Protocol", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    protocol_version = models.ForeignKey(
        "catalog.ProtocolVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pain_vas = models.DecimalField(
        _("pain (VAS 0–10)"),
        max_digits=3,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient", "started_at"]),
            models.Index(fields=["practitioner", "signed_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "organization"],
                condition=models.Q(appointment__isnull=False),
                name="one_session_per_appointment",
            ),
            models.CheckConstraint(
                condition=models.Q(pain_vas__isnull=True)
                | models.Q(pain_vas__gte=0, pain_vas__lte=10),
                name="session_pain_vas_range",
            ),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of patient {self.patient_id}"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and _signed(self.pk):
            raise SessionSigned(self.pk)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if _signed(self.pk):
            raise SessionSigned(self.pk)
        return super().delete(*args, **kwargs)


class SessionPartQuerySet(OrgQuerySet[Any]):
    """Bulk update/delete refuse rows that belong to a signed session."""

    def _guard(self) -> None:
        if self.filter(session__signed_at__isnull=False).exists():
            raise SessionSigned()

    def update(self, **kwargs: Any) -> int:
        self._guard()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._guard()
        return super().delete()


class InjectionQuerySet(SessionPartQuerySet):
    def update(self, **kwargs: Any) -> int:
        if COPIED_FROM_INJECTION.isdisjoint(kwargs):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        copy_from_injections(CocktailComponent.objects.filter(injection_id__in=pks))
        return updated


class ComponentQuerySet(SessionPartQuerySet):
    def _guard(self) -> None:
        if self.filter(injection__session__signed_at__isnull=False).exists():
            raise SessionSigned()

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        objs = list(objs)
        fill_copies(objs)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs: Any) -> int:
        if COMPONENT_COPIES.isdisjoint(kwargs):
            return super().update(**kwargs)
        pks = list(self.values_list("pk", flat=True))
        updated = super().update(**kwargs)
        copy_from_injections(self.model.objects.filter(pk__in=pks))
        return updated


class _SessionPart(OrgOwned):
    objects = SessionPartQuerySet.as_manager()  # type: ignore[misc]
    guard_new_rows = True

    class Meta:
        abstract = True

    def _session_id(self) -> Any:
        return self.session_id  # type: ignore[attr-defined]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if (self.guard_new_rows or not self._state.adding) and _signed(self._session_id()):
            raise SessionSigned(self._session_id())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if _signed(self._session_id()):
            raise SessionSigned(self._session_id())
        return super().delete(*args, **kwargs)


class InjectionRecord(_SessionPart):
    objects = InjectionQuerySet.as_manager()  # type: ignore[misc]

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="injections"
    )
    n = models.PositiveIntegerField(_("number"))
    zone = models.ForeignKey(
        "catalog.Zone",
        on_delete=models.PROTECT,
        to_field="code",
        db_column="zone_code",
        related_name="+",
    )
    technique = models.CharField(_("technique"), max_length=20, choices=Technique.choices)
    depth_mm = models.DecimalField(
        _("depth (mm)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(50))],
    )
    points = models.PositiveIntegerField(_("points"), validators=[MinValueValidator(1)])
    volume_per_point_ml = models.DecimalField(
        _("volume per point (mL)"), max_digits=6, decimal_places=3, null=True, blank=True
    )
    total_volume_ml = models.DecimalField(
        _("total volume (mL)"),
        max_digits=7,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    needle_kind = models.CharField(
        max_length=8, choices=NeedleKind.choices, default=NeedleKind.NEEDLE
    )
    needle_gauge = models.PositiveSmallIntegerField(
        _("gauge (G)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(14), MaxValueValidator(34)],
    )
    needle_length_mm = models.DecimalField(
        _("needle length (mm)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    out_of_range_reason = models.TextField(_("reason for values outside the protocol"), blank=True)
    safety_override_reason = models.TextField(blank=True)
    safety_findings = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["session_id", "n"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "n", "organization"], name="injection_number_unique"
            ),
            models.CheckConstraint(condition=models.Q(n__gte=1), name="injection_number_positive"),
            models.CheckConstraint(
                condition=models.Q(total_volume_ml__gt=0), name="injection_volume_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.n} {self.zone_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        adding = self._state.adding
        super().save(*args, **kwargs)
        fields = kwargs.get("update_fields")
        if not adding and (fields is None or not COPIED_FROM_INJECTION.isdisjoint(fields)):
            copy_from_injections(CocktailComponent.objects.filter(injection_id=self.pk))


class CocktailComponent(_SessionPart):
    injection = models.ForeignKey(
        InjectionRecord, on_delete=models.CASCADE, related_name="components"
    )
    lot = models.ForeignKey(
        "inventory.ProductLot",
        on_delete=models.PROTECT,
        related_name="components",
        db_index=False,  # component_lot_recipients leads with it
    )
    volume_ml = models.DecimalField(_("volume (mL)"), max_digits=7, decimal_places=3)
    # Copies of the injection's session, number and zone, set when the component is written and
    # kept equal to the injection's (save, bulk_create and update of either model see to it): a
    # lot's recall trace reads them from one index of this table, without the injection. No
    # foreign key constraint or index of their own: the injection's keys hold them already.
    session = models.ForeignKey(
        TreatmentSession,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        editable=False,
    )
    injection_n = models.IntegerField(editable=False)
    zone = models.ForeignKey(
        "catalog.Zone",
        on_delete=models.DO_NOTHING,
        to_field="code",
        db_column="zone_code",
        db_constraint=False,
        db_index=False,
        related_name="+",
        editable=False,
    )

    objects = ComponentQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        ordering = ["injection_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(volume_ml__gt=0), name="component_volume_positive"
            )
        ]
        indexes = [
            # The recall trace: a lot's rows of one organization, read from the index alone.
            models.Index(
                fields=["lot", "organization"],
                include=["session", "injection_n", "zone", "volume_ml"],
                name="component_lot_recipients",
            )
        ]

    def __str__(self) -> str:
        return f"{self.volume_ml} mL of lot {self.lot_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        fill_copies([self])
        super().save(*args, **kwargs)

    def _session_id(self) -> Any:
        return InjectionRecord.objects.filter(pk=self.injection_id).values("session_id")[:1]


# What a component copies from its injection, by the injection's field names and its own.
COPIED_FROM_INJECTION = frozenset({"session", "session_id", "n", "zone", "zone_id"})
COMPONENT_COPIES = frozenset(
    {"injection", "injection_id", "session", "session_id", "injection_n", "zone", "zone_id"}
)


def fill_copies(components: list[CocktailComponent]) -> None:
    """Set each component's session, injection number and zone from its injection (the
    instance it holds, else one query for those that hold only its id)."""
    missing = {
        c.injection_id
        for c in components
        if not CocktailComponent.injection.is_cached(c) and c.injection_id is not None
    }
    by_id = InjectionRecord.objects.in_bulk(missing) if missing else {}
    for component in components:
        injection = (
            component.injection
            if CocktailComponent.injection.is_cached(component)
            else by_id.get(component.injection_id)
        )
        if injection is not None:
            component.session_id = injection.session_id
            component.injection_n = injection.n
            component.zone_id = injection.zone_id


def copy_from_injections(components: models.QuerySet[CocktailComponent]) -> int:
    """Set these components' session, injection number and zone from their injections (one
    UPDATE; the queryset's own update, not the guarded one of ComponentQuerySet)."""
    injection = InjectionRecord.objects.filter(pk=models.OuterRef("injection_id"))
    return models.QuerySet.update(
        components,
        session_id=models.Subquery(injection.values("session_id")[:1]),
        injection_n=models.Subquery(injection.values("n")[:1]),
        zone_id=models.Subquery(injection.values("zone_id")[:1]),
    )


class SideEffect(_SessionPart):
    guard_new_rows = False  # late side effects are appended to signed sessions

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="side_effects"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SideEffectKind.choices)
    grade = models.PositiveSmallIntegerField(_("grade"), choices=Grade.choices)
    onset = models.DateTimeField(_("onset"))
    action_taken = models.TextField(_("action taken"), blank=True)
    source = models.CharField(
        _("source"), max_length=8, choices=SideEffectSource.choices, default=SideEffectSource.STAFF
    )
    notes = models.TextField(_("notes"), blank=True)
    recorded_after_signing = models.BooleanField(default=False)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["session_id", "onset", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__gte=1, grade__lte=5), name="side_effect_grade_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} grade {self.grade}"


class Amendment(OrgOwned):
    """An append-only correction of a signed session: who, when, why and what."""

    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="amendments"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    reason = models.TextField(_("why"))
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["session_id", "at", "id"]

    def __str__(self) -> str:
        return f"amendment {self.pk} of session {self.session_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise Conflict("amendment_immutable", str(_("Amendments cannot be changed.")))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise Conflict("amendment_immutable", str(_("Amendments cannot be deleted.")))
